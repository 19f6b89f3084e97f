// Repeatable rows of a form (widget "rows", server/forms/render.py): "Add row" and "Remove" buttons.
// Without this script the form still works: the server always renders one empty row to fill in.
// Cells are named <field>-<index>-<column>; the server reads rows in index order and skips gaps and
// empty rows, so removing a row never renumbers the others and a new row takes the next free index.
(function () {
  "use strict";

  var PLACEHOLDER = "__index__";

  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && value.indexOf(PLACEHOLDER) !== -1) {
          el.setAttribute(attr, value.split(PLACEHOLDER).join(String(index)));
        }
      });
    });
  }

  function showButtons(scope) {
    scope.querySelectorAll("[data-remove-row]").forEach(function (button) { button.hidden = false; });
  }

  document.querySelectorAll("table[data-rows]").forEach(function (table) {
    var name = table.getAttribute("data-rows");
    var body = table.tBodies[0];
    var template = document.querySelector('template[data-row-template="' + CSS.escape(name) + '"]');
    var add = document.querySelector('button[data-add-row="' + CSS.escape(name) + '"]');
    var next = Number(table.getAttribute("data-next-index")) || body.rows.length;
    if (!template || !add) {
      return;
    }

    function addRow() {
      var row = template.content.firstElementChild.cloneNode(true);
      renumber(row, next);
      next += 1;
      showButtons(row);
      body.appendChild(row);
      return row;
    }

    add.hidden = false;
    showButtons(body);
    add.addEventListener("click", function () {
      var first = addRow().querySelector("input, select");
      if (first) {
        first.focus();
      }
    });
    table.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) {
        return;
      }
      button.closest("tr").remove();
      if (!body.rows.length) {
        addRow();  // an empty table would leave nothing to type into
      }
    });
  });
})();
