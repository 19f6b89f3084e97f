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
        return window.Bokeh.embed.embed_item(item, element.id).then(function (views) {
          roots[element.id] = views.get_by_id(item.root_id);
        });
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

  var roots = {};  // chart element id -> its Bokeh root view (what the PNG button draws)

  // The PNG is drawn here, in the browser, from the chart's own canvas (BokehJS's export, as its save tool
  // does): the server has no browser to draw it (GET .../export.png says so).
  function savePicture(button) {
    var view = roots[button.dataset.chart];
    var failed = function (error) {
      var card = document.getElementById(button.dataset.chart);
      var message = document.createElement("div");
      message.className = "alert alert-warning small m-2";
      message.setAttribute("data-testid", "png-error");
      message.textContent = button.dataset.failed + (error ? " (" + String(error.message || error) + ")" : "");
      card.appendChild(message);
    };
    if (!view || typeof view.export !== "function") {
      failed(null);
      return;
    }
    view.export("png").to_blob().then(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = button.dataset.file;
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    }).catch(failed);
  }

  function loadAll() {
    document.querySelectorAll(".bokeh-chart[data-item]").forEach(load);
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadAll();
    document.querySelectorAll(".chart-png").forEach(function (button) {
      button.addEventListener("click", function () { savePicture(button); });
    });
    var grid = document.querySelector(".dashboard-grid");
    var seconds = grid && parseInt(grid.dataset.refresh, 10);
    if (seconds && seconds >= 30) {
      window.setInterval(loadAll, seconds * 1000);
    }
  });
})();
