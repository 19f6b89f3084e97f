/* Shows a process instance's BPMN diagram read-only, marking what has happened.
 *
 * Reads everything from data- attributes of <div class="diagram" data-xml-url=...>, so pages need
 * no inline script (a strict Content-Security-Policy stays possible):
 *   data-xml-url    the BPMN 2.0 XML of the instance's version
 *   data-completed  JSON list of finished element ids      -> marker "completed"
 *   data-active     JSON list of element ids waiting now    -> marker "active"
 *   data-taken      JSON list of sequence flow ids taken    -> marker "taken"
 *   data-errored    JSON list of element ids an incident stopped at -> marker "errored" (admin pages)
 *   data-trace      JSON object element id -> lines of its approval trace -> a badge with them on the shape
 *   data-error      the (translated) text shown if the diagram cannot be loaded
 * Once drawn, the container gets data-rendered="true" (browser tests wait for it).
 * The bpmn.io watermark the viewer adds is part of its licence and is left visible.
 */
(function () {
  'use strict';

  function ids(container, name) {
    try {
      var value = JSON.parse(container.getAttribute('data-' + name) || '[]');
      return Array.isArray(value) ? value : [];
    } catch (err) {
      return [];
    }
  }

  function fail(container, err) {
    console.error('BOMS diagram:', err);
    var note = document.createElement('p');
    // Bootstrap 5 (staff pages) and 4 (Flask-Admin) name the muted colour differently.
    note.className = 'text-body-secondary text-muted p-3 mb-0';
    note.textContent = container.getAttribute('data-error') || 'The diagram could not be shown: ' + err.message;
    container.replaceChildren(note);
  }

  // The approval trace (returns, transfers, signers, CCs): a numbered badge on the step, its lines as the
  // badge's title and, on a tap, listed below it (phones have no hover).
  function badges(viewer, registry, container) {
    var trace;
    try {
      trace = JSON.parse(container.getAttribute('data-trace') || '{}') || {};
    } catch (err) {
      return;
    }
    var overlays = viewer.get('overlays');
    Object.keys(trace).forEach(function (id) {
      var lines = Array.isArray(trace[id]) ? trace[id] : [];
      if (!registry.get(id) || !lines.length) {
        return;
      }
      var badge = document.createElement('button');
      badge.type = 'button';
      badge.className = 'diagram-trace-badge';
      badge.setAttribute('data-testid', 'trace-' + id);
      badge.title = lines.join('\n');
      badge.textContent = '\u21ba ' + lines.length;
      var list = document.createElement('ol');
      list.className = 'diagram-trace-lines';
      list.hidden = true;
      lines.forEach(function (line) {
        var item = document.createElement('li');
        item.textContent = line;
        list.appendChild(item);
      });
      badge.addEventListener('click', function () { list.hidden = !list.hidden; });
      var box = document.createElement('div');
      box.appendChild(badge);
      box.appendChild(list);
      overlays.add(id, 'trace', { position: { top: -12, right: 12 }, html: box });
    });
  }

  function render(container) {
    if (typeof window.BpmnJS !== 'function') {
      fail(container, new Error('the bpmn-js viewer script is missing'));
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
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        // Ids the diagram does not draw (an element without shape) are skipped, not fatal.
        function mark(list, marker) {
          list.forEach(function (id) {
            if (registry.get(id)) {
              canvas.addMarker(id, marker);
            }
          });
        }
        mark(ids(container, 'completed'), 'completed');
        mark(ids(container, 'taken'), 'taken');
        mark(ids(container, 'active'), 'active');
        mark(ids(container, 'errored'), 'errored');
        badges(viewer, registry, container);
        canvas.zoom('fit-viewport', 'auto');
        container.setAttribute('data-rendered', 'true');
      })
      .catch(function (err) { fail(container, err); });
  }

  function start() {
    document.querySelectorAll('div.diagram[data-xml-url]').forEach(render);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
