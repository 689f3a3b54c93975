// Campaigns: the composer's character count, preview and live audience count; a campaign's
// progress, refreshed while texts are going out.
(function () {
  "use strict";

  const form = document.querySelector("[data-campaign-form]");
  if (form) {
    const body = form.querySelector("[data-campaign-body]");
    const count = form.querySelector("[data-body-count]");
    const preview = form.querySelector("[data-campaign-preview]");
    const max = Number(form.dataset.maxBody);
    const optOut = "Reply STOP to opt out";
    const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
    // These take the room of two characters in a text.
    const doubled = /[\^{}\\[~\]|€]/g;
    const updateText = () => {
      const text = body.value.trim();
      const length = Array.from(text).length + (gsm.test(text) ? (text.match(doubled) || []).length : 0);
      const fitsGsm = gsm.test(text);
      const limit = fitsGsm ? max : 70 - optOut.length - 1;
      const left = limit - length;
      count.textContent = left >= 0
        ? `${left} characters left (${optOut} is added)${fitsGsm ? "" : " — emoji or special letters limit one text to 70"}`
        : `${-left} characters too many${fitsGsm ? "" : " — emoji or special letters limit one text to 70"}`;
      count.classList.toggle("text-danger", left < 0);
      preview.textContent = (text || "Your text") + "\n" + optOut;
    };
    body.addEventListener("input", updateText);
    updateText();

    // The button says what it will do; sending asks first, with the count.
    const submit = form.querySelector("[data-campaign-submit]");
    const choice = () => (form.querySelector('input[name="send"]:checked') || {}).value;
    const label = () => {
      submit.textContent = { now: "Send now", later: "Schedule campaign", draft: "Save draft" }[choice()] || "Save campaign";
    };
    for (const radio of form.querySelectorAll('input[name="send"]')) radio.addEventListener("change", label);
    form.querySelector('input[name="scheduledAt"]').addEventListener("input", () => {
      form.querySelector('input[name="send"][value="later"]').checked = true;
      label();
    });
    label();
    form.addEventListener("submit", (event) => {
      if (choice() !== "now") return;
      const count = form.querySelector('[data-audience="recipients"]').textContent;
      if (!window.confirm(`Send this campaign now to ${count} recipients?`)) event.preventDefault();
    });

    const recipients = form.querySelector('[data-audience="recipients"]');
    const detail = form.querySelector('[data-audience="detail"]');
    const blocked = form.querySelector('[data-audience="blocked"]');
    let timer = null;
    let sequence = 0;
    const count_ = async () => {
      const mine = ++sequence;
      const data = new URLSearchParams();
      for (const name of ["_csrf", "tags", "lastServiceFrom", "lastServiceBefore"]) {
        data.set(name, form.elements[name].value);
      }
      try {
        const response = await fetch(form.dataset.audienceUrl, {
          method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        const result = await response.json();
        if (mine !== sequence) return;
        if (!response.ok) {
          recipients.textContent = "—";
          detail.textContent = result.error ? result.error.message : "Could not count.";
          return;
        }
        recipients.textContent = result.recipients.toLocaleString();
        const skipped = Object.values(result.skipped).reduce((a, b) => a + b, 0);
        const parts = [`${result.consenting.toLocaleString()} with marketing consent match`];
        if (skipped) parts.push(`${skipped.toLocaleString()} skipped (opted out, preferences, landlines)`);
        if (result.heldForQuietHours) parts.push(`${result.heldForQuietHours.toLocaleString()} would wait for quiet hours to end`);
        detail.textContent = parts.join(" · ");
        blocked.hidden = !result.blockedBecause;
        blocked.textContent = result.blockedBecause || "";
      } catch (error) {
        if (mine === sequence) detail.textContent = "Could not count; check your connection.";
      }
    };
    for (const field of form.querySelectorAll("[data-audience-field]")) {
      field.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(count_, 300); });
    }
    count_();
  }

  const progress = document.querySelector("[data-campaign-progress]");
  if (progress) {
    const set = (name, value) => {
      for (const element of progress.querySelectorAll(`[data-count="${name}"]`)) element.textContent = value.toLocaleString();
    };
    const bars = (p) => {
      const total = Math.max(p.total, 1);
      const width = (n) => `${(100 * n / total).toFixed(2)}%`;
      progress.querySelector('[data-bar="sent"]').style.width = width(p.sent + p.failed);
      progress.querySelector('[data-bar="queued"]').style.width = width(p.queued);
      progress.querySelector('[data-bar="held"]').style.width = width(p.held);
      progress.querySelector('[data-bar="skipped"]').style.width = width(p.skipped);
    };
    const render = (page) => {
      const p = page.progress;
      for (const name of ["sent", "delivered", "queued", "held", "skipped", "failed"]) set(name, p[name]);
      bars(p);
      const list = progress.querySelector("[data-reasons]");
      list.replaceChildren(...Object.entries(p.skippedReasons).sort((a, b) => b[1] - a[1]).map(([code, n]) => {
        const item = document.createElement("li");
        item.className = "list-item";
        const label = document.createElement("span");
        label.textContent = page.reasons[code] || code;
        const spacer = document.createElement("span");
        spacer.className = "spacer";
        const count = document.createElement("span");
        count.className = "strong";
        count.textContent = n.toLocaleString();
        item.append(label, spacer, count);
        return item;
      }));
      return page.status === "canceled" || page.status === "draft" || (page.status === "queued" && p.finished);
    };
    const initial = {
      total: 0, sent: 0, delivered: 0, failed: 0, queued: 0, held: 0, skipped: 0,
    };
    for (const name of Object.keys(initial)) {
      const element = progress.querySelector(`[data-count="${name}"]`);
      if (element) initial[name] = Number(element.textContent.replace(/,/g, "")) || 0;
    }
    initial.total = initial.sent + initial.queued + initial.held + initial.skipped + initial.failed;
    bars(initial);
    const poll = async () => {
      try {
        const response = await fetch(progress.dataset.campaignProgress, { credentials: "same-origin" });
        if (response.ok && render(await response.json())) return;
      } catch (error) { /* try again */ }
      setTimeout(poll, 2000);
    };
    // Only while something is happening: a draft or a campaign days away has nothing to show.
    const status = progress.dataset.status;
    if (status === "queuing" || (status === "queued" && progress.dataset.finished !== "true")) {
      setTimeout(poll, 1000);
    } else if (status === "scheduled") {
      setTimeout(poll, 15000);
    }
  }
})();
