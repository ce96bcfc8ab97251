// Every page: the navigation menu on narrow screens, and forms that cannot be sent twice.
(() => {
  // Without this script the menu simply wraps; with it, narrow screens get a Menu button.
  const toggle = document.getElementById("nav-toggle");
  const topbar = toggle?.closest(".topbar");
  if (toggle && topbar) {
    toggle.hidden = false;
    topbar.classList.add("collapsible");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      topbar.classList.toggle("open", open);
    });
  }

  // A double click on a submit button must not create two jobs. Plain (non-htmx) forms
  // disable their buttons once sent; htmx forms get the same through hx-disabled-elt.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || form.hasAttribute("hx-post") || form.method.toLowerCase() !== "post") return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // Disabled after this turn, so the pressed button's name and value are still sent.
    setTimeout(() => form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => {
      b.disabled = true;
      b.setAttribute("aria-busy", "true");
    }));
  });
  // A page restored from the back/forward cache must be usable again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach((form) => {
      delete form.dataset.sent;
      form.querySelectorAll("button[aria-busy]").forEach((b) => { b.disabled = false; b.removeAttribute("aria-busy"); });
    });
  });

  // htmx forms that do not name their own hx-disabled-elt: their buttons wait for the answer.
  const busy = (form, on) => form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => {
    b.disabled = on;
    b.toggleAttribute("aria-busy", on);
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (form.tagName === "FORM" && !form.closest("[hx-disabled-elt]")) busy(form, true);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (form.tagName === "FORM" && !form.closest("[hx-disabled-elt]")) busy(form, false);
  });

  // Copy buttons (a new API key): the text of the element they name, with a word that it worked.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy).textContent.trim();
      const said = document.querySelector(`[data-copied="${button.dataset.copy}"]`);
      try {
        await navigator.clipboard.writeText(text);
        said.textContent = "Copied.";
      } catch {
        window.getSelection().selectAllChildren(document.getElementById(button.dataset.copy));
        said.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
      }
    });
  });

  // Focus across swaps: a button disabled while its request runs loses focus to the page, and
  // the swap replaces it; give focus back to the element of the same id, so a keyboard or
  // screen reader user is not sent back to the top.
  let focusedId = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.matches("form, button")) focusedId = document.activeElement?.id || null;  // not polls
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!focusedId || (document.activeElement && document.activeElement !== document.body)) return;
    document.getElementById(focusedId)?.focus({ preventScroll: true });
    focusedId = null;
  });
})();
