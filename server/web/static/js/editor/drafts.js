/*
 * What the decision-table and form editors share: the status line, saving changed files into
 * the draft (PUT /api/drafts/{id} with the revision edited; 409 when someone saved since),
 * the list of a file's validation problems, and the unsaved-changes warning.
 */
(function () {
  'use strict';

  function say(text, kind) {
    var status = document.getElementById('status');
    status.textContent = text;
    status.className = kind || '';
  }

  function save(api, revision, files) {
    return fetch(api, { method: 'PUT', credentials: 'same-origin',
                        headers: { 'Content-Type': 'application/json' },
                        body: JSON.stringify({ revision: revision, files: files }) })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      });
  }

  /* Saves the files and reports on the status line; resolves with the saved answer or null. */
  function saveAndSay(api, revision, files) {
    say('正在保存…');
    return save(api, revision, files).then(function (answer) {
      if (answer.status !== 200) {
        say(answer.body.message || ('保存失败（' + answer.status + '）'), 'error');
        return null;
      }
      var count = answer.body.problems.length;
      say('已保存第 ' + answer.body.revision + ' 稿' + (count ? '，草稿有 ' + count + ' 个问题' : '，校验通过'),
          count ? 'warning' : 'success');
      return answer.body;
    }).catch(function (error) { say('保存失败：' + error.message, 'error'); return null; });
  }

  /* problems: [{file, element, message}] of this file; describe(p) gives the item's text. */
  function listProblems(problems, describe, onClick) {
    var list = document.getElementById('problems');
    list.textContent = '';
    document.getElementById('problem-count').textContent = problems.length ? '（' + problems.length + '）' : '（无）';
    problems.forEach(function (p) {
      var item = document.createElement('li');
      if (p.element) { item.setAttribute('data-element', p.element); }
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = describe(p);
      button.addEventListener('click', function () { onClick(p); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function warnBeforeLeaving(isDirty) {
    window.addEventListener('beforeunload', function (e) {
      if (isDirty()) { e.preventDefault(); e.returnValue = ''; }
    });
  }

  window.XunchaDraft = { say: say, saveAndSay: saveAndSay, listProblems: listProblems,
                         warnBeforeLeaving: warnBeforeLeaving };
}());
