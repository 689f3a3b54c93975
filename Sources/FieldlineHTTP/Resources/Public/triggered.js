// Automatic texts: a token button puts its token where the cursor is in that campaign's text.
document.querySelectorAll('[data-triggered]').forEach((card) => {
  const field = card.querySelector('[data-template-field]');
  if (!field) return;
  card.querySelectorAll('[data-token]').forEach((button) => {
    button.addEventListener('click', () => {
      const token = button.dataset.token;
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      field.value = field.value.slice(0, start) + token + field.value.slice(end);
      field.focus();
      field.selectionStart = field.selectionEnd = start + token.length;
    });
  });
});
