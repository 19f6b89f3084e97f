// Controls marked data-autosubmit send their form when changed (the language menu). A file rather
// than an onchange attribute: the Content-Security-Policy allows no inline script or event handler.
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
})();
