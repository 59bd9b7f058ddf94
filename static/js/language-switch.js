// The language switch on every page: choosing a language submits the form at once.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-language-switch]")) {
    const select = form.querySelector("select[name=language]");
    const button = form.querySelector("button[type=submit]");
    if (!select) continue;
    if (button) button.hidden = true;
    select.addEventListener("change", () => form.requestSubmit());
  }
});
