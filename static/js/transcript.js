// Follow-along playback: clicking a word or timestamp seeks; the spoken word is highlighted.
(() => {
  const player = document.getElementById("player");
  const container = document.getElementById("transcript");
  if (!player || !container) return;
  const words = Array.from(container.querySelectorAll(".w"));
  const starts = words.map((w) => parseFloat(w.dataset.start));
  let current = null;

  container.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek], .w");
    if (!target) return;
    const time = parseFloat(target.dataset.seek ?? target.dataset.start);
    if (Number.isNaN(time)) return;
    player.currentTime = time;
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
    const word = wordAt(time + 0.01);
    if (word === current) return;
    current?.classList.remove("current");
    current = word;
    if (!word) return;
    word.classList.add("current");
    const box = container.getBoundingClientRect(), rect = word.getBoundingClientRect();
    if (rect.top < box.top || rect.bottom > box.bottom) word.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  player.addEventListener("timeupdate", () => highlight(player.currentTime));
  player.addEventListener("seeked", () => highlight(player.currentTime));

  // Search within the transcript: marks matching segments and jumps to the first.
  const find = document.getElementById("find"), count = document.getElementById("find-count");
  find?.addEventListener("input", () => {
    const query = find.value.trim().toLowerCase();
    let matches = 0;
    container.querySelectorAll(".segment").forEach((segment) => {
      const spoken = Array.from(segment.querySelectorAll(".w"), (w) => w.textContent).join("");
      const hit = query && spoken.toLowerCase().includes(query);  // not the timestamps
      segment.classList.toggle("match", Boolean(hit));
      segment.classList.toggle("dimmed", Boolean(query) && !hit);
      if (hit && ++matches === 1) segment.scrollIntoView({ block: "center" });
    });
    count.textContent = query ? `${matches} match${matches === 1 ? "" : "es"}` : "";
  });
})();
