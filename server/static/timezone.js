// Date-time inputs in the browser's time zone. The server (server/forms/render.py) stores UTC: it reads
// the zone from the hidden boms-tz / boms-tz-offset inputs filled here; without this script both stay
// empty and the times are taken as UTC, which the label beside each date-time input then says.
(function () {
  "use strict";

  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    zone = "";
  }
  var offset = new Date().getTimezoneOffset(); // minutes, UTC minus local

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function offsetName() {
    var minutes = Math.abs(offset);
    return "UTC" + (offset <= 0 ? "+" : "-") + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  document.querySelectorAll("input[name='boms-tz']").forEach(function (el) { el.value = zone; });
  document.querySelectorAll("input[name='boms-tz-offset']").forEach(function (el) { el.value = String(offset); });
  document.querySelectorAll("[data-tz-label]").forEach(function (el) { el.textContent = zone || offsetName(); });

  // Stored instants arrive as UTC wall time (the fallback); show them in the browser's zone instead.
  document.querySelectorAll("input[type='datetime-local'][data-utc]").forEach(function (el) {
    var moment = new Date(el.getAttribute("data-utc"));
    if (isNaN(moment.getTime())) {
      return;
    }
    el.value = moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()) +
      "T" + pad(moment.getHours()) + ":" + pad(moment.getMinutes());
  });
})();
