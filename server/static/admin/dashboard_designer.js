// The dashboard designer: the charts of the JSON definition as tiles on a 12-column grid (gridstack).
// Dragging or resizing a tile writes every chart's "layout" {x, y, w, h} back into the JSON; "Add a chart"
// copies the last chart (new key) to a free place; the JSON stays the one thing that is saved, and the
// server checks it as it checks the JSON editor's and the API's. A tile clicked (or focused and Enter) is the
// selected chart: the chart editor (chart_editor.js) edits it through window.BomsDesigner.
(function () {
  "use strict";
  var area = document.getElementById("dashboard-json");
  var holder = document.getElementById("designer-grid");
  var problem = document.getElementById("grid-error");
  var COLUMNS = 12;
  var PHONE = 576;
  var grid = null;
  var selected = null;
  var listeners = [];

  function read() {
    try {
      var definition = JSON.parse(area.value || "{}");
      problem.classList.add("d-none");
      if (!Array.isArray(definition.charts)) { definition.charts = []; }
      return definition;
    } catch (e) {
      problem.classList.remove("d-none");
      return null;
    }
  }

  function title(chart) {
    var t = chart.title || {};
    var zh = (holder.getAttribute("data-lang") || document.documentElement.lang || "").indexOf("zh") === 0;
    return (zh ? t.zh : t.en) || t.en || chart.key;
  }

  function place(chart) {
    var l = chart.layout || {};
    return {x: l.x || 0, y: l.y || 0, w: l.w || 6, h: l.h || 4};
  }

  function tile(chart, narrow) {
    var layout = place(chart);
    var item = document.createElement("div");
    item.className = "grid-stack-item";
    item.setAttribute("gs-id", chart.key);
    if (narrow) {  // one column: each tile full width, below the one before (reading order)
      item.setAttribute("gs-w", 1);
      item.setAttribute("gs-h", layout.h);
      item.setAttribute("gs-auto-position", "true");
    } else {
      ["x", "y", "w", "h"].forEach(function (name) { item.setAttribute("gs-" + name, layout[name]); });
    }
    item.setAttribute("gs-max-h", 12);
    item.setAttribute("data-testid", "tile-" + chart.key);
    var content = document.createElement("div");
    content.className = "grid-stack-item-content" + (chart.key === selected ? " selected" : "");
    content.tabIndex = 0;
    content.setAttribute("role", "button");
    content.setAttribute("aria-pressed", chart.key === selected ? "true" : "false");
    content.addEventListener("click", function (event) {
      if (event.target !== remove) { select(chart.key); }
    });
    content.addEventListener("keydown", function (event) {
      if ((event.key === "Enter" || event.key === " ") && event.target === content) {
        event.preventDefault();
        select(chart.key);
      }
    });
    var name = document.createElement("div");
    name.className = "tile-title";
    name.textContent = title(chart);
    var key = document.createElement("div");
    key.className = "tile-key";
    key.textContent = chart.key + " · " + chart.type;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-link text-danger tile-remove p-0";
    remove.textContent = "×";
    remove.title = holder.getAttribute("data-remove");
    remove.setAttribute("aria-label", holder.getAttribute("data-remove") + " " + chart.key);
    remove.addEventListener("click", function () { removeChart(chart.key); });
    content.appendChild(remove);
    content.appendChild(name);
    content.appendChild(key);
    item.appendChild(content);
    return item;
  }

  // What the grid shows, written into the definition: only in its 12-column form (a phone's single column
  // is a view of the same layout, never saved).
  function writeLayout() {
    if (!grid || grid.getColumn() !== COLUMNS) { return; }
    var definition = read();
    if (!definition) { return; }
    var placed = {};
    grid.save(false).forEach(function (node) {
      placed[node.id] = {x: node.x || 0, y: node.y || 0, w: node.w || 1, h: node.h || 1};
    });
    definition.charts.forEach(function (chart) {
      if (placed[chart.key]) { chart.layout = placed[chart.key]; }
    });
    area.value = JSON.stringify(definition, null, 2);
  }

  function draw() {
    var definition = read();
    if (!definition) { return; }
    if (grid) { grid.destroy(false); }
    holder.innerHTML = "";
    // A phone shows the tiles stacked in one column, to read, not to arrange (its layout is not the saved one).
    var narrow = holder.clientWidth < PHONE;
    definition.charts.slice().sort(function (a, b) {
      var p = place(a), q = place(b);
      return p.y - q.y || p.x - q.x;
    }).forEach(function (chart) { holder.appendChild(tile(chart, narrow)); });
    grid = GridStack.init({
      column: narrow ? 1 : COLUMNS, cellHeight: 60, margin: 6, float: false, animate: false, staticGrid: narrow,
      resizable: {handles: "se"}
    }, holder);
    grid.on("change", writeLayout);
    if (selected && !definition.charts.some(function (c) { return c.key === selected; })) { selected = null; }
    tell();
  }

  function tell() {
    listeners.forEach(function (listener) { listener(selected); });
  }

  function select(key) {
    selected = key;
    holder.querySelectorAll(".grid-stack-item").forEach(function (item) {
      var on = item.getAttribute("gs-id") === key;
      var content = item.querySelector(".grid-stack-item-content");
      content.classList.toggle("selected", on);
      content.setAttribute("aria-pressed", on ? "true" : "false");
    });
    tell();
  }

  // The chart editor's way in: read the definition, write it back (tiles retitled; redrawn when a key
  // changed), select a chart, and hear of every selection and redraw.
  function write(definition, redraw) {
    area.value = JSON.stringify(definition, null, 2);
    if (redraw) { draw(); return; }
    definition.charts.forEach(function (chart) {
      // A key typed by hand into the JSON may hold quotes: escaped, or the selector would throw.
      var item = holder.querySelector('[data-testid="tile-' + CSS.escape(String(chart.key)) + '"]');
      if (!item) { return; }
      item.querySelector(".tile-title").textContent = title(chart);
      item.querySelector(".tile-key").textContent = chart.key + " · " + chart.type;
    });
  }

  function removeChart(key) {
    var definition = read();
    if (!definition) { return; }
    definition.charts = definition.charts.filter(function (c) { return c.key !== key; });
    if (selected === key) { selected = null; }
    area.value = JSON.stringify(definition, null, 2);
    draw();
  }

  function addChart() {
    var definition = read();
    if (!definition) { return; }
    var last = definition.charts[definition.charts.length - 1];
    var chart = last ? JSON.parse(JSON.stringify(last)) : {
      type: "kpi", title: {en: "Count", zh: "数量"}, source: {kind: "audit_events"}, dimensions: [],
      measures: [{agg: "count"}]};
    var taken = {};
    definition.charts.forEach(function (c) { taken[c.key] = true; });
    var base = (last ? last.key : "chart").replace(/_\d+$/, "");
    var n = 2;
    while (taken[base + "_" + n]) { n += 1; }
    chart.key = base + "_" + n;
    delete chart.drill;
    var bottom = 0;
    definition.charts.forEach(function (c) {
      var l = place(c);
      bottom = Math.max(bottom, l.y + l.h);
    });
    chart.layout = {x: 0, y: bottom, w: 6, h: 4};
    definition.charts.push(chart);
    area.value = JSON.stringify(definition, null, 2);
    selected = chart.key;
    draw();
  }

  document.getElementById("grid-add").addEventListener("click", addChart);
  document.getElementById("grid-reload").addEventListener("click", draw);
  area.addEventListener("change", draw);
  var wasNarrow = holder.clientWidth < PHONE;
  window.addEventListener("resize", function () {
    var narrow = holder.clientWidth < PHONE;
    if (narrow !== wasNarrow) { wasNarrow = narrow; draw(); }
  });
  window.BomsDesigner = {
    read: read, write: write, select: select,
    selected: function () { return selected; },
    listen: function (listener) { listeners.push(listener); }
  };
  draw();
})();
