// The rule editor's pickers: each button reads the rule's JSON from the textarea, changes one part
// (trigger, condition, watched fields, actions, recipients) from what was picked, and writes it back.
// Saving still checks everything on the server; this only saves typing names by hand.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rule-picker-data").textContent);
  var area = document.getElementById("rule-json");
  var problem = document.getElementById("picker-error");
  var byId = function (id) { return document.getElementById(id); };

  // `source`: who changed it, told to the listeners of "rule-changed" (the condition builder skips its own).
  function edit(change, source) {
    var rule;
    try {
      rule = JSON.parse(area.value || "{}");
    } catch (e) {
      problem.classList.remove("d-none");
      return;
    }
    problem.classList.add("d-none");
    change(rule);
    area.value = JSON.stringify(rule, null, 2);
    area.dispatchEvent(new CustomEvent("rule-changed", {detail: source || "pickers"}));
  }

  function read() {
    try { return JSON.parse(area.value || "{}"); } catch (e) { return null; }
  }

  function typeOf(rule) {
    var key = (rule.trigger && rule.trigger.recordType) || byId("pick-type").value;
    return data.recordTypes.filter(function (t) { return t.key === key; })[0];
  }

  function fillFields() {
    var rule = {};
    try { rule = JSON.parse(area.value || "{}"); } catch (e) { /* keep the picked type */ }
    var kind = typeOf(rule);
    var select = byId("pick-field");
    select.innerHTML = "";
    (kind ? kind.fields : []).forEach(function (f) {
      var option = document.createElement("option");
      option.value = f.key;
      option.textContent = f.label + " (" + f.key + ", " + f.type + ")";
      select.appendChild(option);
    });
  }

  byId("set-trigger").addEventListener("click", function () {
    edit(function (rule) {
      var kind = byId("pick-trigger").value;
      var trigger = {type: kind};
      if (kind === "record" || kind === "date" || kind === "manual") trigger.recordType = byId("pick-type").value;
      if (kind === "record") trigger.on = ["updated"];
      if (kind === "date") { trigger.field = "updated_at"; trigger.offset = 1; trigger.unit = "days"; }
      if (kind === "process") { trigger.process = byId("pick-process").value; trigger.on = [data.processEvents[0]]; }
      if (kind === "schedule") { trigger.cron = "0 8 * * 1-5"; trigger.timezone = "UTC"; }
      rule.trigger = trigger;
    });
    fillFields();
  });

  byId("field-condition").addEventListener("click", function () {
    edit(function (rule) {
      var term = "record." + byId("pick-field").value;
      rule.condition = rule.condition ? rule.condition + " && " + term : term;
    });
  });

  byId("field-watch").addEventListener("click", function () {
    edit(function (rule) {
      if (!rule.trigger || rule.trigger.type !== "record") return;
      var fields = rule.trigger.fields || [];
      if (fields.indexOf(byId("pick-field").value) < 0) fields.push(byId("pick-field").value);
      rule.trigger.fields = fields;
      if ((rule.trigger.on || []).indexOf("updated") < 0) rule.trigger.on = (rule.trigger.on || []).concat(["updated"]);
    });
  });

  byId("add-action").addEventListener("click", function () {
    edit(function (rule) {
      var kind = byId("pick-action").value;
      var actions = rule.actions || [];
      var action = {id: kind + "_" + (actions.length + 1), type: kind};
      data.actions[kind].required.forEach(function (name) {
        if (name === "recordType") action.recordType = byId("pick-type").value;
        else if (name === "process") action.process = byId("pick-process").value;
        else if (name === "decision") action.decision = data.decisions[0] || "";
        else if (name === "connector") action.connector = data.connectors[0] || "";
        else if (name === "fields") action.fields = {};
        else if (name === "minutes") action.minutes = 60;
        else action[name] = "";
      });
      actions.push(action);
      rule.actions = actions;
    });
  });

  byId("add-person").addEventListener("click", function () {
    edit(function (rule) {
      var picked = byId("pick-person").value.split(":");
      var notify = (rule.actions || []).filter(function (a) { return a.type === "notify"; }).pop();
      if (!notify) return;
      var list = picked[0] === "user" ? "users" : "groups";
      notify[list] = notify[list] || [];
      if (notify[list].indexOf(picked[1]) < 0) notify[list].push(picked[1]);
    });
  });

  byId("pick-type").addEventListener("change", fillFields);
  area.addEventListener("change", fillFields);
  // While typing: the condition builder follows (on "input", so its redraw never moves a button being clicked).
  area.addEventListener("input", function () {
    area.dispatchEvent(new CustomEvent("rule-changed", {detail: "json"}));
  });
  fillFields();
  window.BomsRuleEditor = {area: area, edit: edit, read: read, typeOf: typeOf};
})();
