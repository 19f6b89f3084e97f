/* The process heatmap on a version's BPMN diagram (server/analytics/heatmap.py), read-only.
 *
 * Reads everything from data- attributes of <div class="heatmap-diagram" data-xml-url=... data-heatmap=...>
 * (no inline script, so a strict Content-Security-Policy stays possible):
 *   data-xml-url   the version's BPMN 2.0 XML
 *   data-heatmap   the heatmap JSON: elements {id: {count, waiting, avgSeconds, ...}}, flows {id: count}, metric
 *   data-error     the (translated) text shown if the diagram cannot be loaded
 *   data-labels    the (translated) words of a badge's tooltip: passed, waiting, cancelled, avg, p90, max
 * Each flow node that was passed or is waited in gets a badge (passed count, "+N" waiting; with metric=duration
 * also the average time) and a heat marker heat-1..heat-5 by its share of the largest value; each sequence flow
 * taken gets its count. Once drawn, the container gets data-rendered="true" (browser tests wait for it).
 */
(function () {
  'use strict';

  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return '';
    }
    if (seconds < 60) {
      return Math.round(seconds) + ' s';
    }
    if (seconds < 3600) {
      return Math.round(seconds / 60) + ' min';
    }
    if (seconds < 86400) {
      return (seconds / 3600).toFixed(1) + ' h';
    }
    return (seconds / 86400).toFixed(1) + ' d';
  }

  function fail(container, err) {
    console.error('BOMS heatmap:', err);
    var note = document.createElement('p');
    note.className = 'text-muted p-3 mb-0';
    note.textContent = container.getAttribute('data-error') || 'The diagram could not be shown: ' + err.message;
    container.replaceChildren(note);
  }

  function level(value, top) {
    if (!value || !top) {
      return 0;
    }
    return Math.max(1, Math.ceil(5 * value / top));
  }

  function badge(text, title, testid, className) {
    var box = document.createElement('span');
    box.className = className;
    box.textContent = text;
    box.title = title;
    box.setAttribute('data-testid', testid);
    return box;
  }

  var WORDS = { passed: 'passed', waiting: 'waiting', cancelled: 'cancelled', avg: 'avg', p90: 'p90', max: 'max' };

  function draw(viewer, data, labels) {
    var word = function (key) { return labels[key] || WORDS[key]; };
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var byDuration = data.metric === 'duration';
    var elements = data.elements || {};
    // Time: the ended passages' average, or what is waiting there now if that is longer (a step nobody has
    // left yet is hot too). Count: passed plus waiting.
    var value = function (item) {
      return byDuration ? Math.max(item.avgSeconds || 0, item.waitingAvgSeconds || 0)
        : (item.count || 0) + (item.waiting || 0);
    };
    var top = 0;
    Object.keys(elements).forEach(function (id) { top = Math.max(top, value(elements[id])); });
    Object.keys(elements).forEach(function (id) {
      var item = elements[id];
      if (!registry.get(id) || (!item.count && !item.waiting && !item.cancelled)) {
        return;
      }
      var heat = level(value(item), top);
      if (heat) {
        canvas.addMarker(id, 'heat-' + heat);
      }
      var text = String(item.count) + (item.waiting ? ' +' + item.waiting : '');
      if (byDuration && item.avgSeconds) {
        text += ' · ' + duration(item.avgSeconds);
      }
      var title = [item.name || id, word('passed') + ': ' + item.count, word('waiting') + ': ' + item.waiting,
                   word('cancelled') + ': ' + item.cancelled];
      if (byDuration) {
        title.push(word('avg') + ': ' + duration(item.avgSeconds), word('p90') + ': ' + duration(item.p90Seconds),
                   word('max') + ': ' + duration(item.maxSeconds));
      }
      overlays.add(id, 'heatmap', { position: { bottom: 4, left: 4 },
        html: badge(text, title.join('\n'), 'heat-' + id, 'heatmap-badge') });
    });
    var flows = data.flows || {};
    Object.keys(flows).forEach(function (id) {
      var shape = registry.get(id);
      if (!shape || !flows[id]) {
        return;
      }
      canvas.addMarker(id, 'heat-flow');
      var points = shape.waypoints || [];
      var middle = points[Math.floor((points.length - 1) / 2)] || { x: shape.x, y: shape.y };
      overlays.add(id, 'heatmap', { position: { top: middle.y - shape.y - 10, left: middle.x - shape.x + 4 },
        html: badge(String(flows[id]), id + ': ' + flows[id], 'flow-' + id, 'heatmap-flow') });
    });
  }

  function render(container) {
    if (typeof window.BpmnJS !== 'function') {
      fail(container, new Error('the bpmn-js viewer script is missing'));
      return;
    }
    var data, labels;
    try {
      data = JSON.parse(container.getAttribute('data-heatmap') || '{}') || {};
      labels = JSON.parse(container.getAttribute('data-labels') || '{}') || {};
    } catch (err) {
      fail(container, err);
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute('data-xml-url'), { credentials: 'same-origin', headers: { Accept: 'application/xml' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status + ' for the diagram XML');
        }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        draw(viewer, data, labels);
        viewer.get('canvas').zoom('fit-viewport', 'auto');
        container.setAttribute('data-rendered', 'true');
      })
      .catch(function (err) { fail(container, err); });
  }

  function start() {
    document.querySelectorAll('div.heatmap-diagram[data-xml-url]').forEach(render);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
