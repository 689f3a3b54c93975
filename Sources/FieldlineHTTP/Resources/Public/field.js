// The technician's pages (TC6): the job list and a job's chat stay current from the live socket
// (which only carries events of the technician's own jobs), a Refresh button re-reads on demand,
// and replies go out without a page load.
(() => {
  "use strict";
  const live = window.FieldlineLive;

  // Replaces the holder's content with a fresh copy only when it changed, so nothing flickers.
  const swap = async (holder, url) => {
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = document.createElement("div");
      fresh.innerHTML = await response.text();
      if (fresh.innerHTML !== holder.innerHTML) holder.innerHTML = fresh.innerHTML;
    } catch { /* the next event, reconnect or tap refreshes again */ }
  };

  const debounce = (fn, wait) => {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), wait); };
  };

  // My jobs: any change to one of my threads, or a reconnect, re-reads the list.
  const listPage = document.querySelector("[data-field-list]");
  if (listPage) {
    const holder = document.getElementById("field-list");
    const refresh = debounce(() => swap(holder, holder.dataset.listUrl), 100);
    listPage.querySelector("[data-field-refresh]")?.addEventListener("click", refresh);
    live?.on((message) => {
      if (["message", "conversation", "catch-up"].includes(message.type)) refresh();
    });
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
  }

  // One job: the thread re-reads (and counts as read while the page is in front).
  const jobPage = document.querySelector("[data-field-job]");
  if (!jobPage) return;
  const holder = document.getElementById("field-thread");
  const scrollDown = () => {
    const thread = document.getElementById("thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  };
  const setupComposer = () => {
    const composer = holder.querySelector("form[data-field-composer]");
    if (!composer || composer.dataset.ready) return;
    composer.dataset.ready = "1";
    window.FieldlineSms?.setupCounter(composer.querySelector("textarea"));
    window.FieldlineComposer.attach(composer, { onSent: () => refresh() });
  };
  // Only the messages are swapped while the thread is there, so the composer (and whatever the
  // technician is typing) stays; the whole part is replaced when the thread comes or goes.
  const refresh = async () => {
    const read = document.visibilityState === "visible" ? "?read=1" : "";
    let html;
    try {
      const response = await fetch(jobPage.dataset.threadUrl + read, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      html = await response.text();
    } catch { return; /* the next event, reconnect or visit refreshes again */ }
    const fresh = document.createElement("div");
    fresh.innerHTML = html;
    const freshThread = fresh.querySelector("#thread");
    const currentThread = holder.querySelector("#thread");
    if (freshThread && currentThread) {
      if (freshThread.innerHTML !== currentThread.innerHTML) {
        currentThread.innerHTML = freshThread.innerHTML;
        scrollDown();
      }
      return;
    }
    const freshNote = fresh.querySelector("[data-chat-unavailable]");
    const currentNote = holder.querySelector("[data-chat-unavailable]");
    if (freshNote && currentNote && freshNote.innerHTML === currentNote.innerHTML) return;
    holder.innerHTML = html;
    setupComposer();
    scrollDown();
  };
  const refreshSoon = debounce(refresh, 100);
  live?.on((message) => {
    if (["message", "status", "media", "conversation", "catch-up"].includes(message.type)) refreshSoon();
  });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshSoon(); });
  setupComposer();
  scrollDown();
})();
