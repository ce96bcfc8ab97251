// Voice pages: preview buttons, the sample recorder, and the consent text that follows the
// speaker's name.
(() => {
  // --- Previews: one player for the page; a second click on the playing voice stops it. -----
  const player = new Audio();
  let playing = null;

  function play(button) {
    if (playing === button && !player.paused) {
      player.pause();
      return;
    }
    if (playing) playing.classList.remove("playing");
    playing = button;
    player.src = button.dataset.previewSrc;
    button.classList.add("playing");
    player.play().catch(() => button.classList.remove("playing"));
  }

  player.addEventListener("ended", () => playing && playing.classList.remove("playing"));
  player.addEventListener("pause", () => playing && playing.classList.remove("playing"));

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-preview-src]");
    if (button) play(button);
  });

  // A preview made on request plays as soon as it is ready (the click was the user's gesture).
  function autoplay(root) {
    const buttons = root.matches?.("[data-autoplay]") ? [root] : root.querySelectorAll?.("[data-autoplay]") ?? [];
    for (const button of buttons) {
      delete button.dataset.autoplay;
      play(button);
    }
  }
  document.addEventListener("htmx:load", (event) => autoplay(event.detail.elt));

  // --- Consent statement follows the choice and the speaker's name. ----------------------------
  function updateConsent(form) {
    const basis = form.querySelector("input[name=consent_basis]:checked")?.value;
    const name = form.querySelector("input[name=speaker_name]")?.value.trim();
    form.querySelectorAll("[data-statement]").forEach((p) => {
      p.hidden = basis ? p.dataset.statement !== basis : p.dataset.statement !== "own_voice";
    });
    form.querySelectorAll("[data-speaker-slot]").forEach((slot) => {
      slot.textContent = name || "the speaker";
    });
  }
  document.querySelectorAll("form").forEach((form) => {
    if (!form.querySelector("[data-statement]")) return;
    form.addEventListener("input", () => updateConsent(form));
    form.addEventListener("change", () => updateConsent(form));
    updateConsent(form);
  });

  // --- Recorder: MediaRecorder → files in the form's hidden "recordings" input. ---------------
  document.querySelectorAll("[data-recorder]").forEach((box) => {
    const start = box.querySelector("[data-record-start]");
    const stop = box.querySelector("[data-record-stop]");
    const time = box.querySelector("[data-record-time]");
    const list = box.querySelector("[data-recordings]");
    const error = box.querySelector("[data-record-error]");
    const input = box.querySelector("input[type=file][name=recordings]");
    const files = [];
    let recorder = null;
    let timer = null;

    function sync() {
      const transfer = new DataTransfer();
      files.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      list.replaceChildren(
        ...files.map((file, index) => {
          const item = document.createElement("li");
          const audio = document.createElement("audio");
          audio.controls = true;
          audio.src = URL.createObjectURL(file);
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "link";
          remove.textContent = "remove";
          remove.addEventListener("click", () => {
            files.splice(index, 1);
            sync();
          });
          item.append(`${file.name} `, audio, " ", remove);
          return item;
        }),
      );
    }

    function fail(message) {
      error.textContent = message;
      error.hidden = false;
    }

    start.addEventListener("click", async () => {
      error.hidden = true;
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (exc) {
        fail(`The microphone is not available: ${exc.message}. Upload a recording instead.`);
        return;
      }
      const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find(
        (t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t),
      );
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks = [];
      recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
      recorder.addEventListener("stop", () => {
        stream.getTracks().forEach((track) => track.stop());
        const mime = recorder.mimeType || "audio/webm";
        const extension = mime.includes("ogg") ? "ogg" : mime.includes("mp4") ? "m4a" : "webm";
        const blob = new Blob(chunks, { type: mime });
        files.push(new File([blob], `recording-${files.length + 1}.${extension}`, { type: mime }));
        sync();
      });
      const began = Date.now();
      recorder.start(250);
      timer = setInterval(() => {
        time.textContent = `Recording… ${Math.floor((Date.now() - began) / 1000)} s`;
      }, 250);
      start.disabled = true;
      stop.disabled = false;
    });

    stop.addEventListener("click", () => {
      if (recorder && recorder.state !== "inactive") recorder.stop();
      clearInterval(timer);
      time.textContent = "";
      start.disabled = false;
      stop.disabled = true;
    });
  });
})();
