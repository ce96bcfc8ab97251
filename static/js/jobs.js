// Job progress pushed over a socket: with a shared channel layer, progress parts carry
// data-job-push="<kind>:<id>" and data-job-url instead of polling. Each update the server
// announces for the user's jobs makes the parts of that job fetch their new state once (one
// request at a time per part; updates that come meanwhile make one more). While the socket
// is down the parts poll at their data-job-every pace ("" never), and catch up when it is back.
(() => {
  const PARTS = "[data-job-push]";
  const busy = new Map(); // part id → another update came while its request ran
  let socket = null;
  let live = false;
  let down = false; // the socket closed (or never opened): poll until it is back
  let retry = 1000;

  const refresh = (part) => {
    if (!part.id || !part.isConnected) return;
    if (busy.has(part.id)) { busy.set(part.id, true); return; }
    busy.set(part.id, false);
    htmx.ajax("GET", part.dataset.jobUrl, { source: part, target: part, swap: "outerHTML" })
      .catch(() => {})
      .finally(() => {
        const again = busy.get(part.id);
        busy.delete(part.id);
        const now = document.getElementById(part.id);
        if (again && now?.matches(PARTS)) refresh(now);
      });
  };
  const refreshAll = (key) => document.querySelectorAll(PARTS).forEach((part) => {
    if (key === undefined || part.dataset.jobPush === key) refresh(part);
  });

  // The fallback: each part polls at its own pace while the socket is down.
  const due = new Map();
  let polling = null;
  const poll = () => {
    if (live || !down) return;
    const now = Date.now();
    document.querySelectorAll(PARTS).forEach((part) => {
      const every = parseFloat(part.dataset.jobEvery) * (part.dataset.jobEvery?.endsWith("ms") ? 1 : 1000);
      if (!every) return;
      if ((due.get(part.id) ?? 0) <= now) {
        due.set(part.id, now + every);
        refresh(part);
      }
    });
  };

  const connect = () => {
    if (socket || !document.querySelector(PARTS)) return;
    polling ??= setInterval(poll, 250);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws/jobs/`);
    socket.addEventListener("open", () => {
      live = true;
      down = false;
      retry = 1000;
      document.body.dataset.jobsLive = "";
      refreshAll(); // what changed before the socket was open
    });
    socket.addEventListener("message", (event) => {
      const update = JSON.parse(event.data);
      refreshAll(`${update.kind}:${update.id}`);
    });
    socket.addEventListener("close", () => {
      socket = null;
      live = false;
      down = true;
      delete document.body.dataset.jobsLive;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  };
  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:afterSettle", connect);
  if (document.readyState !== "loading") connect();
})();
