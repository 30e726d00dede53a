/*
 * Visual diff of two versions: each figure loads one version's diagram (bpmn-js NavigatedViewer)
 * and marks the elements of data-marks ({id: "added"|"removed"|"changed"}) present in it with
 * the marker diff-<change>. Figures get data-state="ready" when drawn.
 */
(function () {
  'use strict';

  function draw(figure) {
    var marks = JSON.parse(figure.getAttribute('data-marks') || '{}');
    var viewer = new window.BpmnJS({ container: figure.querySelector('.bpmn-canvas') });
    fetch(figure.getAttribute('data-xml'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        Object.keys(marks).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, 'diff-' + marks[id]); }
        });
        canvas.zoom('fit-viewport', 'auto');
        figure.setAttribute('data-state', 'ready');
      })
      .catch(function (error) {
        figure.setAttribute('data-state', 'error');
        figure.querySelector('figcaption').textContent += '（加载失败：' + error.message + '）';
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.bpmn-diagram[data-xml]'), draw);
}());
