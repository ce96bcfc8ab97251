// The conversation page: the microphone goes up as PCM16 24 kHz frames (AudioWorklet), the
// assistant's PCM16 24 kHz comes down as binary frames and plays through another AudioWorklet as
// it arrives. When the server hears the user start speaking, playback stops at once and the
// server is told how much of the reply was heard, so the transcript keeps only that.
(() => {
  const root = document.getElementById("conversation");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const ui = {
    start: $("talk-start"), stop: $("talk-stop"), level: $("talk-level"), status: $("talk-status"),
    transcript: $("talk-transcript"), form: $("talk-text-form"), text: $("talk-text"), send: $("talk-send"),
  };
  const RATE = 24000;
  let socket = null, context = null, stream = null, player = null;
  let replyItem = null, played = 0, received = 0;
  const lines = new Map(); // item id → its <p>

  function say(text, className = "") { ui.status.textContent = text; ui.status.className = className; }

  function line(item, role) {
    let p = lines.get(item);
    if (!p) {
      p = document.createElement("p");
      p.className = `turn-${role} partial`;
      const who = document.createElement("span");
      who.className = "time";
      who.textContent = role === "user" ? "You" : "Assistant";
      const words = document.createElement("span");
      words.dir = "auto"; // their own script's direction (Arabic reads right to left)
      p.append(who, words);
      ui.transcript.append(p);
      lines.set(item, p);
    }
    return p;
  }

  function stopPlayback() {
    if (player) player.port.postMessage({ clear: true });
    socket.send(JSON.stringify({ type: "cancel" })); // before truncating: the reply must end first
    if (replyItem && received) {
      const heardMs = Math.floor((Math.min(played, received / 2) / RATE) * 1000);
      socket.send(JSON.stringify({ type: "truncate", item_id: replyItem, audio_end_ms: heardMs }));
    }
    replyItem = null;
  }

  const handlers = {
    ready() { say("Listening… speak when you are ready."); },
    speech_started(e) {
      // Barge-in while the reply is still playing: silence now (the server cancels the reply).
      if (replyItem && played < received / 2) stopPlayback();
      line(e.item_id, "user").lastChild.textContent = "…";
    },
    user(e) {
      const p = line(e.item_id, "user");
      if (!e.text) { p.remove(); lines.delete(e.item_id); return; }
      p.lastChild.textContent = e.text;
      p.className = "turn-user final";
    },
    response_started(e) {
      replyItem = e.item_id; played = 0; received = 0;
      if (player) player.port.postMessage({ clear: true });
      line(e.item_id, "assistant");
    },
    assistant_delta(e) { line(e.item_id, "assistant").lastChild.textContent += e.text; },
    response_done(e) {
      const p = line(e.item_id, "assistant");
      p.className = "turn-assistant final";
      if (e.status === "cancelled") {
        const note = document.createElement("em");
        note.textContent = " (interrupted)";
        p.lastChild.append(note);
      }
      if (e.status !== "completed") replyItem = null;
    },
    error(e) { say(e.message, "error"); },
  };

  function onAudio(buffer) {
    if (!replyItem) return; // the rest of a cancelled reply
    received += buffer.byteLength;
    ui.transcript.dataset.audioBytes = String(Number(ui.transcript.dataset.audioBytes) + buffer.byteLength);
    if (player) player.port.postMessage({ pcm: buffer }, [buffer]);
  }

  async function start() {
    ui.start.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
      context = new AudioContext({ sampleRate: RATE });
      await context.audioWorklet.addModule(root.dataset.worklet);
      await context.audioWorklet.addModule(root.dataset.player);
    } catch (err) {
      say(`The microphone could not be opened: ${err.message}`, "error");
      ui.start.disabled = false;
      return;
    }
    player = new AudioWorkletNode(context, "pcm-player");
    player.connect(context.destination);
    player.port.onmessage = ({ data }) => { played = data.played; };
    const mic = new AudioWorkletNode(context, "pcm-frames");
    context.createMediaStreamSource(stream).connect(mic);
    mic.port.onmessage = ({ data }) => {
      ui.level.value = Math.min(1, data.level * 4);
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(data.pcm);
    };
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (message) => {
      if (message.data instanceof ArrayBuffer) { onAudio(message.data); return; }
      const event = JSON.parse(message.data);
      (handlers[event.type] || (() => {}))(event);
    };
    socket.onclose = () => {
      if (!context) return;
      // After an error (the engine stopped), the error stays in view.
      if (ui.status.className === "error") say(`${ui.status.textContent} The conversation is saved.`, "error");
      else say("The conversation ended; it is saved.", "");
      finish();
    };
    ui.stop.disabled = ui.text.disabled = ui.send.disabled = false;
  }

  function finish() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (context) context.close();
    context = stream = player = null;
    if (socket && socket.readyState === WebSocket.OPEN) socket.close();
    socket = null;
    ui.start.disabled = false;
    ui.start.textContent = "Continue talking";
    ui.stop.disabled = ui.text.disabled = ui.send.disabled = true;
    ui.level.value = 0;
  }

  ui.start.addEventListener("click", start);
  ui.stop.addEventListener("click", () => { say("Saved."); finish(); });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.text.value.trim();
    if (!text || !socket) return;
    if (replyItem) stopPlayback();
    socket.send(JSON.stringify({ type: "text", text }));
    ui.text.value = "";
  });
})();
