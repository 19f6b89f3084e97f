// The chart editor: the chart selected on the designer's grid, edited with pickers (source, type, dimensions,
// measures, filter, top N, colours, titles, drill-down). The pickers offer what catalogue.json lists (built by
// server/analytics/catalogue.py with this designer's read permissions); every change is written into the same
// JSON definition the grid writes and the server checks at save, and an edit of that JSON redraws the grid and
// refills the editor. A save the server refused comes back with its chart and field (data-problem): the message
// is shown beside that field's picker.
(function () {
  "use strict";
  var panel = document.getElementById("chart-editor");
  var designer = window.BomsDesigner;
  if (!panel || !designer || !window.BomsChartPickers) { return; }
  var zh = (panel.getAttribute("data-lang") || "").indexOf("zh") === 0;
  var catalogue = null;
  var current = null;  // the key of the chart being edited
  var problem = JSON.parse(panel.getAttribute("data-problem") || "null");
  var SINGLE = {kpi: true, gauge: true, progress: true};
  var SLOTS = {key: "key", title: "title", type: "type", source: "source", variables: "source",
               dimensions: "dimensions", bucket: "dimensions", bins: "dimensions", measures: "measures",
               agg: "measures", filter: "filter", top: "top", others: "top", sort: "sort", drill: "drill",
               colors: "colors", target: "target", compare: "compare"};
  var checking = 0;
  var timer = null;

  var pickers = window.BomsChartPickers({catalogue: function () { return catalogue; }, change: change,
                                         words: words, say: say});
  var option = pickers.option, fieldOf = pickers.fieldOf;

  function $(id) { return document.getElementById(id); }
  function words(name) { return panel.getAttribute("data-" + name) || ""; }
  function say(label) { return label ? ((zh ? label.zh : label.en) || label.en || "") : ""; }

  function sameSource(a, b) {
    return a && b && a.kind === b.kind && (a.type || "") === (b.type || "") && (a.process || "") === (b.process || "");
  }

  function entryOf(spec) {
    return spec ? catalogue.sources.filter(function (s) { return sameSource(s.spec, spec); })[0] || null : null;
  }

  function typeOf(chart) {
    return catalogue.types.filter(function (t) { return t.key === chart.type; })[0] || null;
  }

  function fieldsOf(chart) {
    var entry = entryOf(chart.source);
    var fields = entry ? entry.fields.slice() : [];
    if (chart.source && chart.source.kind === "process_instances") {
      var variables = chart.source.variables || {};
      Object.keys(variables).forEach(function (name) {
        fields.push({key: "var_" + name, label: {en: name, zh: name}, kind: variables[name], dimension: true});
      });
    }
    return fields;
  }

  // Read the definition, change the edited chart, write it back; ``redraw``: a key changed (the grid's tiles
  // are named by key); ``refill``: pickers depend on what changed (a source's fields, a type's shape).
  function change(mutate, refill, redraw) {
    var definition = designer.read();
    if (!definition) { return; }
    var chart = definition.charts.filter(function (c) { return c.key === current; })[0];
    if (!chart) { return; }
    if (problem) { problem = null; clearErrors(); }
    mutate(chart, definition);
    designer.write(definition, !!redraw);
    if (refill && !redraw) { fill(); }
  }

  function clearErrors() {
    panel.querySelectorAll("[data-error], [data-part=error]").forEach(function (slot) {
      slot.textContent = "";
      slot.classList.remove("shown");
      slot.removeAttribute("role");
    });
  }

  function show(slot, message) {
    if (!slot) { return; }
    slot.textContent = message;
    slot.classList.add("shown");
    slot.setAttribute("role", "alert");
  }

  function slotFor(chart, field) {
    if (SLOTS[field]) { return panel.querySelector('[data-error="' + SLOTS[field] + '"]'); }
    var rows = [["ce-dimensions", chart.dimensions || []], ["ce-measures", chart.measures || []]];
    for (var r = 0; r < rows.length; r += 1) {
      for (var i = 0; i < rows[r][1].length; i += 1) {
        if (rows[r][1][i].field === field) {
          return $(rows[r][0]).children[i].querySelector("[data-part=error]");
        }
      }
    }
    if (chart.compare && chart.compare.field === field) { return panel.querySelector('[data-error="compare"]'); }
    if (chart.filter && chart.filter.indexOf(field) >= 0) { return panel.querySelector('[data-error="filter"]'); }
    return panel.querySelector('[data-error="chart"]');
  }

  function fillCharts(definition) {
    var select = $("ce-chart");
    select.innerHTML = "";
    option(select, "", words("none"), !current);
    definition.charts.forEach(function (c) {
      option(select, c.key, c.key + " — " + say(c.title), c.key === current);
    });
  }

  function fillSource(chart) {
    var select = $("ce-source");
    select.innerHTML = "";
    var groups = {};
    var found = false;
    catalogue.sources.forEach(function (entry, index) {
      if (!groups[entry.kind]) {
        groups[entry.kind] = document.createElement("optgroup");
        groups[entry.kind].label = say(catalogue.sourceKinds[entry.kind]);
        select.appendChild(groups[entry.kind]);
      }
      var chosen = sameSource(entry.spec, chart.source);
      option(groups[entry.kind], String(index), say(entry.label), chosen);
      found = found || chosen;
    });
    if (!found) { option(select, "", JSON.stringify(chart.source) + " — " + words("not-offered"), true); }
    var instances = chart.source && chart.source.kind === "process_instances";
    $("ce-variables-group").classList.toggle("d-none", !instances);
    if (instances && document.activeElement !== $("ce-variables")) {
      var variables = chart.source.variables || {};
      $("ce-variables").value = Object.keys(variables).map(function (n) { return n + ":" + variables[n]; }).join(", ");
    }
    var entry = entryOf(chart.source);
    $("ce-filter-names").textContent = entry ? words("filter-fields") + " " + entry.filterNames.join(", ") : "";
  }

  function fillType(chart) {
    var select = $("ce-type");
    select.innerHTML = "";
    catalogue.types.forEach(function (t) { option(select, t.key, say(t.label), t.key === chart.type); });
    var type = typeOf(chart);
    var note = $("ce-type-note");
    var dims = (chart.dimensions || []).length;
    var measures = (chart.measures || []).length;
    var fits = type && dims >= type.dims[0] && dims <= type.dims[1] && measures >= type.measures[0] &&
      measures <= type.measures[1];
    note.textContent = type ? (fits ? "" : words("out-of-shape") + " ") + say(type.note) : "";
    note.classList.toggle("text-warning", !fits);
    note.classList.toggle("text-muted", !!fits);
    $("ce-add-dimension").disabled = !type || dims >= type.dims[1];
    $("ce-add-measure").disabled = !type || measures >= type.measures[1];
    $("ce-single-group").classList.toggle("d-none", !SINGLE[chart.type]);
  }

  function setText(id, value) {
    if ($(id).value !== value) { $(id).value = value; }
  }

  function fill() {
    var definition = designer.read();
    if (!definition || !catalogue) { return; }
    var chart = definition.charts.filter(function (c) { return c.key === current; })[0] || null;
    if (!chart) { current = null; }
    fillCharts(definition);
    $("ce-fields").classList.toggle("d-none", !chart);
    $("ce-empty").classList.toggle("d-none", !!chart);
    if (!chart) { return; }
    var fields = fieldsOf(chart);
    setText("ce-key", chart.key);
    setText("ce-title-en", (chart.title || {}).en || "");
    setText("ce-title-zh", (chart.title || {}).zh || "");
    fillSource(chart);
    fillType(chart);
    pickers.fillDimensions(chart, fields);
    pickers.fillMeasures(chart, fields);
    setText("ce-filter", chart.filter || "");
    setText("ce-top", chart.top === undefined ? "" : String(chart.top));
    $("ce-others").checked = !!chart.others;
    $("ce-others").disabled = chart.top === undefined;
    $("ce-sort").value = chart.sort || "";
    pickers.fillColors(chart);
    pickers.fillDrill(chart, definition);
    pickers.fillSingle(chart, fields);
    clearErrors();
    if (problem && problem.chart === chart.key) {
      var slot = slotFor(chart, problem.field);
      show(slot, problem.message);
    }
  }

  function checkFilter() {
    var definition = designer.read();
    var chart = definition && definition.charts.filter(function (c) { return c.key === current; })[0];
    var ok = panel.querySelector("[data-testid=ce-filter-ok]");
    var slot = panel.querySelector('[data-error="filter"]');
    ok.classList.remove("shown");
    slot.classList.remove("shown");
    if (!chart || !chart.filter) { return; }
    var ticket = ++checking;
    ok.textContent = words("checking");
    ok.classList.add("shown");
    var query = "?chart=" + encodeURIComponent(chart.key) + "&source=" + encodeURIComponent(JSON.stringify(chart.source)) +
      "&filter=" + encodeURIComponent(chart.filter);
    fetch(panel.getAttribute("data-check") + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (ticket !== checking) { return; }
        ok.classList.remove("shown");
        if (body.ok) {
          ok.textContent = words("filter-ok");
          ok.classList.add("shown");
        } else {
          show(slot, (body.error || {}).message || "");
        }
      })
      .catch(function () { ok.classList.remove("shown"); });
  }

  function parseVariables(value) {
    var variables = {};
    var ok = true;
    value.split(",").forEach(function (part) {
      part = part.trim();
      if (!part) { return; }
      var pieces = part.split(":");
      var name = pieces[0].trim();
      var kind = (pieces[1] || "text").trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || catalogue.variableKinds.indexOf(kind) < 0) { ok = false; }
      variables[name] = kind;
    });
    return ok ? variables : null;
  }

  function wire() {
    $("ce-chart").addEventListener("change", function () { designer.select($("ce-chart").value || null); });
    $("ce-key").addEventListener("change", function () {
      var key = $("ce-key").value.trim();
      var definition = designer.read();
      if (!definition || key === current) { return; }
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(key) || definition.charts.some(function (c) { return c.key === key; })) {
        show(panel.querySelector('[data-error="key"]'), words("bad-key"));
        return;
      }
      var old = current;
      change(function (chart, d) {
        chart.key = key;
        d.charts.forEach(function (c) { if (c.drill && c.drill.chart === old) { c.drill.chart = key; } });
        (d.filters || []).forEach(function (f) {
          if (f.charts) { f.charts = f.charts.map(function (k) { return k === old ? key : k; }); }
        });
        current = key;
      }, false, true);
      designer.select(key);
    });
    ["en", "zh"].forEach(function (lang) {
      $("ce-title-" + lang).addEventListener("input", function () {
        change(function (c) {
          c.title = {en: $("ce-title-en").value, zh: $("ce-title-zh").value};
        }, false);
      });
    });
    $("ce-source").addEventListener("change", function () {
      var entry = catalogue.sources[parseInt($("ce-source").value, 10)];
      if (!entry) { return; }
      change(function (c) {
        c.source = JSON.parse(JSON.stringify(entry.spec));
        var fields = fieldsOf(c);
        c.dimensions = (c.dimensions || []).filter(function (d) { return fieldOf(fields, d.field); });
        c.measures = (c.measures || []).map(function (m) {
          return m.field && !fieldOf(fields, m.field) ? {agg: c.type === "box" ? "box" : "count"} : m;
        });
        if (!c.measures.length) { c.measures = [{agg: "count"}]; }
        if (c.drill) { delete c.drill; }  // another source: its drill-down target no longer fits
        if (c.compare && !fieldOf(fields, c.compare.field)) { delete c.compare; }
      }, true);
      checkFilter();  // the filter stays; whether it still names fields of the new source, the server says
    });
    $("ce-variables").addEventListener("change", function () {
      var variables = parseVariables($("ce-variables").value);
      if (!variables) {
        show(panel.querySelector('[data-error="source"]'), words("bad-variables"));
        return;
      }
      change(function (c) {
        if (Object.keys(variables).length) { c.source.variables = variables; } else { delete c.source.variables; }
      }, true);
    });
    $("ce-type").addEventListener("change", function () {
      change(function (c) {
        var was = c.type;
        c.type = $("ce-type").value;
        // Only a single-value chart draws a target and a comparison; the save refuses them on any other.
        if (!SINGLE[c.type]) { delete c.target; delete c.compare; }
        (c.measures || []).forEach(function (m) {
          if (c.type === "box") { m.agg = "box"; } else if (was === "box" && m.agg === "box") { m.agg = "avg"; }
        });
        if (c.type === "histogram" && c.dimensions && c.dimensions[0] && !c.dimensions[0].bins) {
          var field = fieldOf(fieldsOf(c), c.dimensions[0].field);
          if (field && field.kind === "number") { c.dimensions[0].bins = 10; }
        }
      }, true);
    });
    $("ce-add-dimension").addEventListener("click", function () {
      change(function (c) {
        var fields = fieldsOf(c).filter(function (f) { return pickers.groupable(f, c); });
        var used = (c.dimensions || []).map(function (d) { return d.field; });
        var free = fields.filter(function (f) { return used.indexOf(f.key) < 0; })[0] || fields[0];
        if (!free) { return; }
        c.dimensions = (c.dimensions || []).concat([{field: free.key}]);
      }, true);
    });
    $("ce-add-measure").addEventListener("click", function () {
      change(function (c) { c.measures = (c.measures || []).concat([{agg: c.type === "box" ? "box" : "count"}]); }, true);
    });
    $("ce-filter").addEventListener("input", function () {
      change(function (c) {
        var value = $("ce-filter").value.trim();
        if (value) { c.filter = value; } else { delete c.filter; }
      }, false);
      clearTimeout(timer);
      timer = setTimeout(checkFilter, 400);
    });
    $("ce-top").addEventListener("change", function () {
      change(function (c) {
        var n = parseInt($("ce-top").value, 10);
        if (n) { c.top = n; } else { delete c.top; delete c.others; }
      }, true);
    });
    $("ce-others").addEventListener("change", function () {
      change(function (c) { if ($("ce-others").checked) { c.others = true; } else { delete c.others; } }, false);
    });
    $("ce-sort").addEventListener("change", function () {
      change(function (c) { if ($("ce-sort").value) { c.sort = $("ce-sort").value; } else { delete c.sort; } }, false);
    });
    $("ce-palette").addEventListener("change", function () {
      var name = $("ce-palette").value;
      if (name === "custom") { return; }
      change(function (c) {
        if (name) { c.colors = catalogue.palettes[name].slice(0, 20); } else { delete c.colors; }
      }, true);
    });
    $("ce-add-color").addEventListener("click", function () {
      change(function (c) {
        var base = catalogue.palettes.category20;
        c.colors = (c.colors || []).concat([base[(c.colors || []).length % base.length]]);
      }, true);
    });
    $("ce-drill").addEventListener("change", function () {
      var value = $("ce-drill").value;
      change(function (c) {
        if (!value) { delete c.drill; } else if (value === "records") { c.drill = {records: true}; } else {
          c.drill = {chart: value.slice("chart:".length)};
        }
      }, false);
    });
    $("ce-target").addEventListener("change", function () {
      change(function (c) {
        var n = parseFloat($("ce-target").value);
        if (isFinite(n)) { c.target = n; } else { delete c.target; }
      }, false);
    });
    ["ce-compare-field", "ce-compare-period"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        change(function (c) {
          var field = $("ce-compare-field").value;
          if (field) { c.compare = {field: field, period: $("ce-compare-period").value}; } else { delete c.compare; }
        }, true);
      });
    });
  }

  designer.listen(function (key) {
    current = key;
    fill();
  });
  fetch(panel.getAttribute("data-catalogue"), {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (body) {
      catalogue = body;
      wire();
      var definition = designer.read();
      if (problem && problem.chart && definition &&
          definition.charts.some(function (c) { return c.key === problem.chart; })) {
        designer.select(problem.chart);
      } else {
        current = designer.selected();
        fill();
      }
    })
    .catch(function () { show(panel.querySelector('[data-error="chart"]'), words("unreachable")); });
})();
