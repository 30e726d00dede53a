/*
 * The decision-table editor: dmn-js Modeler (global DmnJS) on one DMN file of a draft, opened
 * on its decision table(s); undo/redo (dmn-js commandStack), save into the draft (drafts.js),
 * and the problems of every save listed with their decision and rule and marked on the rule's
 * row. Problems are pinned as "<decision id>/<rule id>" (server/engine/decisions.py).
 * dmn-js drops what it does not model: the file's leading comments (our notes on the rules)
 * and an explicit default hit policy; both are put back so a save changes only what was edited.
 * Test hooks: #dmn-editor[data-state] is "ready" once a table is shown, data-revision the
 * saved revision.
 */
(function () {
  'use strict';

  var draft = window.XunchaDraft;
  var root = document.getElementById('dmn-editor');
  var api = root.getAttribute('data-api');
  var path = root.getAttribute('data-path');
  var state = { revision: parseInt(root.getAttribute('data-revision'), 10), dirty: false,
                problems: [], kept: null, wired: [], typedAt: 0 };
  var modeler;

  // ---- what dmn-js would drop ---------------------------------------------------------------
  function keep(xml) {
    var prolog = /^\s*(?:<\?xml[^>]*\?>)?((?:\s*<!--[\s\S]*?-->)*)/.exec(xml)[1];
    var explicit = /<(?:\w+:)?decisionTable\b[^>]*\bhitPolicy=/.test(xml);
    return { prolog: prolog, explicitHitPolicy: explicit };
  }

  function restore(xml, kept) {
    if (kept.explicitHitPolicy) {       // UNIQUE is the default dmn-js leaves out
      xml = xml.replace(/(<(?:\w+:)?decisionTable\b(?![^>]*\bhitPolicy=)[^>]*?)(\/?>)/g, '$1 hitPolicy="UNIQUE"$2');
    }
    return xml.replace(/^(<\?xml[^>]*\?>)/, '$1' + kept.prolog);
  }

  // ---- views (one per decision table) -------------------------------------------------------
  function tableViews() {
    return modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; });
  }

  function fillSelect() {
    var select = document.getElementById('decision-select');
    select.textContent = '';
    tableViews().forEach(function (view) {
      var option = document.createElement('option');
      option.value = view.element.id;
      option.textContent = (view.element.name || view.element.id) + '（' + view.element.id + '）';
      select.appendChild(option);
    });
  }

  function open(decisionId) {
    var view = tableViews().filter(function (v) { return v.element.id === decisionId; })[0] || tableViews()[0];
    if (!view) {
      draft.say('此文件没有决策表', 'error');
      root.setAttribute('data-state', 'error');
      return Promise.resolve();
    }
    document.getElementById('decision-select').value = view.element.id;
    return modeler.open(view).then(function () {
      var viewer = modeler.getActiveViewer();
      if (state.wired.indexOf(viewer) < 0) {         // dmn-js reuses a viewer across tables
        state.wired.push(viewer);
        viewer.on('commandStack.changed', function () { state.dirty = true; updateUndo(); });
        viewer.on('elements.changed', function () { setTimeout(markProblems, 0); });
      }
      updateUndo();
      markProblems();
      root.setAttribute('data-state', 'ready');
    });
  }

  function currentDecision() {
    var view = modeler.getActiveView();
    return view && view.element.id;
  }

  // ---- problems -----------------------------------------------------------------------------
  function split(problem) {
    var parts = (problem.element || '').split('/');
    return { decision: parts[0] || null, rule: parts[1] || null };
  }

  function ruleNumber(decisionId, ruleId) {
    var view = tableViews().filter(function (v) { return v.element.id === decisionId; })[0];
    var rules = view ? view.element.decisionLogic.rule : [];
    for (var i = 0; i < rules.length; i += 1) {
      if (rules[i].id === ruleId) { return { index: i + 1, rule: rules[i] }; }
    }
    return null;
  }

  function describe(problem) {
    var where = split(problem);
    var text = where.decision ? '决策表 ' + where.decision : path;
    if (where.rule) {
      var found = ruleNumber(where.decision, where.rule);
      text += found ? ' · 第 ' + found.index + ' 条规则' + (found.rule.description ? '（' + found.rule.description + '）' : '')
        : ' · ' + where.rule;
    }
    return text + '：' + problem.message;
  }

  function markProblems() {
    var container = document.getElementById('table');
    Array.prototype.forEach.call(container.querySelectorAll('.has-problem'), function (row) {
      row.classList.remove('has-problem');
      row.removeAttribute('title');
    });
    var decision = currentDecision();
    state.problems.forEach(function (p) {
      var where = split(p);
      if (where.decision !== decision || !where.rule) { return; }
      Array.prototype.forEach.call(container.querySelectorAll('[data-row-id="' + where.rule + '"]'), function (cell) {
        var row = cell.closest('tr') || cell;
        row.classList.add('has-problem');
        row.setAttribute('title', p.message);
      });
    });
  }

  function showProblems(problems) {
    state.problems = problems.filter(function (p) { return p.file === path; });
    draft.listProblems(state.problems, describe, function (p) {
      var where = split(p);
      var go = where.decision && where.decision !== currentDecision() ? open(where.decision) : Promise.resolve();
      go.then(function () {
        var row = document.querySelector('#table tr.has-problem');
        if (row) { row.scrollIntoView({ block: 'center' }); }
      });
    });
    markProblems();
  }

  // ---- saving, undo -------------------------------------------------------------------------
  /* dmn-js applies typing to the table 300 ms after the last key (its debounceInput): wait for
     it, or a save right after typing would miss the last edit. */
  var DEBOUNCE_MS = 300;

  function settled() {
    var wait = state.typedAt + DEBOUNCE_MS + 50 - Date.now();
    return new Promise(function (resolve) { setTimeout(resolve, Math.max(wait, 0)); });
  }

  function save() {
    return settled().then(function () {
      return modeler.saveXML({ format: true });
    }).then(function (result) {
      var files = {};
      files[path] = restore(result.xml, state.kept);
      return draft.saveAndSay(api, state.revision, files);
    }).then(function (saved) {
      if (!saved) { return; }
      state.revision = saved.revision;
      state.dirty = false;
      root.setAttribute('data-revision', String(state.revision));
      showProblems(saved.problems);
    });
  }

  function updateUndo() {
    var stack = modeler.getActiveViewer().get('commandStack');
    document.getElementById('undo').disabled = !stack.canUndo();
    document.getElementById('redo').disabled = !stack.canRedo();
  }

  function wire() {
    function stack() { return modeler.getActiveViewer().get('commandStack'); }
    document.getElementById('undo').addEventListener('click', function () { stack().undo(); });
    document.getElementById('redo').addEventListener('click', function () { stack().redo(); });
    document.getElementById('save').addEventListener('click', save);
    document.getElementById('table').addEventListener('input', function () {
      state.typedAt = Date.now();
      state.dirty = true;
    }, true);
    document.getElementById('decision-select').addEventListener('change', function (e) { open(e.target.value); });
    document.addEventListener('keydown', function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(); }
    });
    draft.warnBeforeLeaving(function () { return state.dirty; });
  }

  function start() {
    if (typeof window.DmnJS !== 'function') {
      draft.say('dmn-js 未安装（npm ci）', 'error');
      root.setAttribute('data-state', 'error');
      return;
    }
    fetch(api, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (found) {
      var xml = found.files[path];
      state.revision = found.revision;
      state.kept = keep(xml);
      // dmn-js reads additionalModules per view type (common's are overwritten)
      var chinese = { additionalModules: [window.XunchaDmnChinese] };
      modeler = new window.DmnJS({ container: '#table', decisionTable: chinese, drd: chinese });
      return modeler.importXML(xml).then(function () {
        fillSelect();
        wire();
        showProblems(found.problems);
        return open(null);
      });
    }).catch(function (error) {
      root.setAttribute('data-state', 'error');
      draft.say('决策表无法显示：' + error.message, 'error');
    });
  }

  start();
}());
