// Fieldline live updates: one authenticated WebSocket per tab (/live), reconnecting with backoff.
// Pages subscribe with FieldlineLive.on(fn); the unread badge in the navigation bar (CH3) and the
// tab title are kept current here for every page.

// FieldlineDom.merge(current, fresh): puts a fresh server render into the page for a live refresh,
// touching only what changed. Nothing a person is using is replaced or removed: a focused or edited
// field keeps its text, cursor and focus, a <details> stays open or closed as they left it, and a
// form the fresh render no longer has stays while they are still working in that part (an edited
// field anywhere in it has focus). Returns true when something was kept back that way: merge
// again once they are done.
(() => {
  "use strict";
  const fields = "input, textarea, select, [contenteditable]";
  const edited = (el) => {
    if (el instanceof HTMLTextAreaElement) return el.value !== el.defaultValue;
    if (el instanceof HTMLInputElement) {
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      return el.type === "file" ? el.files.length > 0 : el.value !== el.defaultValue;
    }
    if (el instanceof HTMLSelectElement) {
      const options = [...el.options];
      if (el.multiple) return options.some((option) => option.selected !== option.defaultSelected);
      const defaults = options.filter((option) => option.defaultSelected);
      return el.selectedIndex !== (defaults.length ? options.indexOf(defaults[defaults.length - 1]) : 0);
    }
    return false;
  };
  const typingIn = (el) => el === document.activeElement && el.matches(fields);
  const focusedField = () => (document.activeElement?.matches(fields) ? document.activeElement : null);
  const inUse = (node, state) => node.nodeType === 1 && (
    node.contains(focusedField()) ||
    node.matches("details[open]") || node.querySelector("details[open]") !== null ||
    (state.busy && (node.matches(fields) ? edited(node) : [...node.querySelectorAll("input, textarea, select")].some(edited))));
  const keyOf = (node) => node.nodeType === 1
    ? node.id || node.getAttribute("data-conversation-id") || node.getAttribute("data-part") || "" : "";
  const signature = (node) => node.nodeName + (node.nodeType === 1 ? "." + (node.getAttribute("class") ?? "") : "");

  const syncAttributes = (current, fresh) => {
    const keepOpen = current.tagName === "DETAILS";
    for (const { name } of [...current.attributes]) {
      if (!fresh.hasAttribute(name) && !(keepOpen && name === "open")) current.removeAttribute(name);
    }
    for (const { name, value } of [...fresh.attributes]) {
      if (!(keepOpen && name === "open") && current.getAttribute(name) !== value) current.setAttribute(name, value);
    }
  };

  const morph = (current, fresh, state) => {
    if (current.nodeType !== 1) {
      if (current.nodeValue !== fresh.nodeValue) current.nodeValue = fresh.nodeValue;
      return;
    }
    if (current.isEqualNode(fresh)) return;
    if (current.matches(fields) && (typingIn(current) || edited(current))) { state.kept = true; return; }
    syncAttributes(current, fresh);
    if (current instanceof HTMLTextAreaElement) {
      current.defaultValue = fresh.defaultValue;
      current.value = fresh.defaultValue;
      return;
    }
    morphChildren(current, fresh, state);
    if (current instanceof HTMLInputElement && current.type !== "file") {
      current.value = current.defaultValue;
      current.checked = current.defaultChecked;
    } else if (current instanceof HTMLSelectElement) {
      for (const option of current.options) option.selected = option.defaultSelected;
      if (!current.multiple && ![...current.options].some((option) => option.defaultSelected)) current.selectedIndex = 0;
    }
  };

  const morphChildren = (current, fresh, state) => {
    const keyed = new Map();
    for (const child of current.childNodes) { const key = keyOf(child); if (key) keyed.set(key, child); }
    let pointer = current.firstChild;
    for (const next of [...fresh.childNodes]) {
      const key = keyOf(next);
      let match = null;
      if (key) {
        match = keyed.get(key) ?? null;
        if (match && match.nodeName !== next.nodeName) match = null;
        if (match) keyed.delete(key);
      } else {
        for (let probe = pointer; probe; probe = probe.nextSibling) {
          if (!keyOf(probe) && signature(probe) === signature(next)) { match = probe; break; }
        }
        if (!match && pointer && !keyOf(pointer) && pointer.nodeName === next.nodeName) match = pointer;
      }
      if (match) {
        if (match === pointer) pointer = pointer.nextSibling;
        else current.insertBefore(match, pointer);
        morph(match, next, state);
      } else {
        current.insertBefore(next, pointer);
      }
    }
    while (pointer) {
      const following = pointer.nextSibling;
      if (inUse(pointer, state)) state.kept = true;
      else pointer.remove();
      pointer = following;
    }
  };

  window.FieldlineDom = {
    merge(current, fresh) {
      const active = document.activeElement;
      let range = null;
      try { if (active && typeof active.selectionStart === "number") range = [active.selectionStart, active.selectionEnd, active.selectionDirection]; } catch { /* no caret */ }
      const state = { kept: false, busy: current.contains(focusedField()) };
      morphChildren(current, fresh, state);
      // Moving a node (the list reordering around it) drops focus: give it back, caret and all.
      if (active && active !== document.body && active.isConnected && document.activeElement !== active) {
        active.focus({ preventScroll: true });
        if (range) try { active.setSelectionRange(...range); } catch { /* not a text field */ }
      }
      return state.kept;
    },
    /** Whether the person has text selected (to copy, say) inside `element`. */
    selecting(element) {
      const selection = document.getSelection();
      return Boolean(selection && !selection.isCollapsed && selection.rangeCount &&
        element.contains(selection.getRangeAt(0).commonAncestorContainer));
    },
  };
})();

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

  // Team texts (FS7) on Today and the board page refresh when one arrives: merged in, so the
  // card's header and the texts already shown stay as they are; while someone is selecting text
  // in a board, that board waits until they are done.
  const boards = document.querySelectorAll("[data-board-feed]");
  if (boards.length) {
    const refreshBoard = async (board) => {
      try {
        const response = await fetch(board.dataset.feedUrl, { headers: { Accept: "text/html" } });
        if (!response.ok) return;
        const fresh = document.createElement("div");
        fresh.innerHTML = await response.text();
        if (window.FieldlineDom.selecting(board)) {
          board.dataset.stale = "1";
          return;
        }
        const header = board.querySelector(":scope > .card-header");
        if (header) fresh.prepend(header.cloneNode(true));
        delete board.dataset.stale;
        window.FieldlineDom.merge(board, fresh);
      } catch { /* the next text refreshes again */ }
    };
    window.FieldlineLive.on((message) => {
      if (message.type === "board" || message.type === "catch-up") boards.forEach(refreshBoard);
    });
    document.addEventListener("selectionchange", () => {
      for (const board of boards) {
        if (board.dataset.stale && !window.FieldlineDom.selecting(board)) {
          delete board.dataset.stale;
          refreshBoard(board);
        }
      }
    });
  }
})();
