/* Keyboard shortcuts for staff pages: a progressive enhancement. Every page works the same by Tab
   and Enter without this file (it is served from /static/ under script-src 'self'; no inline script).

   - Ctrl+Enter in a translation box: presses the form's first [data-key="save"] button ("Save and
     next", or "Save" when there is no next message).
   - Alt+ArrowLeft / Alt+ArrowRight: follows the page's [data-key="previous"] / [data-key="next"]
     link. Not while a text box has unsaved changes (its work would be lost), and not in a text box
     on a Mac, where Option+arrows move by word.
   - After a refused form, the error summary (#error-summary) gets the focus, if autofocus did not.

   Only these exact combinations are taken (no Shift, no Meta, no other modifier), so the shortcuts
   of screen readers (Insert or CapsLock combinations, single letters in browse mode) are left alone.
   Approving, rejecting and revoking deliberately have no shortcut. */
(function () {
  "use strict";

  var mac = /Mac|iP(hone|ad|od)/.test(navigator.platform || "");

  function isTextBox(el) {
    return !!el && (el.tagName === "TEXTAREA" ||
      (el.tagName === "INPUT" && /^(text|search|email|url|password|number|)$/i.test(el.type || "")) ||
      el.isContentEditable);
  }

  function changedBoxes() {
    var boxes = document.querySelectorAll("textarea, input[type=text], input[type=search], input:not([type])");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value !== boxes[i].defaultValue) {
        return true;
      }
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.metaKey || event.shiftKey) {
      return;
    }
    var target = event.target;
    if (event.key === "Enter" && event.ctrlKey && !event.altKey && target.tagName === "TEXTAREA" && target.form) {
      var save = target.form.querySelector('[data-key="save"]');
      if (save) {
        event.preventDefault();
        if (target.form.requestSubmit) {
          target.form.requestSubmit(save);
        } else {
          save.click();
        }
      }
      return;
    }
    if (event.altKey && !event.ctrlKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      if (isTextBox(target) && (mac || changedBoxes())) {
        return;
      }
      if (changedBoxes()) {
        return;
      }
      var link = document.querySelector(event.key === "ArrowLeft" ? 'a[data-key="previous"]' : 'a[data-key="next"]');
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    }
  });

  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary && document.activeElement !== summary && !summary.contains(document.activeElement)) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
}());
