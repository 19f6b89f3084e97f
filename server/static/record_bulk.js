// The grid's bulk form: show the value control of the chosen field, select all rows, confirm a delete
// (of all matching records when that box is ticked).
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var field = document.getElementById("bulk-field");
  function show() {
    form.querySelectorAll("[data-bulk-value]").forEach(function (box) {
      box.hidden = field && box.getAttribute("data-bulk-value") !== field.value;
    });
  }
  if (field) { field.addEventListener("change", show); show(); }
  var all = document.querySelector("[data-bulk-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="row"][form="bulk-form"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var matching = form.querySelector('[name="scope"][value="matching"]');
    var text = button && (matching && matching.checked && button.dataset.confirmMatching
      ? button.dataset.confirmMatching : button.dataset.confirm);
    if (text && !window.confirm(text)) event.preventDefault();
  });
})();
