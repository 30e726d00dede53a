/*
 * The scenario run page (/review/runs/N).
 * - While the run is queued or running: polls the run's API URL (data-url of #progress-section)
 *   every second, moves the progress bar, and reloads the page once the run has finished.
 * - When it has finished: draws each <figure class="review-diagram" data-xml data-covered
 *   data-uncovered> with bpmn-js NavigatedViewer (global BpmnJS, /vendor/bpmn-js) and marks the
 *   elements the scenarios ran through ("covered") and those they never reached ("uncovered").
 *   A drawn figure gets data-state="ready" (tests wait for it), or "error".
 * No inline script, so a strict CSP can forbid inline code.
 */
(function () {
  'use strict';
  var FINAL = ['passed', 'failed', 'error'];

  function follow(section) {
    var bar = document.getElementById('run-progress');
    var text = document.getElementById('run-progress-text');
    function poll() {
      fetch(section.getAttribute('data-url'), { credentials: 'same-origin' })
        .then(function (response) {
          if (!response.ok) { throw new Error('HTTP ' + response.status); }
          return response.json();
        })
        .then(function (run) {
          if (FINAL.indexOf(run.state) >= 0) { window.location.reload(); return; }
          if (run.total) { bar.max = run.total; }
          bar.value = run.done;
          text.textContent = run.state === 'queued' ? '排队中，等待前面的运行结束……'
            : '已运行 ' + run.done + ' / ' + (run.total || '?') + ' 个场景';
          window.setTimeout(poll, 1000);
        })
        .catch(function () {
          text.textContent = '暂时无法取得进度，稍后重试……';
          window.setTimeout(poll, 5000);
        });
    }
    window.setTimeout(poll, 1000);
  }

  function list(figure, name) {
    try { return JSON.parse(figure.getAttribute('data-' + name) || '[]'); } catch (e) { return []; }
  }

  function draw(figure) {
    var container = figure.querySelector('.bpmn-canvas');
    if (typeof window.BpmnJS !== 'function') {
      figure.setAttribute('data-state', 'error');
      container.textContent = '无法显示流程图：bpmn-js 未安装（npm ci）';
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(figure.getAttribute('data-xml'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        ['covered', 'uncovered'].forEach(function (marker) {
          list(figure, marker).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, marker); }
          });
        });
        canvas.zoom('fit-viewport', 'auto');
        figure.setAttribute('data-state', 'ready');
      })
      .catch(function (error) {
        figure.setAttribute('data-state', 'error');
        container.textContent = '流程图加载失败：' + (error && error.message ? error.message : error);
      });
  }

  function start() {
    var section = document.getElementById('progress-section');
    if (section) { follow(section); }
    Array.prototype.forEach.call(document.querySelectorAll('.review-diagram[data-xml]'), draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
