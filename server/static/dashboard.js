// Dashboard pages: fetch each chart's Bokeh document (json_item) and embed it; no inline script, so the
// page's Content-Security-Policy needs nothing beyond script-src 'self'. Optional auto-refresh.
(function () {
  "use strict";

  function load(element) {
    return fetch(element.dataset.item, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error((body && body.error && body.error.message) || response.statusText);
          }
          return body;
        });
      })
      .then(function (item) {
        element.replaceChildren();
        return window.Bokeh.embed.embed_item(item, element.id);
      })
      .then(function () {
        element.dataset.rendered = "true";
      })
      .catch(function (error) {
        var message = document.createElement("div");
        message.className = "alert alert-warning small m-2";
        message.setAttribute("data-testid", "chart-error");
        message.textContent = String(error.message || error);
        element.replaceChildren(message);
        element.dataset.rendered = "error";
      });
  }

  function loadAll() {
    document.querySelectorAll(".bokeh-chart[data-item]").forEach(load);
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadAll();
    var grid = document.querySelector(".dashboard-grid");
    var seconds = grid && parseInt(grid.dataset.refresh, 10);
    if (seconds && seconds >= 30) {
      window.setInterval(loadAll, seconds * 1000);
    }
  });
})();
