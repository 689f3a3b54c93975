// Settings → On-the-way notices: the preview follows the templates as they are typed (the server
// renders it from the next real visit, with the same rules as a real notice), and token buttons
// insert a token where the cursor was.
(() => {
  "use strict";
  const form = document.querySelector("[data-notice-form]");
  if (!form) return;
  const fields = [...form.querySelectorAll("[data-template-field]")];
  let lastField = fields[0];
  let lastCaret = null;
  const show = (name, text) => {
    const element = form.querySelector(`[data-preview="${name}"]`);
    if (element) element.textContent = text ?? "";
  };

  let sequence = 0;
  const refresh = async () => {
    const mine = ++sequence;
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams(new FormData(form)),
      });
      if (!response.ok || mine !== sequence) return;
      const preview = await response.json();
      show("basedOn", preview.basedOn ? `Filled in from ${preview.basedOn}` : "Filled in with sample values: no upcoming visit yet");
      show("text", preview.text);
      show("subject", preview.subject);
      show("emailText", preview.emailText);
      show("count", preview.textCharacters == null ? "" :
        `${preview.textCharacters} characters here · at most ${preview.textWorstCase} of 160 with the longest names`);
      const box = form.querySelector('[data-preview="problemBox"]');
      show("problem", preview.problem ? preview.problem.message : "");
      if (box) box.hidden = !preview.problem;
    } catch { /* the next keystroke tries again */ }
  };
  let timer;
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 200); };

  for (const field of fields) {
    field.addEventListener("input", soon);
    const remember = () => { lastField = field; lastCaret = field.selectionStart; };
    field.addEventListener("focus", remember);
    field.addEventListener("keyup", remember);
    field.addEventListener("click", remember);
  }
  form.querySelector('[name="trackingEnabled"]')?.addEventListener("change", soon);

  for (const button of form.querySelectorAll("[data-token]")) {
    button.addEventListener("click", () => {
      const field = lastField;
      if (!field) return;
      const token = button.dataset.token;
      // A text field keeps its selection after losing focus; fall back to where we saw the caret.
      const at = field.selectionStart ?? lastCaret ?? field.value.length;
      field.value = field.value.slice(0, at) + token + field.value.slice(at);
      field.focus();
      field.selectionStart = field.selectionEnd = lastCaret = at + token.length;
      soon();
    });
  }
})();
