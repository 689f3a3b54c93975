// Fieldline — small progressive enhancements. Every page works without this file.
// Loaded as <script src="/app.js" defer></script>; no build step, no dependencies.
// Reference: docs/ui-components.md ("JavaScript hooks").
(() => {
  "use strict";

  // (a) Confirm before submitting: <form data-confirm="Delete this customer?">
  //     A submit button may carry its own data-confirm, which wins.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const message = event.submitter?.dataset.confirm ?? form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // (b) Dismissible flash messages.
  const addCloseButton = (flash) => {
    if (flash.querySelector(".flash-close")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "flash-close";
    button.setAttribute("aria-label", "Dismiss message");
    button.textContent = "\u00d7";
    button.addEventListener("click", () => flash.remove());
    flash.append(button);
  };
  document.querySelectorAll(".flash").forEach(addCloseButton);

  // (c) <select data-autosubmit> (or a checkbox) submits its form on change.
  //     requestSubmit() fires the submit event, so data-confirm still applies.
  document.addEventListener("change", (event) => {
    const control = event.target.closest?.("[data-autosubmit]");
    const form = control?.form ?? control?.closest("form");
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  });

  // (d) Client-side filter: <input type="search" data-filter-target="#customers">
  //     Target is a table (filters tbody rows) or any list (filters its children).
  //     The server-side search form keeps working without JS.
  const normalize = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ");
  const digitsOnly = (text) => text.replace(/\D+/g, "");

  const itemsOf = (target) => {
    const body = target.tBodies?.[0];
    const items = body ? Array.from(body.rows) : Array.from(target.children);
    return items.filter((el) => !el.matches(".table-empty, [data-filter-empty], [data-filter-skip]"));
  };

  const textCache = new WeakMap();
  const matches = (item, tokens) => {
    if (!textCache.has(item)) textCache.set(item, normalize(item.textContent));
    const text = textCache.get(item);
    return tokens.every((token) => {
      if (text.includes(token)) return true;
      const digits = digitsOnly(token);
      // Phone numbers: "5551234" finds "(555) 123-4567".
      return digits.length >= 3 && digits === token.replace(/[\s().+-]/g, "") &&
        digitsOnly(text).includes(digits);
    });
  };

  const emptyMarker = (target, items) => {
    let marker = target.querySelector("[data-filter-empty]");
    if (marker) return marker;
    const body = target.tBodies?.[0];
    if (body) {
      marker = body.insertRow();
      const cell = marker.insertCell();
      cell.colSpan = target.rows[0]?.cells.length || 1;
      cell.className = "table-empty";
    } else {
      marker = document.createElement(items[0]?.tagName === "LI" ? "li" : "div");
      marker.className = "empty-state empty-state-compact muted";
      target.append(marker);
    }
    marker.setAttribute("data-filter-empty", "");
    marker.hidden = true;
    return marker;
  };

  const setupFilter = (input) => {
    const target = document.querySelector(input.dataset.filterTarget);
    if (!target) return;
    const status = document.createElement("span");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    input.after(status);

    const apply = () => {
      const query = normalize(input.value.trim());
      const tokens = query ? query.split(" ") : [];
      const items = itemsOf(target);
      let shown = 0;
      for (const item of items) {
        const visible = tokens.length === 0 || matches(item, tokens);
        item.hidden = !visible;
        if (visible) shown += 1;
      }
      const marker = emptyMarker(target, items);
      marker.hidden = shown > 0 || items.length === 0;
      (marker.cells?.[0] ?? marker).textContent = `No matches for \u201c${input.value.trim()}\u201d.`;
      status.textContent = tokens.length ? `${shown} of ${items.length} shown` : "";
    };

    input.addEventListener("input", apply);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && input.value) {
        input.value = "";
        apply();
      }
    });
    if (input.value) apply();
  };
  document.querySelectorAll("input[data-filter-target]").forEach(setupFilter);

  // (e) Live SMS counter: <textarea data-sms-counter="hint-id"> writes "N characters left · 1 text ·
  //     GSM-7" into #hint-id as you type. Same rules as the server (CH10): 160 characters, GSM-7
  //     or UCS-2, segments of 153/67 once split.
  const gsmBasic = new Set(Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"));
  const gsmExtension = new Set(Array.from("\f^{}\\[~]|€"));
  const measureSms = (text) => {
    const characters = typeof Intl.Segmenter === "function"
      ? Array.from(new Intl.Segmenter().segment(text)).length : Array.from(text).length;
    let septets = 0;
    let gsm = true;
    for (const ch of Array.from(text)) {
      if (gsmBasic.has(ch)) septets += 1;
      else if (gsmExtension.has(ch)) septets += 2;
      else { gsm = false; break; }
    }
    const units = gsm ? septets : Array.from(text).reduce((n, ch) => n + (ch.codePointAt(0) > 0xffff ? 2 : 1), 0);
    const [single, split] = gsm ? [160, 153] : [70, 67];
    const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / split);
    return { characters, segments, encoding: gsm ? "GSM-7" : "Unicode" };
  };
  const setupCounter = (input) => {
    const hint = document.getElementById(input.dataset.smsCounter);
    if (!hint || input.dataset.smsReady) return;
    input.dataset.smsReady = "1";
    // data-sms-limit: text may run over the limit (nothing typed or pasted is ever dropped), but
    // the form's submit buttons wait, and the hint says why, until it is short enough again.
    const limit = Number(input.dataset.smsLimit) || 0;
    const update = () => {
      const m = measureSms(input.value.trim());
      const left = 160 - m.characters;
      const over = limit > 0 && m.characters > limit;
      hint.textContent = m.characters === 0 ? "160 characters left"
        : left >= 0
          ? `${left} character${left === 1 ? "" : "s"} left · ${m.segments} text${m.segments === 1 ? "" : "s"} · ${m.encoding}`
          : `${-left} character${left === -1 ? "" : "s"} over the 160 limit${over ? " · shorten it to send" : ""}`;
      hint.classList.toggle("sms-count-over", left < 0);
      if (!limit) return;
      input.dataset.smsOver = over ? "1" : "";
      input.setCustomValidity(over ? `${m.characters - limit} characters over the ${limit}-character limit of one text.` : "");
      if (over) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      for (const button of input.form?.querySelectorAll("button:not([type]), button[type=submit]") ?? []) {
        button.disabled = over;
      }
    };
    input.addEventListener("input", update);
    update();
  };
  document.querySelectorAll("[data-sms-counter]").forEach(setupCounter);
  // Pages that swap in a fresh composer set its counter up through this.
  window.FieldlineSms = { measure: measureSms, setupCounter };

  // A composer (<form> with a textarea, a submit button and [data-composer-error]) that sends
  // without a page load: the server answers 204 or the JSON error, which shows in place.
  window.FieldlineComposer = {
    attach(form, { onSent, keepFocus = false }) {
      const box = form.querySelector("textarea");
      const error = form.querySelector("[data-composer-error]");
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!box.value.trim() || box.dataset.smsOver === "1") return;
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        error.hidden = true;
        try {
          const response = await fetch(form.action, {
            method: "POST", body: new URLSearchParams(new FormData(form)),
            headers: { Accept: "application/json" },
          });
          if (response.ok) {
            box.value = "";
            box.dispatchEvent(new Event("input"));
            await onSent?.();
          } else {
            const body = await response.json().catch(() => null);
            error.textContent = body?.error?.message ?? "The text could not be sent. Try again.";
            error.hidden = false;
          }
        } catch {
          error.textContent = "No connection to Fieldline. Your text was not sent.";
          error.hidden = false;
        } finally {
          button.disabled = box.dataset.smsOver === "1";
          if (keepFocus) box.focus();
        }
      });
    },
  };

  // (f) The phone simulator: <form data-simulator> sends without a page load, and the thread
  //     (#sim-thread[data-thread-url]) refreshes every 1.5 s while the tab is visible.
  const simForm = document.querySelector("form[data-simulator]");
  const simThread = document.getElementById("sim-thread");
  if (simForm && simThread) {
    const render = (messages) => {
      const atBottom = simThread.scrollHeight - simThread.scrollTop - simThread.clientHeight < 40;
      simThread.replaceChildren(...(messages.length ? messages.map((m) => {
        const li = document.createElement("li");
        li.className = `bubble bubble-${m.side}`;
        li.dataset.id = m.id;
        const body = document.createElement("p");
        body.className = "bubble-body";
        body.textContent = m.body;
        const meta = document.createElement("span");
        meta.className = "bubble-meta";
        meta.textContent = [m.time, m.author, m.status].filter(Boolean).join(" · ");
        li.append(body, meta);
        return li;
      }) : [Object.assign(document.createElement("li"), { className: "sim-empty", textContent: "No texts yet. Say hello to the business." })]));
      if (atBottom) simThread.scrollTop = simThread.scrollHeight;
    };
    const refresh = async () => {
      try {
        const response = await fetch(simThread.dataset.threadUrl, { headers: { Accept: "application/json" } });
        if (response.ok) render((await response.json()).messages);
      } catch { /* offline for a moment: the next tick retries */ }
    };
    simThread.scrollTop = simThread.scrollHeight;
    setInterval(() => { if (!document.hidden) refresh(); }, 1500);
    const box = simForm.querySelector("textarea");
    box?.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); simForm.requestSubmit(); }
    });
    simForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!box.value.trim()) return;
      const data = new URLSearchParams(new FormData(simForm));
      box.value = "";
      const response = await fetch(simForm.action, { method: "POST", body: data, headers: { Accept: "application/json" } });
      if (!response.ok) { box.value = data.get("body"); alert("The text could not be sent. Reload the page and try again."); }
      await refresh();
      simThread.scrollTop = simThread.scrollHeight;
    });
  }

  // (g) Nothing typed is lost to a refused form. A refused post comes back to the same page with
  //     an error flash; the form's values are kept in this tab's sessionStorage while it is sent,
  //     and put back (its <details> opened) when the page returns with an error. Passwords, the
  //     CSRF token and files are never kept. <form data-keep="off"> opts out.
  const keptKey = "fieldline:kept-form";
  const formKey = (form) => {
    const action = form.getAttribute("action") || "";
    const same = [...document.forms].filter((other) => (other.getAttribute("action") || "") === action);
    return `${action}#${same.indexOf(form)}`;
  };
  // On window, in the bubbling phase: after every form's own listener, so a form that a script
  // sends itself (preventDefault) is not kept.
  window.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if ((form.method || "").toLowerCase() !== "post" || form.dataset.keep === "off") return;
    const values = [];
    for (const control of form.elements) {
      if (!control.name || control.disabled || control.name === "_csrf") continue;
      if (["password", "file", "hidden", "submit", "button"].includes(control.type)) continue;
      if (control.type === "checkbox" || control.type === "radio") values.push([control.name, control.value, control.checked]);
      else values.push([control.name, control.value]);
    }
    try {
      sessionStorage.setItem(keptKey, JSON.stringify({ page: location.pathname, form: formKey(form), values, at: Date.now() }));
    } catch { /* storage full or off: the form still posts */ }
  });
  const restoreKeptForm = () => {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(keptKey) || "null");
      sessionStorage.removeItem(keptKey);
    } catch { return; }
    if (!kept || kept.page !== location.pathname || Date.now() - kept.at > 10 * 60 * 1000) return;
    if (!document.querySelector(".flash-error")) return;
    const form = [...document.forms].find((candidate) => formKey(candidate) === kept.form);
    if (!form) return;
    const used = new Map();
    for (const [name, value, checked] of kept.values) {
      const controls = [...form.elements].filter((control) => control.name === name);
      if (checked !== undefined) {
        const box = controls.find((control) => control.value === value);
        if (box) box.checked = checked;
        continue;
      }
      // Repeated names (several inputs called "phone") fill in order.
      const index = used.get(name) || 0;
      used.set(name, index + 1);
      const control = controls.filter((c) => c.type !== "checkbox" && c.type !== "radio")[index];
      if (control && control.type !== "password" && control.type !== "hidden") {
        control.value = value;
        control.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
    for (let parent = form.parentElement; parent; parent = parent.parentElement) {
      if (parent instanceof HTMLDetailsElement) parent.open = true;
    }
    form.querySelector("input:not([type=hidden]), select, textarea")?.scrollIntoView({ block: "center" });
  };
  restoreKeptForm();

  // (h) The top navigation's Menu button, shown by app.css on narrow screens only: opens and closes
  //     the links (and Sign out); Escape or a tap outside closes them.
  const menuButton = document.querySelector("[data-nav-menu]");
  const topnav = menuButton?.closest(".topnav");
  const setMenu = (open) => {
    topnav.classList.toggle("nav-open", open);
    menuButton.setAttribute("aria-expanded", String(open));
  };
  if (menuButton && topnav) {
    menuButton.addEventListener("click", () => setMenu(!topnav.classList.contains("nav-open")));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && topnav.classList.contains("nav-open")) {
        setMenu(false);
        menuButton.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (topnav.classList.contains("nav-open") && !topnav.contains(event.target)) setMenu(false);
    });
  }

  // (i) Customer import (OP1). The upload form says it is working (a big file takes a while) and
  //     keeps a slow double click from sending it twice; a running import's progress updates by
  //     itself, and the page reloads to its summary when the import ends.
  const uploadForm = document.querySelector("[data-import-upload]");
  if (uploadForm) {
    uploadForm.addEventListener("submit", (event) => {
      const button = uploadForm.querySelector("[data-upload-button]");
      if (button.disabled) { event.preventDefault(); return; }
      button.disabled = true;
      uploadForm.querySelector("[data-upload-status]").textContent = "Uploading and checking the file…";
    });
  }
  const mappingForm = document.querySelector("#import-mapping");
  if (mappingForm) {
    mappingForm.addEventListener("submit", (event) => {
      if (mappingForm.dataset.sent === "true") { event.preventDefault(); return; }
      mappingForm.dataset.sent = "true";
    });
  }
  // Back to a page the browser kept: its forms can be sent again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    const button = uploadForm?.querySelector("[data-upload-button]");
    if (button) button.disabled = false;
    if (uploadForm) uploadForm.querySelector("[data-upload-status]").textContent = "";
    if (mappingForm) delete mappingForm.dataset.sent;
  });
  const importProgress = document.querySelector("[data-import-progress]");
  if (importProgress && importProgress.dataset.running === "true") {
    const number = (value) => Number(value).toLocaleString("en-US");
    const poll = async () => {
      try {
        const response = await fetch(importProgress.dataset.importProgress, {
          credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
        });
        if (response.ok) {
          const state = await response.json();
          importProgress.querySelector("[data-import-bar]").value = state.percent;
          importProgress.querySelector("[data-import-percent]").textContent = state.percent;
          importProgress.querySelector("[data-import-done]").textContent = number(state.rowsDone);
          for (const name of ["created", "merged", "skipped", "failed"]) {
            const element = importProgress.querySelector(`[data-import-count="${name}"]`);
            if (element) element.textContent = number(state[name]);
          }
          if (!["queued", "working"].includes(state.state)) { window.location.reload(); return; }
        }
      } catch (error) { /* try again */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }
})();
