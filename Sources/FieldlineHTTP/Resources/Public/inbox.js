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
  const pageQuery = new URLSearchParams(location.search);
  const dom = window.FieldlineDom;
  const wide = () => window.matchMedia("(min-width: 901px)").matches;

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

  // The open conversation keeps its place in the list while it is open: opening it reads it,
  // which would sort it below the unread ones, right under the pointer that clicked it.
  const conversationItems = (container) => [...container.querySelectorAll("li.conversation")];
  const pinOpenConversation = (container, index) => {
    const items = conversationItems(container);
    const open = items.find((item) => item.dataset.conversationId === conversationId);
    if (!open || index < 0) return;
    const others = items.filter((item) => item !== open);
    const before = others[index] ?? null;
    if (before) before.before(open);
    else if (others.length) others[others.length - 1].after(open);
  };
  const pickKey = "fieldline:inbox-pick";
  list.addEventListener("click", (event) => {
    const item = event.target.closest?.(".conversation-link")?.closest("li.conversation");
    if (!item) return;
    try {
      sessionStorage.setItem(pickKey, JSON.stringify({
        id: item.dataset.conversationId, index: conversationItems(list).indexOf(item), scroll: list.scrollTop, at: Date.now(),
      }));
    } catch { /* storage off: the list simply shows the server's order */ }
  });
  if (conversationId) {
    try {
      const pick = JSON.parse(sessionStorage.getItem(pickKey) || "null");
      sessionStorage.removeItem(pickKey);
      if (pick && pick.id === conversationId && Date.now() - pick.at < 60000) {
        pinOpenConversation(list, pick.index);
        list.scrollTop = pick.scroll;
      }
    } catch { /* as above */ }
  }

  // Live refreshes are merged in (FieldlineDom.merge): what did not change is not touched, and
  // a part someone is using keeps what they typed or opened. A part held back that way, or one
  // with text selected in it, is refreshed again once they are done with it.
  let listHTML = null;
  let listStale = false;
  const refreshList = debounce(async () => {
    try {
      const response = await fetch(list.dataset.listUrl, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const html = await response.text();
      if (html === listHTML && !listStale) return;
      const fresh = document.createElement("div");
      fresh.innerHTML = html;
      if (dom.selecting(list)) { listStale = true; return; }
      pinOpenConversation(fresh, conversationItems(list).findIndex((item) => item.dataset.conversationId === conversationId));
      listStale = dom.merge(list, fresh);
      listHTML = html;
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
  let partsStale = false;
  const fetchParts = debounce(async () => {
    if (!partsUrl) return;
    const markRead = pendingRead;
    pendingRead = false;
    try {
      const read = markRead && document.visibilityState === "visible";
      // Arrived while the tab was hidden: read it when the person comes back to it.
      if (markRead && !read) unreadWhileHidden = true;
      // The page's own query (the panel's customer search), so the panel comes back the same.
      const query = new URLSearchParams();
      if (pageQuery.has("attach")) query.set("attach", pageQuery.get("attach"));
      if (read) query.set("read", "1");
      const response = await fetch(partsUrl + (String(query) ? `?${query}` : ""), { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const stick = threadAtBottom();
      let stale = false;
      for (const fresh of holder.querySelectorAll(":scope > [data-part]")) {
        const current = root.querySelector(`[data-part="${fresh.dataset.part}"]`);
        if (!current) continue;
        if (fresh.dataset.part === "composer") { swapComposer(current, fresh); continue; }
        if (dom.selecting(current)) { stale = true; continue; }
        if (dom.merge(current, fresh)) stale = true;
      }
      partsStale = stale;
      showPanelState();
      if (stick) scrollThreadDown();
    } catch { /* as above */ }
  }, 80);
  const refreshIfStale = debounce(() => {
    if (partsStale) { partsStale = false; refreshParts(false); }
    if (listStale) refreshList();
  }, 250);
  root.addEventListener("focusout", refreshIfStale);
  root.addEventListener("toggle", refreshIfStale, true);
  root.addEventListener("mouseup", refreshIfStale);

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
  const setupComposer = (composer) => {
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
  };
  const composer = root.querySelector("form[data-composer]");
  if (composer) setupComposer(composer);

  // The composer part changes only when the conversation can or cannot be answered any more (a
  // STOP or START, a block): a composer that stays is never touched, and a draft left when it
  // went away comes back with it.
  let draft = "";
  function swapComposer(current, fresh) {
    const form = current.querySelector("form[data-composer]");
    const freshForm = fresh.querySelector("form[data-composer]");
    if (form && freshForm) return;
    if (!form && !freshForm) { dom.merge(current, fresh); return; }
    if (form) draft = form.querySelector("textarea").value;
    current.replaceChildren(...fresh.childNodes);
    if (freshForm) {
      const box = freshForm.querySelector("textarea");
      box.value = draft;
      window.FieldlineSms?.setupCounter(box);
      setupComposer(freshForm);
    }
  }

  // Below 1200 px the customer panel is a drawer: "Customer" in the header opens it, its own
  // button or Escape closes it. A search from the panel comes back with it open.
  const showPanelState = () => {
    const open = root.classList.contains("inbox-panel-open");
    for (const toggle of root.querySelectorAll(".inbox-header [data-panel-toggle]")) toggle.setAttribute("aria-expanded", String(open));
  };
  const setPanel = (open, moveFocus) => {
    root.classList.toggle("inbox-panel-open", open);
    showPanelState();
    if (moveFocus) root.querySelector(open ? ".inbox-panel-head [data-panel-toggle]" : ".inbox-header [data-panel-toggle]")?.focus();
  };
  root.addEventListener("click", (event) => {
    if (!event.target.closest?.("[data-panel-toggle]")) return;
    event.preventDefault();
    setPanel(!root.classList.contains("inbox-panel-open"), true);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && root.classList.contains("inbox-panel-open") &&
        !event.target.closest?.("input, textarea, select")) setPanel(false, true);
  });
  if (pageQuery.has("attach")) setPanel(true, false);

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
  // On a desktop the cursor waits in the reply box (or back in the customer search just run); on a
  // phone nothing is focused, so the keyboard does not cover the thread.
  if (conversationId && wide()) {
    const search = pageQuery.has("attach") ? root.querySelector("[data-part=panel] input[name=attach]") : null;
    const target = search ?? document.getElementById("composer-body");
    target?.focus({ preventScroll: true });
    if (search) search.setSelectionRange(search.value.length, search.value.length);
  }
})();
