// Flask-Admin's templates keep a few `href="javascript:void(0)"` links (menu toggles, the "List" tab,
// filter items). Under BOMS's Content-Security-Policy (no inline script) a click on one would be refused
// and logged as a violation; they only exist to do nothing, so here they become plain "#" links whose
// default action is cancelled, before anyone can click. (Their onclick="return false;" is allowed by
// hash in server/security_headers.py.)
(function () {
  "use strict";
  document.querySelectorAll("a[href^='javascript:']").forEach(function (link) {
    link.setAttribute("href", "#");
    link.addEventListener("click", function (event) { event.preventDefault(); });
  });
})();
