// Keyboard shortcuts for triage: an element with data-key="x" is clicked (buttons, links,
// radios) or focused (text fields) when "x" is pressed outside a text field.
// Ctrl+Enter (or Cmd+Enter) submits the form holding the focused field.
"use strict";
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" ||
    target.tagName === "SELECT" || target.isContentEditable);
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target && target.form) {
    event.preventDefault();
    target.form.requestSubmit();
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  var element = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
  if (!element) {
    return;
  }
  event.preventDefault();
  if (element.tagName === "TEXTAREA" || (element.tagName === "INPUT" && element.type === "text")) {
    element.focus();
  } else {
    element.click();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.getElementById("keys-help-toggle");
  var help = document.getElementById("keys-help");
  if (toggle && help) {
    toggle.addEventListener("click", function () { help.hidden = !help.hidden; });
  }
});
