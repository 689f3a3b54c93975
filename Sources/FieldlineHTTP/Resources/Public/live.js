// Fieldline live updates: one authenticated WebSocket per tab (/live), reconnecting with backoff.
// Pages subscribe with FieldlineLive.on(fn); the unread badge in the navigation bar (CH3) and the
// tab title are kept current here for every page.
(() => {
  "use strict";
  if (!document.querySelector(".topnav") || !("WebSocket" in window)) return;

  const listeners = new Set();
  const baseTitle = document.title;
  let socket = null;
  let retry = 1000;
  let clockOffset = 0;
  let userId = null;

  const emit = (message) => {
    for (const listener of listeners) {
      try { listener(message); } catch (error) { console.error(error); }
    }
  };

  const setUnread = (count) => {
    for (const badge of document.querySelectorAll("[data-unread-badge]")) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
      badge.setAttribute("aria-label", `${count} unread`);
    }
    document.title = count > 0 ? `(${count}) ${baseTitle}` : baseTitle;
  };

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/live`);
    socket.addEventListener("open", () => {
      retry = 1000;
      // Whatever changed while there was no socket (since the page was rendered, or while
      // reconnecting) was not pushed: pages catch up on this.
      emit({ type: "catch-up" });
      document.documentElement.dataset.live = "on";
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === "hello") {
        clockOffset = Date.parse(message.serverTime) - Date.now();
        userId = message.userId;
        if (typeof message.count === "number") setUnread(message.count);
      } else if (message.type === "unread" && typeof message.count === "number") {
        setUnread(message.count);
      }
      emit(message);
    });
    socket.addEventListener("close", () => {
      document.documentElement.dataset.live = "off";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    });
  };

  window.FieldlineLive = {
    on(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    /** The server's clock, as far as this browser can tell. */
    serverNow() { return Date.now() + clockOffset; },
    get userId() { return userId; },
  };
  connect();

  // Team texts (FS7) on Today and the board page refresh when one arrives.
  const boards = document.querySelectorAll("[data-board-feed]");
  if (boards.length) {
    window.FieldlineLive.on(async (message) => {
      if (message.type !== "board" && message.type !== "catch-up") return;
      for (const board of boards) {
        try {
          const response = await fetch(board.dataset.feedUrl, { headers: { Accept: "text/html" } });
          if (!response.ok) continue;
          const header = board.querySelector(":scope > .card-header");
          board.innerHTML = await response.text();
          if (header) board.prepend(header);
        } catch { /* the next text refreshes again */ }
      }
    });
  }
})();
