// Correcting the transcript from the keyboard: double-click a segment's text, or focus it and
// press E (or Enter); Enter saves, Esc cancels, Tab saves and edits the next segment (Shift+Tab
// the one before); Ctrl+Z outside a field undoes the last edit. Also the flag filter and the
// export option that leaves flagged segments out.
(() => {
  const container = document.getElementById("transcript");
  if (!container) return;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const undoButton = document.getElementById("undo");
  let editing = null;  // {seg, before}

  const post = (url, body) => fetch(url, {
    method: "POST", body, headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
  });
  const segments = () => Array.from(container.querySelectorAll(".segment .seg"));

  function swap(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const fresh = holder.firstElementChild;
    const old = fresh && document.getElementById(fresh.id);
    if (!old) return null;
    old.replaceWith(fresh);
    if (window.htmx) htmx.process(fresh);  // an aligning segment polls until its words are back
    fresh.closest(".segment").classList.toggle("flagged", Boolean(fresh.querySelector(".flag")));
    document.body.dispatchEvent(new CustomEvent("htmx:afterSwap", { detail: { elt: fresh } }));
    return fresh;
  }

  function start(seg) {
    if (!seg || !undoButton) return;  // not editable (the job has not finished)
    if (editing) finish(editing.seg, "save");
    const words = seg.querySelector(".seg-words");
    editing = { seg, before: words.innerHTML };
    seg.removeAttribute("hx-trigger");
    words.textContent = seg.dataset.text.trim();
    words.setAttribute("contenteditable", "plaintext-only");
    words.setAttribute("role", "textbox");
    words.setAttribute("aria-label", "Segment text");
    words.focus();
    const range = document.createRange();
    range.selectNodeContents(words);
    range.collapse(false);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }

  async function finish(seg, how, then) {
    if (!editing || editing.seg !== seg) return;
    const words = seg.querySelector(".seg-words"), text = words.textContent;
    const before = editing.before;
    editing = null;
    words.removeAttribute("contenteditable");
    words.removeAttribute("role");
    if (how === "cancel" || text.trim() === seg.dataset.text.trim()) {
      words.innerHTML = before;
      then?.();
      return;
    }
    const body = new FormData();
    body.append("text", text);
    const response = await post(seg.dataset.editUrl, body);
    if (!response.ok) {
      words.innerHTML = before;
      alert(await response.text());
      return;
    }
    swap(await response.text());
    if (undoButton) undoButton.disabled = false;
    then?.();
  }

  container.addEventListener("dblclick", (event) => {
    const seg = event.target.closest(".seg");
    if (seg && !editing) start(seg);
  });
  container.addEventListener("click", (event) => {
    const button = event.target.closest(".edit-seg");
    if (button) start(button.closest(".segment").querySelector(".seg"));
  });

  container.addEventListener("keydown", (event) => {
    const seg = event.target.closest(".seg");
    if (editing && seg === editing.seg) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); finish(seg, "save"); }
      else if (event.key === "Escape") { event.preventDefault(); finish(seg, "cancel"); }
      else if (event.key === "Tab") {
        event.preventDefault();
        const all = segments(), next = all[all.indexOf(seg) + (event.shiftKey ? -1 : 1)];
        const id = next?.id;
        finish(seg, "save", () => id && start(document.getElementById(id)));
      }
      return;
    }
  });
  // A segment's text takes focus, so E (or Enter) starts editing without the mouse.
  segments().forEach((seg) => seg.setAttribute("tabindex", "0"));
  document.body.addEventListener("htmx:afterSwap", (event) => {
    container.querySelectorAll(".seg:not([tabindex])").forEach((seg) => seg.setAttribute("tabindex", "0"));
  });
  container.addEventListener("keydown", (event) => {
    if (editing || event.ctrlKey || event.metaKey || event.altKey) return;
    const seg = event.target.classList?.contains("seg") ? event.target : null;
    if (seg && (event.key === "e" || event.key === "E" || event.key === "Enter")) {
      event.preventDefault();
      start(seg);
    }
  });

  // Undo: the button works without JavaScript; with it, the segment is swapped in place.
  document.getElementById("undo-form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    undo();
  });
  async function undo() {
    if (editing) return;
    const response = await post(document.getElementById("undo-form").action, new FormData());
    if (response.status === 204) { undoButton.disabled = true; return; }
    if (response.ok) swap(await response.text())?.focus();
  }
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if ((event.ctrlKey || event.metaKey) && event.key === "z" && !typing && undoButton) {
      event.preventDefault();
      undo();
    }
  });

  // Flags: show every segment, the flagged ones, or those with one flag.
  document.querySelectorAll("[data-flag-filter]").forEach((button) => {
    button.addEventListener("click", () => {
      const wanted = button.dataset.flagFilter;
      document.querySelectorAll("[data-flag-filter]").forEach((b) => b.classList.toggle("selected", b === button));
      container.querySelectorAll(".segment").forEach((segment) => {
        const flags = (segment.dataset.flags || "").split(" ").filter(Boolean);
        const shown = !wanted || (wanted === "any" ? flags.length > 0 : flags.includes(wanted));
        segment.hidden = !shown;
      });
    });
  });
  const drop = document.getElementById("drop-flagged");
  drop?.addEventListener("change", () => {
    document.querySelectorAll("a[href*='/export/']").forEach((link) => {
      const url = new URL(link.href);
      if (drop.checked) url.searchParams.set("drop_flagged", "1"); else url.searchParams.delete("drop_flagged");
      link.href = url.toString();
    });
  });
})();
