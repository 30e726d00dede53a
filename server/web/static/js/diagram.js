/*
 * Diagram viewer: bpmn-js NavigatedViewer (global BpmnJS, served under /vendor/bpmn-js) loads a
 * BPMN XML and marks the elements the server listed, e.g. on the instance page those done
 * (completed) or active (ready or waiting), on a scenario run's page those covered or uncovered.
 *
 * Markup: <figure class="bpmn-diagram" data-xml="URL" data-markers='["done", "active"]'
 *                 data-done='["id", ...]' data-active='[...]'>
 *           <div class="bpmn-canvas"></div><figcaption>...</figcaption></figure>
 * data-markers names the marker classes (default done and active), each listed in data-<marker>.
 * No inline script: everything comes from data attributes, so a strict CSP can forbid inline code.
 * When a diagram is ready its figure gets data-state="ready" (tests wait for it), or "error".
 */
(function () {
  'use strict';

  function ids(figure, name) {
    try {
      var value = JSON.parse(figure.getAttribute('data-' + name) || '[]');
      return Array.isArray(value) ? value : [];
    } catch (e) {
      return [];
    }
  }

  function fail(figure, canvasElement, error) {
    figure.setAttribute('data-state', 'error');
    var note = document.createElement('p');
    note.className = 'bpmn-error';
    note.setAttribute('role', 'alert');
    note.textContent = '流程图加载失败：' + (error && error.message ? error.message : error);
    canvasElement.appendChild(note);
    console.error('diagram', figure.getAttribute('data-xml'), error);
  }

  function show(figure) {
    var canvasElement = figure.querySelector('.bpmn-canvas') || figure;
    if (typeof window.BpmnJS !== 'function') {
      fail(figure, canvasElement, new Error('bpmn-js 未安装（npm ci）'));
      return;
    }
    var viewer = new window.BpmnJS({ container: canvasElement });
    fetch(figure.getAttribute('data-xml'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        var markers = figure.hasAttribute('data-markers') ? ids(figure, 'markers') : ['done', 'active'];
        markers.forEach(function (marker) {
          ids(figure, marker).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, marker); }
          });
        });
        canvas.zoom('fit-viewport', 'auto');
        figure.setAttribute('data-state', 'ready');
      })
      .catch(function (error) { fail(figure, canvasElement, error); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.bpmn-diagram[data-xml]'), show);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
