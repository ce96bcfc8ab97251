// The transcript page's player bar: play/pause, ±5 s, speed, and the same from the keyboard
// (K, J/←, L/→, <, >, / to search, ? for help). Keys rest while focus is in a field.
(() => {
  const player = document.getElementById("player");
  const toggle = document.getElementById("play-toggle");
  if (!player || !toggle) return;
  const speed = document.getElementById("play-speed");
  const help = document.getElementById("shortcuts");
  const rates = Array.from(speed.options).map((o) => parseFloat(o.value));

  const playPause = () => (player.paused ? player.play().catch(() => {}) : player.pause());
  const skip = (seconds) => {
    const end = Number.isFinite(player.duration) ? player.duration : Infinity;
    player.currentTime = Math.min(Math.max(player.currentTime + seconds, 0), end);
  };
  const setRate = (rate) => { player.playbackRate = rate; speed.value = String(rate); };
  const stepRate = (step) => {
    const index = rates.indexOf(player.playbackRate);
    const next = rates[Math.min(Math.max((index < 0 ? rates.indexOf(1) : index) + step, 0), rates.length - 1)];
    setRate(next);
  };
  const showState = () => {
    toggle.textContent = player.paused ? "Play" : "Pause";
    toggle.setAttribute("aria-pressed", String(!player.paused));
  };

  // One sound at a time: the recording pauses while "read aloud" plays, and the other way round.
  document.addEventListener("play", (event) => {
    document.querySelectorAll("audio, video").forEach((media) => { if (media !== event.target) media.pause(); });
  }, true);

  toggle.addEventListener("click", playPause);
  document.querySelectorAll("[data-skip]").forEach((b) => b.addEventListener("click", () => skip(parseFloat(b.dataset.skip))));
  speed.addEventListener("change", () => setRate(parseFloat(speed.value)));
  ["play", "pause", "ended"].forEach((type) => player.addEventListener(type, showState));
  let openedFrom = null;
  const showHelp = () => { openedFrom = document.activeElement; help.showModal(); };
  document.getElementById("shortcuts-open")?.addEventListener("click", showHelp);
  // Chromium does not always hand focus back when a modal closes (Escape): focus then stays on
  // the hidden Close button, inside a dialog, where every shortcut rests. Hand it back here.
  help.addEventListener("close", () => {
    if (!help.contains(document.activeElement)) return;
    if (openedFrom && openedFrom !== document.body && openedFrom.isConnected) openedFrom.focus();
    else document.activeElement.blur();
  });

  // An open dialog keeps its keys; a closed one may still hold focus for a moment (above).
  const typing = (el) => el.closest("input, textarea, select, [contenteditable], audio, video, dialog[open]");
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const actions = {
      k: playPause, j: () => skip(-5), l: () => skip(5), ArrowLeft: () => skip(-5), ArrowRight: () => skip(5),
      "<": () => stepRate(-1), ">": () => stepRate(1), "?": showHelp,
      "/": () => document.getElementById("find")?.focus(),
    };
    // Space on a focused button presses that button; elsewhere it plays and pauses.
    if (event.key === " " && !event.target.closest("button, a, summary")) actions[" "] = playPause;
    const action = actions[event.key] ?? actions[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    action();
  });
})();
