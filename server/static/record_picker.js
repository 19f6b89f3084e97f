// A relation field's record picker (the grid's bulk form, record forms and record task forms): search the target type's records as one types (the server answers only
// with records the reader may see), choose with the arrow keys and Enter or a tap; each chosen record is one
// hidden value.<key> input shown as a removable chip. Without script the input stays a plain text box for
// record numbers. Text typed but not chosen is still sent, so the server refuses it rather than clearing.
(function () {
  "use strict";
  var counter = 0;

  function picker(box) {
    var input = box.querySelector("input");
    var name = input.name;
    var multiple = box.dataset.multiple === "true";
    var id = "picker-" + (++counter);
    var chosen = document.createElement("div");
    chosen.className = "d-flex flex-wrap gap-1 mb-1";
    chosen.setAttribute("data-picker-chosen", "");
    var list = document.createElement("ul");
    list.className = "list-group position-absolute w-100 shadow-sm small";
    list.style.zIndex = "1050";
    list.style.maxHeight = "16rem";
    list.style.overflowY = "auto";
    list.id = id + "-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    box.classList.add("position-relative");
    box.insertBefore(chosen, input);
    box.appendChild(list);
    box.appendChild(status);
    input.removeAttribute("name");
    input.placeholder = input.dataset.searchPlaceholder || input.placeholder;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.classList.toggle("active", i === index);
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && list.children[index]) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({block: "nearest"});
      }
    }
    function choose(item, quiet) {
      if (!multiple) chosen.textContent = "";
      if (chosen.querySelector('input[value="' + String(item.id) + '"]')) { close(); input.value = ""; return; }
      var chip = document.createElement("span");
      chip.className = "badge text-bg-secondary d-inline-flex align-items-center gap-1";
      chip.setAttribute("data-picked", String(item.id));
      chip.appendChild(document.createTextNode(item.label));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn-close btn-close-white";
      remove.style.fontSize = "0.6rem";
      remove.setAttribute("aria-label", (box.dataset.removeLabel || "Remove") + " " + item.label);
      remove.addEventListener("click", function () { chip.remove(); input.focus(); });
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = name;
      hidden.value = String(item.id);
      chip.appendChild(remove);
      chip.appendChild(hidden);
      chosen.appendChild(chip);
      input.value = "";
      close();
      if (!quiet) input.focus();
    }
    function show(found) {
      items = found;
      list.textContent = "";
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-body-secondary";
        none.textContent = box.dataset.noneLabel || "No record found";
        list.appendChild(none);
        status.textContent = none.textContent;
      } else {
        status.textContent = "";
      }
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.className = "list-group-item list-group-item-action";
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.style.cursor = "pointer";
        li.textContent = item.label;
        // mousedown, not click: the input keeps its focus (and the list is not closed by the blur first)
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }
    function search() {
      var ask = ++asked;
      fetch(box.dataset.recordPicker + "?q=" + encodeURIComponent(input.value), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      }).then(function (response) { return response.json(); }).then(function (body) {
        if (ask === asked && document.activeElement === input) show(body.items || []);
      }).catch(function () { close(); });
    }
    // A form drawn with records held (an edit, a form that came back): they become chips; what was typed
    // that names none stays in the box, to be sent (and refused) again.
    Array.prototype.forEach.call(box.querySelectorAll("[data-picker-held]"), function (held) {
      choose({id: held.dataset.pickerHeld, label: held.textContent}, true);
      held.remove();
    });
    Array.prototype.forEach.call(box.querySelectorAll("[data-picker-names]"), function (names) { names.remove(); });
    if (input.dataset.typed !== undefined) input.value = input.dataset.typed;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    input.addEventListener("focus", search);
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(Math.max(0, Math.min(items.length - 1, active + step)));
      } else if (event.key === "Enter" && !list.hidden && active >= 0 && items[active]) {
        event.preventDefault();
        choose(items[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.form && input.form.addEventListener("submit", function () {
      if (input.value.trim()) input.name = name;  // typed numbers still count; a wrong text is refused
    });
  }

  document.querySelectorAll("[data-record-picker]").forEach(picker);
})();
