// Keyboard shortcuts for triage, only where a page documents them: a key acts when the page's
// shortcut list ([data-shortcuts]) names it (data-shortcut) and an element carries it
// (data-key). Buttons, links, radios and summaries are clicked, text fields focused; a
// summary that opens (release) moves the focus to its confirm button, so the key asks first.
// Ctrl+Enter (or Cmd+Enter) records the decision. Single-key shortcuts can be turned off with
// the page's switch, remembered in this browser (WCAG 2.1.4).
"use strict";
(function () {
  var STORE = "impartial.shortcuts";
  var chosen = null; // the switch's state when the browser refuses storage

  function enabled() {
    if (chosen !== null) {
      return chosen;
    }
    try {
      return window.localStorage.getItem(STORE) !== "off";
    } catch (error) {
      return true;
    }
  }

  function documented(key) {
    return document.querySelector(
      '[data-shortcuts] [data-shortcut="' + CSS.escape(key) + '"]') !== null;
  }

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" ||
      target.tagName === "SELECT" || target.isContentEditable);
  }

  function submitDecision(event) {
    var target = event.target;
    var form = target && target.form;
    if (!form || !form.querySelector("[data-submit]")) {
      var button = document.querySelector("[data-submit]");
      form = button && button.form;
    }
    if (form && documented("Ctrl+Enter")) {
      event.preventDefault();
      form.requestSubmit();
    }
  }

  function act(element) {
    if (element.tagName === "TEXTAREA" || (element.tagName === "INPUT" && element.type === "text")) {
      element.focus();
      return;
    }
    if (element.tagName !== "A" && element.hasAttribute("href")) {
      // a design-system link (its anchor is inside the component): follow its address
      window.location.assign(element.getAttribute("href"));
      return;
    }
    element.click();
    var details = element.tagName === "SUMMARY" ? element.parentElement : null;
    if (details) {
      window.setTimeout(function () {
        var confirm = details.open && details.querySelector("button, [href]");
        (confirm || element).focus();
      }, 0);
    }
  }

  document.addEventListener("keydown", function (event) {
    // inside a design-system field the event's target is the component: the real one is first
    var target = (event.composedPath && event.composedPath()[0]) || event.target;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      submitDecision(event);
      return;
    }
    if (event.key === "Escape" && target && target.closest) {
      var open = target.closest("details[open]");
      if (open && open.id === "release") {
        open.open = false;
        open.querySelector("summary").focus();
      }
      return;
    }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey || !enabled()) {
      return;
    }
    if (!documented(event.key)) {
      return;
    }
    var element = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!element) {
      return;
    }
    event.preventDefault();
    act(element);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("shortcuts-on");
    if (toggle) {
      toggle.checked = enabled();
      toggle.addEventListener("change", function () {
        chosen = toggle.checked;
        try {
          window.localStorage.setItem(STORE, toggle.checked ? "on" : "off");
          chosen = null;
        } catch (error) {
          // storage refused (private mode): the switch holds for this page only
        }
      });
    }
  });
}());
