// The rule editor's condition builder: rows of field · operator · value in AND/OR groups, written into the
// rule's JSON as the same JEXL text a person would type ("record.stock < record.safety_stock && ..."), so the
// save checks it as before. A condition typed by hand is read back into rows when it has this shape (terms
// joined by one of && / || per level, groups in parentheses); otherwise the builder says so and the
// expression is edited as text ("advanced").
(function () {
  "use strict";
  var api = window.BomsRuleEditor;
  if (!api) return;
  var words = JSON.parse(document.getElementById("condition-builder-text").textContent);
  var host = document.getElementById("cb-root");
  var text = document.getElementById("cb-text");
  var unreadable = document.getElementById("cb-unreadable");
  var OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "empty", "filled"];
  var NUMERIC = ["integer", "decimal", "money", "number", "percent", "rating"];
  var tree = {join: "&&", items: []};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  // The names a row may compare: record.<field> always, old.<field> where the trigger has the record before.
  function names() {
    var rule = api.read() || {};
    var kind = api.typeOf(rule);
    var trigger = (rule.trigger && rule.trigger.type) || "record";
    var roots = ["record"].concat(trigger === "record" ? ["old"] : []);
    var out = [];
    roots.forEach(function (root) {
      (kind ? kind.fields : []).forEach(function (f) {
        out.push({name: root + "." + f.key, type: f.type,
                  label: (root === "old" ? words.before + " " : "") + f.label + " (" + f.key + ")"});
      });
    });
    return out;
  }

  function typeOfName(name) {
    var found = names().filter(function (n) { return n.name === name; })[0];
    return found ? found.type : "text";
  }

  function literal(row) {
    if (row.kind === "field") return row.value;
    var type = typeOfName(row.field);
    if (type === "boolean") return row.value === "false" ? "false" : "true";
    if (NUMERIC.indexOf(type) >= 0 && /^-?\d+(\.\d+)?$/.test(String(row.value).trim())) return String(row.value).trim();
    return JSON.stringify(String(row.value));
  }

  function write(node, nested) {
    var parts = node.items.map(function (item) {
      if (item.items) return item.items.length ? write(item, true) : null;
      if (!item.field) return null;
      if (item.op === "empty") return item.field + " == null";
      if (item.op === "filled") return item.field + " != null";
      return item.field + " " + item.op + " " + literal(item);
    }).filter(function (p) { return p; });
    var joined = parts.join(" " + node.join + " ");
    return nested && parts.length > 1 ? "(" + joined + ")" : joined;
  }

  // --- reading a condition back: a tokenizer and a parser for exactly what write() produces ---
  function tokens(source) {
    var re = /\s*(&&|\|\||==|!=|<=|>=|<|>|\(|\)|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)/y;
    var out = [], match;
    re.lastIndex = 0;
    while (re.lastIndex < source.length) {
      if (/^\s*$/.test(source.slice(re.lastIndex))) break;
      match = re.exec(source);
      if (!match) return null;
      out.push(match[1]);
    }
    return out;
  }

  function parse(source) {
    var list = tokens(source || "");
    if (list === null) return null;
    var at = 0;
    function group() {
      var node = {join: null, items: []};
      for (;;) {
        var item;
        if (list[at] === "(") {
          at += 1;
          item = group();
          if (!item || list[at] !== ")") return null;
          at += 1;
        } else {
          item = term();
          if (!item) return null;
        }
        node.items.push(item);
        var join = list[at];
        if (join !== "&&" && join !== "||") return node;
        if (node.join && node.join !== join) return null;  // mixed without parentheses: advanced only
        node.join = join;
        at += 1;
      }
    }
    function term() {
      var field = list[at], op = list[at + 1], value = list[at + 2];
      if (!/^(record|old)\.\w+$/.test(field || "") || OPERATORS.indexOf(op) < 0 || value === undefined) return null;
      at += 3;
      if (value === "null" && (op === "==" || op === "!=")) return {field: field, op: op === "==" ? "empty" : "filled",
                                                                     kind: "value", value: ""};
      if (/^(record|old)\.\w+$/.test(value)) return {field: field, op: op, kind: "field", value: value};
      if (/^["']/.test(value)) return {field: field, op: op, kind: "value", value: JSON.parse(
        value[0] === "'" ? '"' + value.slice(1, -1).replace(/"/g, '\\"').replace(/\\'/g, "'") + '"' : value)};
      if (/^-?\d/.test(value) || value === "true" || value === "false") return {field: field, op: op, kind: "value",
                                                                                value: value};
      return null;
    }
    if (!list.length) return {join: "&&", items: []};
    var top = group();
    if (!top || at !== list.length) return null;
    top.join = top.join || "&&";
    top.items.forEach(function (item) { if (item.items) item.join = item.join || (top.join === "&&" ? "||" : "&&"); });
    if (top.items.some(function (item) { return item.items && item.items.some(function (i) { return i.items; }); })) {
      return null;  // groups inside groups: advanced only
    }
    return top;
  }

  // --- drawing ---
  function select(options, value, attrs, onChange) {
    var node = el("select", Object.assign({"class": "form-control form-control-sm mr-1 mb-1"}, attrs));
    options.forEach(function (o) {
      var option = el("option", {value: o.value, text: o.label});
      if (o.value === value) option.selected = true;
      node.appendChild(option);
    });
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function rowView(row, parent, index) {
    var fields = names().map(function (n) { return {value: n.name, label: n.label}; });
    if (!row.field && fields.length) row.field = fields[0].value;
    var box = el("div", {"class": "form-inline mb-1", "data-testid": "cb-row"});
    box.appendChild(select(fields, row.field, {"data-testid": "cb-field", "aria-label": words.field},
                           function (v) { row.field = v; changed(true); }));
    box.appendChild(select(OPERATORS.map(function (o) { return {value: o, label: words.ops[o]}; }), row.op,
                           {"data-testid": "cb-op", "aria-label": words.operator},
                           function (v) { row.op = v; changed(true); }));
    if (row.op !== "empty" && row.op !== "filled") {
      box.appendChild(select([{value: "value", label: words.aValue}, {value: "field", label: words.aField}],
                             row.kind, {"data-testid": "cb-kind", "aria-label": words.compareWith},
                             function (v) { row.kind = v; row.value = v === "field" ? fields[0].value : ""; changed(true); }));
      if (row.kind === "field") {
        box.appendChild(select(fields, row.value, {"data-testid": "cb-value-field", "aria-label": words.value},
                               function (v) { row.value = v; changed(false); }));
      } else if (typeOfName(row.field) === "boolean") {
        if (row.value !== "false") row.value = "true";
        box.appendChild(select([{value: "true", label: words.yes}, {value: "false", label: words.no}], row.value,
                               {"data-testid": "cb-value-bool", "aria-label": words.value},
                               function (v) { row.value = v; changed(false); }));
      } else {
        var input = el("input", {"class": "form-control form-control-sm mr-1 mb-1", "data-testid": "cb-value",
                                 "aria-label": words.value});
        input.value = row.value;
        input.addEventListener("input", function () { row.value = input.value; changed(false); });
        box.appendChild(input);
      }
    }
    var remove = el("button", {type: "button", "class": "btn btn-sm btn-link text-danger mb-1",
                               "data-testid": "cb-remove", text: words.remove});
    remove.addEventListener("click", function () { parent.items.splice(index, 1); changed(true); });
    box.appendChild(remove);
    return box;
  }

  function groupView(node, parent, index) {
    var box = el("div", {"class": parent ? "border-left pl-2 ml-2 mb-1" : "", "data-testid": parent ? "cb-group" : "cb-top"});
    var head = el("div", {"class": "form-inline mb-1"});
    head.appendChild(el("span", {"class": "small mr-1", text: words.match}));
    head.appendChild(select([{value: "&&", label: words.all}, {value: "||", label: words.any}], node.join,
                            {"data-testid": parent ? "cb-group-join" : "cb-join", "aria-label": words.match},
                            function (v) { node.join = v; changed(false); }));
    box.appendChild(head);
    node.items.forEach(function (item, i) {
      box.appendChild(item.items ? groupView(item, node, i) : rowView(item, node, i));
    });
    var add = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary mr-1",
                            "data-testid": parent ? "cb-group-add-row" : "cb-add-row", text: words.addRow});
    add.addEventListener("click", function () {
      node.items.push({field: "", op: "==", kind: "value", value: ""});
      changed(true);
    });
    box.appendChild(add);
    if (!parent) {
      var sub = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary mr-1",
                              "data-testid": "cb-add-group", text: words.addGroup});
      sub.addEventListener("click", function () {
        node.items.push({join: node.join === "&&" ? "||" : "&&", items: [{field: "", op: "==", kind: "value",
                                                                             value: ""}]});
        changed(true);
      });
      box.appendChild(sub);
    } else {
      var drop = el("button", {type: "button", "class": "btn btn-sm btn-link text-danger", text: words.removeGroup});
      drop.addEventListener("click", function () { parent.items.splice(index, 1); changed(true); });
      box.appendChild(drop);
    }
    return box;
  }

  function draw() {
    host.innerHTML = "";
    host.appendChild(groupView(tree, null, 0));
  }

  // The builder changed: write the condition into the rule's JSON (and the advanced text); redraw if the
  // rows' shape changed (a redraw would lose the focus of a value being typed).
  function changed(redraw) {
    if (redraw) draw();
    var condition = write(tree, false);
    api.edit(function (rule) {
      if (condition) rule.condition = condition; else delete rule.condition;
    }, "builder");
    text.value = condition;
    unreadable.classList.add("d-none");
  }

  // The rule's JSON or the advanced text changed: show its condition as rows if it has their shape.
  function load(condition) {
    var parsed = parse(condition);
    text.value = condition || "";
    if (parsed === null) {
      unreadable.classList.remove("d-none");
      tree = {join: "&&", items: []};
      host.innerHTML = "";
      return;
    }
    unreadable.classList.add("d-none");
    tree = parsed;
    draw();
  }

  text.addEventListener("change", function () {
    api.edit(function (rule) {
      if (text.value.trim()) rule.condition = text.value.trim(); else delete rule.condition;
    }, "builder");
    load(text.value.trim());
  });
  document.getElementById("cb-clear").addEventListener("click", function () {
    tree = {join: "&&", items: []};
    changed(true);
  });
  api.area.addEventListener("rule-changed", function (event) {
    var rule = api.read();
    if (event.detail === "builder" || rule === null) return;  // its own change, or JSON half typed
    var condition = rule.condition || "";
    if (event.detail === "json" && condition === text.value) return;  // another part of the rule changed
    load(condition);
  });
  load((api.read() || {}).condition || "");
})();
