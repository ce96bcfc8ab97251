// Speech studio: voice filter and picker, text counter, speed readout, history player.
// The voices' preview buttons are static/js/voices.js's.
(() => {
  "use strict";
  const $ = (selector, root = document) => root.querySelector(selector);

  function selectedVoice() {
    const input = $("input[name=voice]:checked");
    return input ? input.closest(".voice") : null;
  }

  // The language choices and the instructions field follow the chosen voice.
  function voiceChanged() {
    const voice = selectedVoice(), select = $("#id_language");
    if (!voice || !select) return;
    const current = select.value;
    const codes = (voice.dataset.languages || "").split(" ").filter(Boolean);
    select.replaceChildren(new Option("The voice's own", ""));
    for (const code of codes) select.add(new Option(code, code, false, code === current));
    const instructions = $("#instructions-field");
    if (instructions) instructions.hidden = voice.dataset.instructions !== "1";
    voiceSettingsChanged(voice);
  }

  // Only the settings the voice follows are shown and sent; one newly shown starts at the
  // voice's own value.
  function voiceSettingsChanged(voice) {
    const own = Object.fromEntries(
      (voice.dataset.settings || "").split(" ").filter(Boolean).map((pair) => pair.split("=")),
    );
    const fieldset = $("#voice-settings");
    if (!fieldset) return;
    fieldset.hidden = Object.keys(own).length === 0;
    for (const field of fieldset.querySelectorAll("[data-setting]")) {
      const input = $("input", field), name = field.dataset.setting;
      const follows = name in own;
      if (follows && input.disabled) {
        input.value = own[name];
        showSetting(input);
      }
      field.hidden = !follows;
      input.disabled = !follows;
    }
  }

  function showSetting(input) {
    $(`#${input.name}-value`).textContent = Number(input.value).toFixed(2);
  }

  function filterVoices(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    for (const voice of document.querySelectorAll(".voice")) {
      const text = voice.dataset.search || "";
      voice.hidden = !words.every((w) => text.includes(w));
    }
  }

  // Over the limit the text is kept whole and the counter says how much to cut.
  function countText(textarea) {
    const max = Number(textarea.dataset.max), length = textarea.value.length;
    $("#text-count").textContent = length;
    const over = length > max ? length - max : 0;
    $("#text-over").textContent = over ? ` · ${over} too many: shorten the text or split it` : "";
    textarea.setAttribute("aria-invalid", String(Boolean(over)));
    $("#generate").disabled = Boolean(over);
  }

  // The chosen voice is shown in its scrolling list, not left below the fold (the list only
  // scrolls: the page stays where it is).
  function showSelectedVoice() {
    const voice = selectedVoice(), list = $(".voice-list");
    if (!voice || !list) return;
    const top = voice.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + voice.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = top - list.clientHeight / 3;
    }
  }

  function playInHistory(url) {
    const player = $("#history-player");
    const main = $("#speech-player");
    if (main) main.pause();
    player.hidden = false;
    player.src = url;
    player.play().catch(() => {});
  }

  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.id === "id_text") countText(el);
    else if (el.id === "id_speed") $("#speed-value").textContent = `${Number(el.value).toFixed(2)}×`;
    else if (el.id === "voice-filter") filterVoices(el.value);
    else if (el.closest("#voice-settings")) showSetting(el);
  });

  document.addEventListener("change", (event) => {
    if (event.target.name === "voice") voiceChanged();
  });

  document.addEventListener("click", (event) => {
    const play = event.target.closest("[data-play]");
    if (play) playInHistory(play.dataset.play);
  });

  // Chromium buffers a growing mp3 or aac stream for a second or two before an <audio> with that
  // address plays; fed through Media Source Extensions, it plays from the first chunk. Other
  // formats, or a failure, keep the plain address.
  function playFromStream(player) {
    const url = player.dataset.stream, type = player.dataset.type;
    if (!url || !window.MediaSource || !MediaSource.isTypeSupported(type)) return;
    const source = new MediaSource();
    player.src = URL.createObjectURL(source);
    source.addEventListener("sourceopen", async () => {
      const buffer = source.addSourceBuffer(type);
      buffer.mode = "sequence";  // each sentence's audio follows the one before
      const append = (chunk) => new Promise((resolve, reject) => {
        buffer.addEventListener("updateend", resolve, { once: true });
        buffer.addEventListener("error", reject, { once: true });
        buffer.appendBuffer(chunk);
      });
      try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(response.statusText);
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await append(value);
        }
        source.endOfStream();
      } catch {
        player.src = url;
        player.play().catch(() => {});
      }
    }, { once: true });
  }

  // A new generation: its player starts as soon as the first sentence is there.
  document.addEventListener("htmx:load", (event) => {
    if (event.detail.elt.id !== "workspace") return;
    const player = $("#speech-player");
    if (player) {
      $("#history-player").pause();
      playFromStream(player);
      player.play().catch(() => {});
    }
    const filter = $("#voice-filter");
    if (filter && filter.value) filterVoices(filter.value);
    showSelectedVoice();
  });
  showSelectedVoice();
})();
