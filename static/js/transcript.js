// Follow-along playback: clicking a word, a timestamp, a chapter, a keyword, an entity or a point
// of the sentiment plot seeks; the spoken word and the current chapter are highlighted.
(() => {
  const player = document.getElementById("player");
  const container = document.getElementById("transcript");
  if (!player) return;
  let words = [], starts = [];
  const index = () => {
    words = container ? Array.from(container.querySelectorAll(".w")) : [];
    starts = words.map((w) => parseFloat(w.dataset.start));
  };
  index();
  // While the job runs, segments arrive by polling: follow-along covers them too.
  document.body.addEventListener("htmx:afterSwap", (event) => { if (container?.contains(event.detail.elt)) index(); });
  const chapters = Array.from(document.querySelectorAll(".chapters li"));
  let current = null;

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek], #transcript .w");
    if (!target) return;
    const time = parseFloat(target.dataset.seek ?? target.dataset.start);
    if (Number.isNaN(time)) return;
    player.currentTime = time;
    userScrolled = 0;  // a click asks to follow from there
    player.play().catch(() => {});  // autoplay rules may refuse; the seek still holds
    highlight(time);
  });

  // The last word that starts at or before `time` (binary search: transcripts can be long).
  function wordAt(time) {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= time) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found >= 0 ? words[found] : null;
  }

  function highlight(time) {
    chapters.forEach((c) => c.classList.toggle(
      "current", parseFloat(c.dataset.start) <= time && time < parseFloat(c.dataset.end)));
    const word = wordAt(time + 0.01);
    if (word === current) return;
    current?.classList.remove("current");
    current = word;
    if (!word) return;
    word.classList.add("current");
    if (Date.now() - userScrolled < 4000) return;  // the reader is looking elsewhere: leave them
    // In view means below the sticky player bar and above the bottom of the window.
    const top = bar ? bar.getBoundingClientRect().bottom : 0, rect = word.getBoundingClientRect();
    if (rect.top < top || rect.bottom > window.innerHeight) word.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // Following the audio must not fight someone scrolling the page themselves.
  const bar = document.querySelector(".player-bar");
  let userScrolled = 0;
  ["wheel", "touchmove"].forEach((type) => window.addEventListener(type, () => { userScrolled = Date.now(); }, { passive: true }));

  player.addEventListener("timeupdate", () => highlight(player.currentTime));
  player.addEventListener("seeked", () => highlight(player.currentTime));

  // A link to a moment (`#t=83.2`, as library search gives) opens the page there.
  const moment = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
  if (moment) {
    const time = parseFloat(moment[1]);
    highlight(time);
    const seek = () => { player.currentTime = time; };
    if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
  }
  if (!container) return;

  // Search within the transcript: marks matching segments and jumps to the first.
  const find = document.getElementById("find"), count = document.getElementById("find-count");
  find?.addEventListener("input", () => {
    const query = find.value.trim().toLowerCase();
    let matches = 0;
    container.querySelectorAll(".segment").forEach((segment) => {
      const spoken = spokenText(segment);
      const hit = query && spoken.toLowerCase().includes(query);  // not the timestamps
      segment.classList.toggle("match", Boolean(hit));
      segment.classList.toggle("dimmed", Boolean(query) && !hit);
      if (hit && ++matches === 1) segment.scrollIntoView({ block: "center" });
    });
    count.textContent = query ? `${matches} match${matches === 1 ? "" : "es"}` : "";
  });

  // What a segment says: its words and the spaces between them, not its buttons or flags.
  function spokenText(segment) {
    const words = segment.querySelector(".seg-words");
    if (words) return words.textContent.replace(/\s+/g, " ");
    return Array.from(segment.childNodes)
      .filter((node) => node.nodeName !== "BUTTON")
      .map((node) => node.textContent).join("").replace(/\s+/g, " ");
  }

  // Entity highlights, all or one type at a time.
  document.querySelectorAll("[data-entity-filter]").forEach((button) => {
    button.addEventListener("click", () => {
      const type = button.dataset.entityFilter;
      document.querySelectorAll("[data-entity-filter]").forEach((b) => b.classList.toggle("selected", b === button));
      container.querySelectorAll(".w.ent").forEach((w) => {
        w.classList.toggle("ent-off", type === "none" || (type !== "all" && w.dataset.entity !== type));
      });
    });
  });

  // Reassigning a segment: the speaker button opens one shared dialog aimed at that segment.
  const dialog = document.getElementById("reassign");
  if (!dialog) return;
  const form = document.getElementById("reassign-form");
  container.addEventListener("click", (event) => {
    const button = event.target.closest(".spk");
    if (!button) return;
    form.action = button.dataset.action;
    form.speaker.value = button.dataset.speaker;
    const segment = button.closest(".segment");
    document.getElementById("reassign-text").textContent = spokenText(segment).trim();
    dialog.showModal();
  });
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
})();
