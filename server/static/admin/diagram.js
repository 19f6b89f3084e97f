/* Admin diagrams: the vendored bpmn-js navigated viewer (the same one the staff instance page uses),
 * with one more marker than the staff page: the element an incident stopped at.
 *
 * <div class="diagram" data-xml-url=... data-completed='[...]' data-active='[...]' data-taken='[...]'
 *      data-errored='[...]'> — no inline script, everything comes from data- attributes.
 * The bpmn.io watermark stays visible (its licence requires it).
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
    note.className = 'text-muted p-3 mb-0';
    note.textContent = 'The diagram could not be shown: ' + err.message;
    container.replaceChildren(note);
  }

  function render(container) {
    if (typeof window.BpmnJS !== 'function') {
      fail(container, new Error('the bpmn-js viewer script is missing'));
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute('data-xml-url'), { credentials: 'same-origin' })
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
        ['completed', 'taken', 'active', 'errored'].forEach(function (marker) {
          ids(container, marker).forEach(function (id) {
            if (registry.get(id)) {
              canvas.addMarker(id, marker);
            }
          });
        });
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
