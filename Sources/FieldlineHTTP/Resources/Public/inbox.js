// The inbox page (CH2–CH5): keeps the list and the open conversation current from the live
// socket, sends replies without a page load, and shows who else is viewing or typing.
(() => {
  "use strict";
  const root = document.querySelector("[data-inbox]");
  if (!root) return;
  const live = window.FieldlineLive;
  const list = document.getElementById("inbox-list");
  const conversationId = root.dataset.conversation || null;
  const partsUrl = root.dataset.partsUrl;

  const debounce = (fn, wait) => {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), wait); };
  };

  const threadAtBottom = () => {
    const thread = document.getElementById("thread");
    return !thread || thread.scrollHeight - thread.scrollTop - thread.clientHeight < 60;
  };
  const scrollThreadDown = () => {
    const thread = document.getElementById("thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  };

  let listHTML = list.innerHTML;
  const refreshList = debounce(async () => {
    try {
      const response = await fetch(list.dataset.listUrl, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const html = await response.text();
      // Unchanged lists stay as they are, so nothing flickers or loses focus.
      if (html !== listHTML) { list.innerHTML = html; listHTML = html; }
    } catch { /* the next event or reconnect refreshes again */ }
  }, 120);

  // Header and thread always; the panel only when nobody is typing into it. A text arriving
  // here is read when the thread is on screen: the wish to mark read survives the debounce, since
  // an inbound text's "message" event is followed at once by its "conversation" event.
  let pendingRead = false;
  let unreadWhileHidden = false;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && unreadWhileHidden) {
      unreadWhileHidden = false;
      refreshParts(true);
    }
  });
  const refreshParts = (markRead) => {
    pendingRead = pendingRead || markRead;
    fetchParts();
  };
  const fetchParts = debounce(async () => {
    if (!partsUrl) return;
    const markRead = pendingRead;
    pendingRead = false;
    try {
      const read = markRead && document.visibilityState === "visible";
      // Arrived while the tab was hidden: read it when the person comes back to it.
      if (markRead && !read) unreadWhileHidden = true;
      const response = await fetch(partsUrl + (read ? "?read=1" : ""), { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const stick = threadAtBottom();
      for (const fresh of holder.querySelectorAll(":scope > [data-part]")) {
        const current = root.querySelector(`[data-part="${fresh.dataset.part}"]`);
        if (!current) continue;
        if (fresh.dataset.part === "panel" &&
            (current.contains(document.activeElement) || current.querySelector("details[open]"))) continue;
        if (current.innerHTML !== fresh.innerHTML) current.innerHTML = fresh.innerHTML;
      }
      if (stick) scrollThreadDown();
    } catch { /* as above */ }
  }, 80);

  // Presence (CH5): who else has this conversation open, and who is typing for how long.
  const others = new Map();
  const presenceBox = root.querySelector("[data-presence]");
  const seconds = (since) => Math.max(0, Math.round((live.serverNow() - Date.parse(since)) / 1000));
  const renderPresence = () => {
    if (!presenceBox) return;
    const now = Date.now();
    for (const [id, other] of others) if (now - other.seenAt > 25000 || other.state === "left") others.delete(id);
    const typing = [...others.values()].filter((other) => other.state === "typing");
    const viewing = [...others.values()].filter((other) => other.state !== "typing");
    const parts = typing.map((other) => `${other.name} is typing · ${seconds(other.typingSince)} s`);
    if (viewing.length) parts.push(`Also viewing: ${viewing.map((other) => other.name).join(", ")}`);
    presenceBox.textContent = parts.join(" — ");
    presenceBox.classList.toggle("presence-typing", typing.length > 0);
  };
  setInterval(renderPresence, 1000);

  let myState = "viewing";
  const announce = (state) => {
    if (!conversationId || !live) return;
    myState = state;
    live.send({ type: "presence", conversationId, state });
  };

  if (live) {
    live.on((message) => {
      switch (message.type) {
        case "message":
        case "conversation":
          refreshList();
          if (message.conversationId === conversationId) refreshParts(message.type === "message");
          break;
        case "status":
        case "media":
          if (message.conversationId === conversationId) refreshParts(false);
          break;
        case "presence": {
          if (message.conversationId !== conversationId || message.userId === live.userId) break;
          const known = others.get(message.userId);
          const typingSince = message.state === "typing"
            ? (known && known.state === "typing" ? known.typingSince : message.since) : null;
          others.set(message.userId, { name: message.name, state: message.state, typingSince, seenAt: Date.now() });
          // A newcomer learns at once that we are here too.
          if (!known && message.state !== "left") announce(myState);
          renderPresence();
          break;
        }
        case "catch-up":
          refreshList();
          refreshParts(false);
          break;
        case "hello":
          announce("viewing");
          break;
      }
    });
    if (conversationId) {
      setInterval(() => announce(myState), 10000);
      window.addEventListener("pagehide", () => announce("left"));
    }
  }

  // The composer: Enter sends, the send happens without a page load, errors show in place.
  const composer = root.querySelector("form[data-composer]");
  if (composer) {
    const box = composer.querySelector("textarea");
    let stopTyping;
    box.addEventListener("input", () => {
      if (myState !== "typing") announce("typing");
      clearTimeout(stopTyping);
      stopTyping = setTimeout(() => announce("viewing"), 4000);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    window.FieldlineComposer.attach(composer, {
      keepFocus: true,
      onSent() {
        clearTimeout(stopTyping);
        announce("viewing");
        refreshParts(false);
        refreshList();
      },
    });
  }

  // Keyboard: "/" searches; ↑ and ↓ move through the list.
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      root.querySelector(".inbox-search input[type=search]")?.focus();
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && event.target.closest?.(".conversation-link")) {
      event.preventDefault();
      const links = [...list.querySelectorAll(".conversation-link")];
      const next = links[links.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1)];
      next?.focus();
    }
  });

  scrollThreadDown();
  if (conversationId) document.getElementById("composer-body")?.focus({ preventScroll: true });
})();
