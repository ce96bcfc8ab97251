// The upload form's progress bar while a large file is sent. Here, not in an hx-on attribute:
// the Content-Security-Policy allows no inline script (htmx would need 'unsafe-eval').
document.addEventListener("htmx:xhr:progress", (event) => {
  const form = event.target.closest ? event.target.closest("#upload-form") : null;
  const bar = form && form.querySelector("#upload-progress");
  if (!bar || !event.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = (100 * event.detail.loaded) / event.detail.total;
});
