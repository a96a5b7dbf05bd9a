/* Translation memory: "Copy into the box" copies a suggestion into the translation box in place
   (the page is not reloaded, what was typed elsewhere stays) and moves the focus there. Nothing
   is saved. Without this script the same button reloads the page with the text in the box. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("copy-suggestion")) {
      return;
    }
    var item = form.closest(".suggestion");
    var texts = item ? item.querySelectorAll("[data-form]") : [];
    var boxes = [];
    for (var i = 0; i < texts.length; i++) {
      var box = document.getElementById("form" + texts[i].getAttribute("data-form"));
      if (!box) {
        return; /* not the boxes this page has: let the form reload the page instead */
      }
      boxes.push([box, texts[i].textContent]);
    }
    if (!boxes.length) {
      return;
    }
    event.preventDefault();
    for (var j = 0; j < boxes.length; j++) {
      boxes[j][0].value = boxes[j][1];
    }
    boxes[0][0].focus();
    var status = document.getElementById("suggestion-status");
    if (status) {
      status.textContent = "Copied into the box. It is not saved: press Save to keep it.";
    }
  });
})();
