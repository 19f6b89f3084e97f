// The record-type designer's palette and reordering (admin/boms/record_type_edit.html).
//
// The form works without this script: a designer fills a blank row and types order numbers, and the
// server reads them (admin/record_designer.py). The script only writes those same inputs: a palette
// click or drop adds a row from the <template> (and raises the posted row count), a drag by the handle
// or an arrow button moves a row and renumbers every row's order input. Saving is the plain form post,
// so the server's checks and versioning are the same whichever way the fields were arranged.
(function () {
  "use strict";
  var table = document.querySelector("[data-testid=field-rows]");
  var template = document.getElementById("field-row-template");
  var form = document.querySelector("[data-testid=record-type-form]");
  if (!table || !template || !form) { return; }
  var body = table.tBodies[0];
  var count = form.querySelector("input[name=rows]");
  var status = document.querySelector("[data-testid=designer-status]");
  var palette = document.querySelector("[data-testid=field-palette]");
  var dragged = null;  // the row being dragged, or null when a palette kind is

  function rows() { return Array.prototype.slice.call(body.rows); }

  function field(row, name) { return row.querySelector("[name^='" + name + "-']"); }

  function isBlank(row) {
    return !field(row, "existing") && ["key", "label_en", "label_zh"].every(function (name) {
      return !field(row, name).value.trim();
    });
  }

  function say(text) { if (status) { status.textContent = text; } }

  function format(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function nameOf(row) {
    return field(row, "key").value.trim() || field(row, "label_en").value.trim() || table.dataset.unnamed;
  }

  function renumber() {
    rows().forEach(function (row, index) { field(row, "position").value = String(index + 1); });
  }

  // Currency only for money, options only for selects: the other cells are hidden, not emptied, so a
  // type changed back and forth keeps what was typed (and the server reads only what the type uses).
  function showKindInputs(row) {
    var kind = field(row, "type").value;
    row.querySelectorAll("td[data-for]").forEach(function (cell) {
      cell.classList.toggle("designer-unused", cell.dataset.for.split(" ").indexOf(kind) < 0);
    });
  }

  function enhance(row) {
    row.querySelector(".drag-handle").hidden = false;
    row.querySelector(".designer-move").hidden = false;
    showKindInputs(row);
  }

  function newRow(kind) {
    var index = String(Number(count.value));
    count.value = String(Number(count.value) + 1);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__i__/g, index);
    var row = holder.rows[0];
    field(row, "type").value = kind;
    enhance(row);
    return row;
  }

  // New fields go after the last filled row, before the blank ones, unless dropped somewhere.
  function firstBlank() {
    return rows().filter(isBlank)[0] || null;
  }

  function add(kind, before) {
    var row = newRow(kind);
    body.insertBefore(row, before === undefined ? firstBlank() : before);
    renumber();
    var label = palette.querySelector("[data-kind='" + kind + "']");
    say(format(table.dataset.added, {kind: label ? label.textContent.replace(/^\+\s*/, "") : kind,
                                     position: rows().indexOf(row) + 1}));
    field(row, "key").focus();
  }

  function move(row, step) {
    var list = rows();
    var target = list.indexOf(row) + step;
    if (target < 0 || target >= list.length) { return; }
    body.insertBefore(row, step < 0 ? list[target] : list[target].nextSibling);
    renumber();
    say(format(table.dataset.moved, {field: nameOf(row), position: target + 1, count: list.length}));
  }

  // The row a drop at this height goes before (null: at the end).
  function dropBefore(event) {
    var row = event.target.closest ? event.target.closest("tr.designer-row") : null;
    if (!row || row.parentNode !== body) { return null; }
    var box = row.getBoundingClientRect();
    return event.clientY < box.top + box.height / 2 ? row : row.nextSibling;
  }

  function clearMarks() {
    rows().forEach(function (row) { row.classList.remove("drop-before", "dragging"); });
  }

  rows().forEach(enhance);
  palette.hidden = false;

  palette.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kind]");
    if (button) { add(button.dataset.kind); }
  });
  palette.addEventListener("dragstart", function (event) {
    var button = event.target.closest("[data-kind]");
    if (!button) { return; }
    dragged = null;
    event.dataTransfer.effectAllowed = "copy";
    event.dataTransfer.setData("text/plain", "kind:" + button.dataset.kind);
  });

  body.addEventListener("dragstart", function (event) {
    if (!event.target.classList || !event.target.classList.contains("drag-handle")) { return; }
    dragged = event.target.closest("tr");
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "row");
    if (event.dataTransfer.setDragImage) { event.dataTransfer.setDragImage(dragged, 10, 10); }
  });
  body.addEventListener("dragover", function (event) {
    event.preventDefault();
    clearMarks();
    if (dragged) { dragged.classList.add("dragging"); }
    var before = dropBefore(event);
    if (before && before !== dragged) { before.classList.add("drop-before"); }
  });
  body.addEventListener("dragleave", function (event) {
    if (!body.contains(event.relatedTarget)) { clearMarks(); }
  });
  body.addEventListener("drop", function (event) {
    event.preventDefault();
    var before = dropBefore(event);
    var data = event.dataTransfer.getData("text/plain") || "";
    clearMarks();
    if (dragged) {
      if (before !== dragged) {
        body.insertBefore(dragged, before);
        renumber();
        var list = rows();
        say(format(table.dataset.moved, {field: nameOf(dragged), position: list.indexOf(dragged) + 1,
                                         count: list.length}));
      }
    } else if (data.indexOf("kind:") === 0) {
      add(data.slice(5), before);
    }
    dragged = null;
  });
  document.addEventListener("dragend", function () { clearMarks(); dragged = null; });

  body.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) { return; }
    move(button.closest("tr"), Number(button.dataset.move));
    button.focus();
  });
  body.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("type-") === 0) { showKindInputs(event.target.closest("tr")); }
  });
})();
