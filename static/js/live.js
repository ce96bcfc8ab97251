// The live page: captures the microphone through an AudioWorklet, sends PCM16 24 kHz frames
// over the live socket, and shows partial text replaced by the final text of each utterance.
(() => {
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const ui = {
    record: $("live-record"), pause: $("live-pause"), stop: $("live-stop"),
    language: $("live-language"), level: $("live-level"), elapsed: $("live-elapsed"),
    status: $("live-status"), captions: $("live-captions"), saved: $("live-saved"),
    savedLink: $("live-saved-link"),
  };
  const RATE = 24000;
  let socket = null, context = null, stream = null, paused = false;
  let waiting = []; // frames captured before the socket opened: the recording keeps them
  let transcript = root.dataset.transcript || "";
  let sentSamples = 0, offset = parseFloat(root.dataset.offset || "0");
  const partials = new Map(); // utterance → its <p>

  function clock(seconds) {
    const s = Math.floor(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function say(text, className = "") {
    ui.status.textContent = text;
    ui.status.className = className;
  }

  function line(utterance, start) {
    let p = partials.get(utterance);
    if (!p) {
      p = document.createElement("p");
      const time = document.createElement("span");
      time.className = "time";
      time.textContent = clock(start);
      // The words take their direction from their own script (Arabic reads right to left).
      const words = document.createElement("span");
      words.dir = "auto";
      p.append(time, words);
      ui.captions.append(p);
      partials.set(utterance, p);
    }
    return p;
  }

  function onPartial(e) {
    const p = line(e.utterance, e.start);
    p.className = "partial";
    const text = p.lastChild;
    text.replaceChildren();
    const stable = document.createElement("span");
    stable.className = "stable";
    stable.textContent = e.stable;
    text.append(stable, document.createTextNode(e.text.slice(e.stable.length)));
  }

  function onFinal(e) {
    if (!e.text) { // nothing understood: the utterance's partial goes
      partials.get(e.utterance)?.remove();
      partials.delete(e.utterance);
      return;
    }
    const p = line(e.utterance, e.start);
    p.className = "final";
    p.firstChild.textContent = clock(e.start);
    p.lastChild.textContent = e.text;
    partials.delete(e.utterance);
  }

  const handlers = {
    ready(e) { transcript = e.transcript; offset = e.offset; say("Recording…"); },
    partial: onPartial,
    final: onFinal,
    lagging(e) {
      say(e.dropped ? `Captions skipped ${e.dropped.toFixed(1)} s to catch up (the recording keeps it).`
                    : `Captions are ${e.behind.toFixed(1)} s behind.`, "lagging");
    },
    error(e) { say(e.message, "error"); },
    saved(e) {
      ui.savedLink.href = e.url;
      ui.saved.hidden = false;
      // After an error (the session was cut off), the error stays in view.
      const saved = `Saved ${clock(e.duration)} of audio.`;
      if (ui.status.className === "error") say(`${ui.status.textContent} ${saved}`, "error");
      else say(saved);
      finish();
    },
  };

  async function start() {
    ui.record.disabled = true;
    ui.saved.hidden = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
      context = new AudioContext({ sampleRate: RATE });
      await context.audioWorklet.addModule(root.dataset.worklet);
    } catch (err) {
      say(`The microphone could not be opened: ${err.message}`, "error");
      ui.record.disabled = false;
      return;
    }
    const source = context.createMediaStreamSource(stream);
    const worklet = new AudioWorkletNode(context, "pcm-frames");
    source.connect(worklet);
    worklet.port.onmessage = ({ data }) => {
      ui.level.value = Math.min(1, data.level * 4);
      if (paused || !socket) return;
      if (socket.readyState === WebSocket.CONNECTING) { waiting.push(data.pcm); return; }
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(data.pcm);
      sentSamples += data.pcm.byteLength / 2;
      ui.elapsed.textContent = clock(offset + sentSamples / RATE);
    };
    const params = new URLSearchParams({ language: ui.language.value });
    if (transcript) params.set("transcript", transcript);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}?${params}`);
    socket.onopen = () => {
      waiting.forEach((pcm) => { socket.send(pcm); sentSamples += pcm.byteLength / 2; });
      waiting = [];
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      (handlers[event.type] || (() => {}))(event);
    };
    socket.onclose = () => {
      if (context) { say("The connection closed; what arrived was saved. Record again to continue.", "error"); finish(); }
    };
    ui.pause.disabled = ui.stop.disabled = false;
    ui.language.disabled = true;
  }

  function togglePause() {
    paused = !paused;
    ui.pause.textContent = paused ? "Resume" : "Pause";
    ui.pause.setAttribute("aria-pressed", String(paused));
    if (paused && socket) socket.send(JSON.stringify({ type: "commit" }));
    say(paused ? "Paused." : "Recording…");
  }

  function stop() {
    ui.stop.disabled = ui.pause.disabled = true;
    paused = true;
    say("Saving…");
    socket.send(JSON.stringify({ type: "stop" }));
  }

  function finish() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (context) context.close();
    context = stream = null;
    paused = false;
    sentSamples = 0;
    ui.record.disabled = false;
    ui.record.textContent = "Record more";
    ui.pause.disabled = ui.stop.disabled = true;
    ui.pause.textContent = "Pause";
    ui.level.value = 0;
  }

  ui.record.addEventListener("click", start);
  ui.pause.addEventListener("click", togglePause);
  ui.stop.addEventListener("click", stop);
})();
