/*
 * The scenario run page (/review/runs/N).
 * - While the run is queued or running: polls the run's API URL (data-url of #progress-section)
 *   every second, moves the progress bar, and reloads the page once the run has finished.
 * - When it has finished, the diagrams with covered and uncovered elements are drawn by the
 *   shared viewer (static/js/diagram.js).
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

  function start() {
    var section = document.getElementById('progress-section');
    if (section) { follow(section); }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
