// The chart editor's pickers that repeat per item: a dimension's field and date bucket or bins, a measure's field
// and the aggregates its kind allows, the colour swatches, the drill-down targets, a KPI's target and comparison; and the small helpers they share with
// chart_editor.js, which calls this factory with its catalogue, its way of changing the edited chart, and its
// words (the page's translated labels).
window.BomsChartPickers = function (ctx) {
  "use strict";
  var DATES = {date: true, datetime: true};

  function $(id) { return document.getElementById(id); }

  // JSON with sorted keys: two sources are the same source whatever order their keys were typed in.
  function canon(value) {
    if (Array.isArray(value)) { return "[" + value.map(canon).join(",") + "]"; }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + canon(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  function option(select, value, label, chosen) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    o.selected = !!chosen;
    select.appendChild(o);
    return o;
  }

  function fieldOf(fields, key) { return fields.filter(function (f) { return f.key === key; })[0] || null; }

  function fillFields(select, fields, value, keep, blank) {
    select.innerHTML = "";
    if (blank) { option(select, "", blank, !value); }
    var found = false;
    fields.forEach(function (f) {
      if (!keep(f)) { return; }
      option(select, f.key, ctx.say(f.label) + " (" + f.key + ")", f.key === value);
      found = found || f.key === value;
    });
    if (value && !found) { option(select, value, value + " — " + ctx.words("not-offered"), true); }
  }

  // The aggregates the save accepts for ``field`` in ``chart``: by the field's kind, and an amount whose currency
  // is chosen per record only counted unless the chart groups by its currency (server/records/money.py).
  function aggregatesFor(field, chart) {
    var byCurrency = field && field.currency && (chart.dimensions || []).some(function (d) {
      return d.field === field.currency;
    });
    return ctx.catalogue().aggregates.filter(function (a) {
      if (chart.type === "box") { return a.key === "box"; }
      if (a.key === "box") { return false; }
      if (!field) { return !a.needsField; }
      if (field.currency && !byCurrency && a.key !== "count") { return false; }
      return a.kinds.indexOf(field.kind) >= 0;
    });
  }

  // A dimension the save groups by: an amount whose currency is chosen per record only beside its currency.
  function groupable(field, chart) {
    return !!field.dimension && (!field.currency || (chart.dimensions || []).some(function (d) {
      return d.field === field.currency;
    }));
  }

  function row(templateId, holder, index, prefix) {
    var node = document.importNode($(templateId).content, true).firstElementChild;
    node.querySelectorAll("[data-part]").forEach(function (part) {
      var name = part.getAttribute("data-part");
      part.id = prefix + index + "-" + name;
      part.setAttribute("data-testid", part.id);
      var label = node.querySelector('[data-for="' + name + '"]');
      if (label) { label.htmlFor = part.id; }
    });
    holder.appendChild(node);
    return node;
  }

  function fillDimensions(chart, fields) {
    var holder = $("ce-dimensions");
    holder.innerHTML = "";
    (chart.dimensions || []).forEach(function (dim, i) {
      var node = row("ce-dimension-row", holder, i, "ce-dim-");
      var field = fieldOf(fields, dim.field);
      var select = node.querySelector("[data-part=field]");
      fillFields(select, fields, dim.field, function (f) { return groupable(f, chart); });
      select.addEventListener("change", function () {
        ctx.change(function (c) {
          var d = c.dimensions[i];
          d.field = select.value;
          var kind = (fieldOf(fields, d.field) || {}).kind;
          if (!DATES[kind]) { delete d.bucket; }
          if (kind !== "number") { delete d.bins; } else if (c.type === "histogram" && !d.bins) { d.bins = 10; }
        }, true);
      });
      var isDate = field && DATES[field.kind];
      node.querySelector('[data-show="bucket"]').classList.toggle("d-none", !isDate);
      var bucket = node.querySelector("[data-part=bucket]");
      option(bucket, "", ctx.words("none"), !dim.bucket);
      ctx.catalogue().buckets.forEach(function (b) { option(bucket, b.key, ctx.say(b.label), b.key === dim.bucket); });
      bucket.addEventListener("change", function () {
        ctx.change(function (c) {
          if (bucket.value) { c.dimensions[i].bucket = bucket.value; } else { delete c.dimensions[i].bucket; }
        }, false);
      });
      var showBins = field && field.kind === "number" && (chart.type === "histogram" || dim.bins);
      node.querySelector('[data-show="bins"]').classList.toggle("d-none", !showBins);
      var bins = node.querySelector("[data-part=bins]");
      bins.value = dim.bins || "";
      bins.addEventListener("change", function () {
        ctx.change(function (c) {
          var n = parseInt(bins.value, 10);
          if (n) { c.dimensions[i].bins = n; } else { delete c.dimensions[i].bins; }
        }, false);
      });
      node.querySelector("[data-part=remove]").addEventListener("click", function () {
        ctx.change(function (c) { c.dimensions.splice(i, 1); }, true);
      });
    });
  }

  function fillMeasures(chart, fields) {
    var holder = $("ce-measures");
    holder.innerHTML = "";
    (chart.measures || []).forEach(function (measure, i) {
      var node = row("ce-measure-row", holder, i, "ce-measure-");
      var select = node.querySelector("[data-part=field]");
      fillFields(select, fields, measure.field, function () { return true; }, ctx.words("rows"));
      var agg = node.querySelector("[data-part=agg]");
      var field = fieldOf(fields, measure.field);
      var offered = measure.field && !field ? ctx.catalogue().aggregates.filter(function (a) { return a.key !== "box"; })
        : aggregatesFor(field, chart);
      offered.forEach(function (a) { option(agg, a.key, ctx.say(a.label), a.key === measure.agg); });
      if (!offered.some(function (a) { return a.key === measure.agg; })) {
        option(agg, measure.agg, measure.agg, true);
      }
      select.addEventListener("change", function () {
        ctx.change(function (c) {
          var m = c.measures[i];
          var chosen = fieldOf(fields, select.value);
          if (select.value) { m.field = select.value; } else { delete m.field; }
          var valid = aggregatesFor(chosen, c).map(function (a) { return a.key; });
          if (chosen && chosen.kind === "number" && m.agg === "count" && valid.indexOf("sum") >= 0) {
            m.agg = "sum";
          } else if (valid.indexOf(m.agg) < 0 && valid.length) {
            m.agg = valid[0];
          }
        }, true);
      });
      agg.addEventListener("change", function () {
        ctx.change(function (c) { c.measures[i].agg = agg.value; }, true);
      });
      node.querySelector("[data-part=remove]").addEventListener("click", function () {
        ctx.change(function (c) { c.measures.splice(i, 1); }, true);
      });
    });
  }

  function paletteName(colors) {
    if (!colors) { return ""; }
    var names = Object.keys(ctx.catalogue().palettes).filter(function (name) {
      return canon(ctx.catalogue().palettes[name]) === canon(colors);
    });
    return names.length ? names[0] : "custom";
  }

  function fillColors(chart) {
    var select = $("ce-palette");
    select.innerHTML = "";
    var chosen = paletteName(chart.colors);
    option(select, "", ctx.words("default-palette"), chosen === "");
    Object.keys(ctx.catalogue().palettes).forEach(function (name) { option(select, name, name, chosen === name); });
    if (chosen === "custom") { option(select, "custom", ctx.words("custom"), true); }
    var holder = $("ce-colors");
    holder.innerHTML = "";
    (chart.colors || []).forEach(function (color, i) {
      var group = document.createElement("div");
      group.className = "mr-1 mb-1 d-flex align-items-center";
      var input = document.createElement("input");
      input.type = "color";
      input.className = "form-control form-control-sm ce-swatch";
      input.value = color.toLowerCase();
      input.id = "ce-color-" + i;
      input.setAttribute("data-testid", input.id);
      input.setAttribute("aria-label", ctx.words("colour") + " " + (i + 1));
      input.addEventListener("change", function () {
        ctx.change(function (c) { c.colors[i] = input.value; }, true);
      });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm btn-link text-danger p-0 ml-1";
      remove.textContent = "×";
      remove.setAttribute("aria-label", ctx.words("remove") + " " + ctx.words("colour") + " " + (i + 1));
      remove.addEventListener("click", function () {
        ctx.change(function (c) {
          c.colors.splice(i, 1);
          if (!c.colors.length) { delete c.colors; }
        }, true);
      });
      group.appendChild(input);
      group.appendChild(remove);
      holder.appendChild(group);
    });
    $("ce-add-color").disabled = (chart.colors || []).length >= 20;
  }

  function fillDrill(chart, definition) {
    var select = $("ce-drill");
    select.innerHTML = "";
    var drill = chart.drill || {};
    option(select, "", ctx.words("none"), !chart.drill);
    if (chart.source && chart.source.kind === "records" || drill.records) {
      option(select, "records", ctx.words("records"), !!drill.records);
    }
    var offered = false;
    definition.charts.forEach(function (c) {
      if (c.key === chart.key || canon(c.source) !== canon(chart.source)) { return; }
      option(select, "chart:" + c.key, ctx.words("chart-prefix") + " " + c.key + " — " + ctx.say(c.title), drill.chart === c.key);
      offered = offered || drill.chart === c.key;
    });
    if (drill.chart && !offered) {
      option(select, "chart:" + drill.chart, ctx.words("chart-prefix") + " " + drill.chart, true);
    }
  }

  function fillSingle(chart, fields) {
    if (document.activeElement !== $("ce-target")) {
      $("ce-target").value = chart.target === undefined ? "" : chart.target;
    }
    // A second measure is the target (the save refuses both); one already typed stays editable, to be cleared.
    $("ce-target").disabled = (chart.measures || []).length > 1 && chart.target === undefined;
    var compare = chart.compare || {};
    fillFields($("ce-compare-field"), fields, compare.field, function (f) { return DATES[f.kind]; }, ctx.words("none"));
    $("ce-compare-period").value = compare.period || "quarter";
    $("ce-compare-period").disabled = !chart.compare;
  }

  return {canon: canon, option: option, fieldOf: fieldOf, fillFields: fillFields, aggregatesFor: aggregatesFor, groupable: groupable,
          fillDimensions: fillDimensions, fillMeasures: fillMeasures, fillColors: fillColors,
          fillDrill: fillDrill, fillSingle: fillSingle};
};
