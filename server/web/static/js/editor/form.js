/*
 * The form editor: a JSON text area with line numbers; while typing (debounced) the text is
 * POSTed to the preview endpoint, which answers the form rendered as the task pages render it,
 * or the problems (JSON syntax with line and column, JSON Schema, our conventions); save puts
 * the text into the draft (drafts.js), where it is validated with the whole version.
 * Test hooks: #form-editor[data-check] is "valid" or "invalid" after each preview answer,
 * data-revision the saved revision.
 */
(function () {
  'use strict';

  var draft = window.XunchaDraft;
  var root = document.getElementById('form-editor');
  var text = document.getElementById('form-text');
  var numbers = document.getElementById('line-numbers');
  var path = root.getAttribute('data-path');
  var state = { revision: parseInt(root.getAttribute('data-revision'), 10), saved: text.value,
                asked: 0, timer: null };
  var DELAY_MS = 400;

  function renumber() {
    var count = text.value.split('\n').length;
    var lines = [];
    for (var i = 1; i <= count; i += 1) { lines.push(i); }
    numbers.textContent = lines.join('\n');
    numbers.scrollTop = text.scrollTop;
  }

  // ---- live check and preview -----------------------------------------------------------------
  function goTo(line, column) {
    var lines = text.value.split('\n');
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { offset += lines[i].length + 1; }
    offset += Math.max((column || 1) - 1, 0);
    text.focus();
    text.setSelectionRange(offset, offset);
  }

  function listErrors(problems) {
    var list = document.getElementById('form-errors');
    list.textContent = '';
    document.getElementById('form-error-count').textContent = problems.length ? '（' + problems.length + '）' : '（无）';
    problems.forEach(function (p) {
      var item = document.createElement('li');
      item.className = 'field-error';
      item.setAttribute('data-path', p.path);
      var where = p.line && p.path !== 'json' ? '第 ' + p.line + ' 行 · ' : '';
      var label = where + (p.path === 'json' ? '' : p.path + '：') + p.message;
      if (p.line) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'link';
        button.textContent = label;
        button.addEventListener('click', function () { goTo(p.line, p.column); });
        item.appendChild(button);
      } else {
        item.textContent = label;
      }
      list.appendChild(item);
    });
  }

  function showPreview(html) {
    var preview = document.getElementById('preview');
    var note = document.getElementById('preview-state');
    if (html) {
      preview.innerHTML = html;
      preview.classList.remove('stale');
      note.textContent = '';
    } else {
      preview.classList.add('stale');
      note.textContent = '（改正错误后更新）';
    }
  }

  function check() {
    var asked = state.asked += 1;
    return fetch(root.getAttribute('data-preview'), {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: path, text: text.value })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (asked !== state.asked) { return; }           // a newer text is being checked
      if (answer.status !== 200 && answer.status !== 422) {
        draft.say(answer.body.message || ('预览失败（' + answer.status + '）'), 'error');
        return;
      }
      listErrors(answer.body.problems || []);
      showPreview(answer.body.html);
      root.setAttribute('data-check', answer.status === 200 ? 'valid' : 'invalid');
    }).catch(function (error) { draft.say('预览失败：' + error.message, 'error'); });
  }

  function changed() {
    renumber();
    root.setAttribute('data-check', 'pending');
    clearTimeout(state.timer);
    state.timer = setTimeout(check, DELAY_MS);
  }

  // ---- saving ---------------------------------------------------------------------------------
  function showProblems(problems) {
    var mine = problems.filter(function (p) { return p.file === path; });
    draft.listProblems(mine, function (p) { return p.message; }, function () { text.focus(); });
  }

  function save() {
    var files = {};
    var sent = text.value;
    files[path] = sent;
    return draft.saveAndSay(root.getAttribute('data-api'), state.revision, files).then(function (saved) {
      if (!saved) { return; }
      state.revision = saved.revision;
      state.saved = sent;
      root.setAttribute('data-revision', String(state.revision));
      showProblems(saved.problems);
    });
  }

  text.addEventListener('input', changed);
  text.addEventListener('scroll', function () { numbers.scrollTop = text.scrollTop; });
  document.getElementById('save').addEventListener('click', save);
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(); }
  });
  draft.warnBeforeLeaving(function () { return text.value !== state.saved; });
  renumber();
  showProblems(JSON.parse(root.getAttribute('data-problems')));
  check();
}());
