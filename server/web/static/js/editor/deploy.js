/*
 * Deploy page: start the scenario gate (POST /api/drafts/{id}/gate), poll its progress, show
 * the result per clause; a failed gate asks for an override reason; deploy with the change
 * note and regulation reference (POST /api/drafts/{id}/deploy), field errors shown beside the
 * fields. #deploy[data-gate-state] mirrors the run's state (tests wait for it).
 */
(function () {
  'use strict';

  var root = document.getElementById('deploy');
  var runId = null;

  function $(id) { return document.getElementById(id); }

  function call(method, url, body) {
    return fetch(url, { method: method, credentials: 'same-origin',
                        headers: { 'Content-Type': 'application/json' },
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); });
  }

  function showClauses(run) {
    var table = $('gate-clauses');
    var body = table.querySelector('tbody');
    body.textContent = '';
    run.clauses.forEach(function (c) {
      var row = document.createElement('tr');
      row.setAttribute('data-clause', c.id);
      row.className = c.failed ? 'failed' : 'passed';
      [c.id, c.title || '', String(c.passed || 0), String(c.failed || 0)].forEach(function (text) {
        var cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    table.hidden = !run.clauses.length;
    var list = $('gate-failures');
    list.textContent = '';
    run.failed.forEach(function (s) {
      var item = document.createElement('li');
      item.textContent = '未通过：' + s.name + (s.failing_step ? '（' + s.failing_step + '）' : '');
      list.appendChild(item);
    });
  }

  function poll() {
    call('GET', root.getAttribute('data-gate') + '/' + runId).then(function (answer) {
      var run = answer.body;
      if (answer.status !== 200) { $('gate-status').textContent = run.message; return; }
      root.setAttribute('data-gate-state', run.state);
      var progress = $('gate-progress');
      progress.hidden = false;
      progress.max = run.total || 1;
      progress.value = run.done;
      showClauses(run);
      if (run.state === 'queued' || run.state === 'running') {
        $('gate-status').textContent = '运行中：' + run.done + ' / ' + (run.total || '?') + ' 个场景';
        setTimeout(poll, 1000);
        return;
      }
      var passed = run.state === 'passed';
      $('gate-status').textContent = passed ? '门禁通过：全部 ' + run.total + ' 个场景通过'
        : run.state === 'error' ? '门禁运行出错：' + (run.error || '') : '门禁未通过：' + run.failed.length + ' 个场景未通过';
      $('gate-status').className = passed ? 'success' : 'gate-error';
      $('override').hidden = passed;
      $('deploy-button').disabled = false;
      $('run-gate').disabled = false;
    });
  }

  $('run-gate').addEventListener('click', function () {
    $('run-gate').disabled = true;
    $('deploy-button').disabled = true;
    $('gate-status').textContent = '正在启动…';
    call('POST', root.getAttribute('data-gate'), {}).then(function (answer) {
      if (answer.status !== 202) {
        $('gate-status').textContent = answer.body.message;
        $('run-gate').disabled = false;
        return;
      }
      runId = answer.body.run_id;
      root.setAttribute('data-run', runId);
      poll();
    });
  });

  $('deploy-button').addEventListener('click', function () {
    ['note', 'regulation_ref', 'override_reason'].forEach(function (f) { $(f + '-error').textContent = ''; });
    $('deploy-status').textContent = '正在部署…';
    call('POST', root.getAttribute('data-deploy'), {
      revision: parseInt(root.getAttribute('data-revision'), 10), run_id: runId,
      note: $('note').value, regulation_ref: $('regulation_ref').value,
      override_reason: $('override_reason').value
    }).then(function (answer) {
      if (answer.status === 201) {
        window.location.href = root.getAttribute('data-versions') + '?deployed=' + answer.body.version;
        return;
      }
      $('deploy-status').textContent = answer.body.message;
      $('deploy-status').className = 'gate-error';
      Object.keys(answer.body.fields || {}).forEach(function (f) {
        var slot = $(f + '-error');
        if (slot) { slot.textContent = answer.body.fields[f]; }
      });
    });
  });
}());
