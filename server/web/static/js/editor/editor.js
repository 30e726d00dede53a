/*
 * The draft editor: bpmn-js Modeler (global BpmnJS) over the draft's diagrams, the side panel
 * (properties.js), undo/redo, save through PUT /api/drafts/{id} (all changed files together,
 * with the revision edited: a stale save answers 409), and the validation problems of every
 * save listed and pinned to their elements (marker + overlay with the message).
 * Test hooks: #editor[data-state] is "ready" once a diagram is shown, data-revision the saved
 * revision.
 */
(function () {
  'use strict';

  var root = document.getElementById('editor');
  var api = root.getAttribute('data-api');
  var options = { roles: JSON.parse(root.getAttribute('data-roles')),
                  forms: JSON.parse(root.getAttribute('data-forms')) };
  var state = { revision: parseInt(root.getAttribute('data-revision'), 10), files: {}, dirty: {},
                current: null, problems: [], refs: {}, broken: {} };
  var modeler, status = document.getElementById('status');

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || '';
  }

  /* bpmn-moddle drops references it cannot resolve, such as a multi-instance loopDataInputRef
     naming a plain data variable (SpiffWorkflow allows that): keep them and put them back. */
  var REF_TAGS = ['loopDataInputRef', 'loopDataOutputRef'];
  var BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

  function keepRefs(xml) {
    var kept = [];
    var doc = new DOMParser().parseFromString(xml, 'application/xml');
    REF_TAGS.forEach(function (tag) {
      Array.prototype.forEach.call(doc.getElementsByTagNameNS(BPMN_NS, tag), function (node) {
        var owner = node.parentNode.parentNode;
        kept.push({ owner: owner.getAttribute('id'), tag: tag, text: node.textContent });
      });
    });
    return kept;
  }

  function restoreRefs(xml, kept) {
    if (!kept.length) { return xml; }
    var doc = new DOMParser().parseFromString(xml, 'application/xml');
    kept.forEach(function (ref) {
      var owner = Array.prototype.filter.call(doc.getElementsByTagNameNS(BPMN_NS, '*'), function (n) {
        return n.getAttribute('id') === ref.owner;
      })[0];
      var loop = owner && owner.getElementsByTagNameNS(BPMN_NS, 'multiInstanceLoopCharacteristics')[0];
      if (!loop || loop.getElementsByTagNameNS(BPMN_NS, ref.tag).length) { return; }
      var node = doc.createElementNS(BPMN_NS, loop.prefix ? loop.prefix + ':' + ref.tag : ref.tag);
      node.textContent = ref.text;
      // Schema order: loopCardinality?, loopDataInputRef?, loopDataOutputRef?, inputDataItem? …
      var after = ref.tag === 'loopDataInputRef' ? ['loopCardinality'] : ['loopCardinality', 'loopDataInputRef'];
      var before = Array.prototype.filter.call(loop.children, function (c) {
        return after.indexOf(c.localName) < 0;
      })[0];
      loop.insertBefore(node, before || null);
    });
    return new XMLSerializer().serializeToString(doc);
  }

  // ---- loading and switching diagrams --------------------------------------------------------
  function show(path) {
    state.current = path;
    state.refs[path] = keepRefs(state.files[path]);
    root.setAttribute('data-state', 'loading');
    return modeler.importXML(state.files[path]).then(function (result) {
      var lost = (result.warnings || []).filter(function (w) { return /unparsable/.test(w.message); });
      state.broken[path] = lost.length > 0;
      if (lost.length) {
        say('该流程图含有编辑器无法识别的内容，保存会丢失这些内容，已禁止保存此图：' + lost[0].message.split('\n')[0], 'error');
      }
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      pinProblems();
      renderPanel();
      updateUndo();
      root.setAttribute('data-state', 'ready');
    }).catch(function (error) {
      root.setAttribute('data-state', 'error');
      say('流程图无法显示：' + error.message, 'error');
    });
  }

  function keepCurrent() {
    if (!state.current || !state.dirty[state.current]) { return Promise.resolve(); }
    return modeler.saveXML({ format: true }).then(function (result) {
      state.files[state.current] = restoreRefs(result.xml, state.refs[state.current]);
    });
  }

  // ---- problems --------------------------------------------------------------------------------
  function pinProblems() {
    var overlays = modeler.get('overlays');
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    overlays.remove({ type: 'problem' });
    registry.getAll().forEach(function (e) { canvas.removeMarker(e.id, 'has-problem'); });
    state.problems.forEach(function (p) {
      if (p.file !== state.current || !p.element || !registry.get(p.element)) { return; }
      canvas.addMarker(p.element, 'has-problem');
      var badge = document.createElement('div');
      badge.className = 'problem-overlay';
      badge.setAttribute('data-element', p.element);
      badge.textContent = p.message;
      overlays.add(p.element, 'problem', { position: { bottom: 0, left: 0 }, html: badge });
    });
  }

  function listProblems() {
    var list = document.getElementById('problems');
    list.textContent = '';
    document.getElementById('problem-count').textContent = state.problems.length ? '（' + state.problems.length + '）' : '（无）';
    state.problems.forEach(function (p) {
      var item = document.createElement('li');
      item.setAttribute('data-file', p.file);
      if (p.element) { item.setAttribute('data-element', p.element); }
      var link = document.createElement('button');
      link.type = 'button';
      link.className = 'link';
      link.textContent = p.file + (p.element ? ' · ' + p.element : '') + '：' + p.message;
      link.addEventListener('click', function () { reveal(p); });
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  function reveal(problem) {
    if (!/\.bpmn$/.test(problem.file)) {
      // A decision table or a form: open its own editor (the page warns of unsaved changes).
      var editorLink = document.querySelector('a[data-file="' + problem.file + '"]');
      if (editorLink) { window.location.href = editorLink.href; }
      return;
    }
    var go = problem.file === state.current ? Promise.resolve()
      : keepCurrent().then(function () {
        document.getElementById('file-select').value = problem.file;
        return show(problem.file);
      });
    go.then(function () {
      var shape = problem.element && modeler.get('elementRegistry').get(problem.element);
      if (shape) { modeler.get('selection').select(shape); modeler.get('canvas').scrollToElement(shape); }
    });
  }

  // ---- saving ------------------------------------------------------------------------------------
  function save() {
    if (state.broken[state.current] && state.dirty[state.current]) {
      say('此流程图含有无法识别的内容，不能保存', 'error');
      return Promise.resolve();
    }
    say('正在保存…');
    return keepCurrent().then(function () {
      var changed = {};
      Object.keys(state.dirty).forEach(function (path) { if (state.dirty[path]) { changed[path] = state.files[path]; } });
      return fetch(api, { method: 'PUT', credentials: 'same-origin',
                          headers: { 'Content-Type': 'application/json' },
                          body: JSON.stringify({ revision: state.revision, files: changed }) });
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (answer.status !== 200) {
        say(answer.body.message || ('保存失败（' + answer.status + '）'), 'error');
        return;
      }
      state.revision = answer.body.revision;
      state.dirty = {};
      state.problems = answer.body.problems;
      root.setAttribute('data-revision', String(state.revision));
      listProblems();
      pinProblems();
      say('已保存第 ' + state.revision + ' 稿' + (state.problems.length ? '，有 ' + state.problems.length + ' 个问题' : '，校验通过'),
          state.problems.length ? 'warning' : 'success');
    }).catch(function (error) { say('保存失败：' + error.message, 'error'); });
  }

  // ---- panel, undo, unsaved changes ------------------------------------------------------------
  /* The panel always shows the model: it is rebuilt from the selection after every command and
     every undo or redo. The field that had the focus gets it back (the rebuilt panel has new
     inputs with the same ids), so Tab after an edit reaches the next field. */
  function renderPanel() {
    var body = document.getElementById('panel-body');
    var focused = body.contains(document.activeElement) ? document.activeElement : null;
    var selected = modeler.get('selection').get();
    window.XunchaProperties.render(modeler, selected.length === 1 ? selected[0] : null, body, options);
    var again = focused && focused.id && document.getElementById(focused.id);
    if (!again) { return; }
    again.focus();
    try { again.setSelectionRange(focused.selectionStart, focused.selectionEnd); } catch (e) { /* select, number */ }
  }

  /* A panel field commits on `change`, which fires while the focus is still moving (Tab, or a
     click elsewhere): rebuilding the panel then would drop the focus on the page body, so the
     rebuild waits until the focus has arrived. */
  var panelTimer = null;
  function schedulePanel() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(renderPanel, 0);
  }

  function updateUndo() {
    var stack = modeler.get('commandStack');
    var undo = document.getElementById('undo'), redo = document.getElementById('redo');
    var focused = document.activeElement;
    undo.disabled = !stack.canUndo();
    redo.disabled = !stack.canRedo();
    // A button disabled under the keyboard focus would drop it on the page body.
    if (focused === undo && undo.disabled && !redo.disabled) { redo.focus(); }
    if (focused === redo && redo.disabled && !undo.disabled) { undo.focus(); }
  }

  function isDirty() {
    return Object.keys(state.dirty).some(function (p) { return state.dirty[p]; });
  }

  /* Undo and redo select the element they changed, so the panel shows the value they brought
     back; and a click on the element already selected keeps it selected (diagram-js would
     toggle it off and empty the panel, which reads as "the element cannot be selected"). */
  function wireSelection() {
    var touched = null;
    var selection = modeler.get('selection');
    modeler.on(['commandStack.reverted', 'commandStack.executed'], function (e) {
      var element = e.context && (e.context.element || e.context.shape);
      if (element) { touched = element.labelTarget || element; }
    });
    modeler.on('commandStack.changed', 2000, function (e) {
      var element = touched && modeler.get('elementRegistry').get(touched.id);
      touched = null;
      if ((e.trigger === 'undo' || e.trigger === 'redo') && element &&
          element !== modeler.get('canvas').getRootElement()) {
        selection.select(element);
      }
    });
    modeler.on('element.click', 2000, function (e) {
      var selected = selection.get();
      var mouse = e.originalEvent || {};
      if (selected.length === 1 && selected[0] === e.element &&
          !(mouse.shiftKey || mouse.ctrlKey || mouse.metaKey)) {
        renderPanel();
        return false;
      }
    });
  }

  function wire() {
    var stack = modeler.get('commandStack');
    modeler.on('selection.changed', renderPanel);
    wireSelection();
    modeler.on('commandStack.changed', function (e) {
      if (e.trigger === 'clear') { return; }          // a diagram was (re)loaded
      state.dirty[state.current] = true;
      updateUndo();
      schedulePanel();
    });
    document.getElementById('undo').addEventListener('click', function () { stack.undo(); });
    document.getElementById('redo').addEventListener('click', function () { stack.redo(); });
    document.getElementById('save').addEventListener('click', save);
    document.getElementById('file-select').addEventListener('change', function (e) {
      keepCurrent().then(function () { return show(e.target.value); });
    });
    document.addEventListener('keydown', function (e) {
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      if (!(e.ctrlKey || e.metaKey) || typing || root.querySelector('.editor-canvas').contains(document.activeElement)) { return; }
      var key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) { stack.undo(); e.preventDefault(); }
      else if (key === 'y' || (key === 'z' && e.shiftKey)) { stack.redo(); e.preventDefault(); }
      else if (key === 's') { save(); e.preventDefault(); }
    });
    window.addEventListener('beforeunload', function (e) {
      if (isDirty()) { e.preventDefault(); e.returnValue = ''; }
    });
  }

  function start() {
    if (typeof window.BpmnJS !== 'function') {
      say('bpmn-js 未安装（npm ci）', 'error');
      root.setAttribute('data-state', 'error');
      return;
    }
    Promise.all([
      fetch(root.getAttribute('data-moddle'), { credentials: 'same-origin' }).then(function (r) { return r.json(); }),
      fetch(api, { credentials: 'same-origin' }).then(function (r) { return r.json(); })
    ]).then(function (loaded) {
      modeler = new window.BpmnJS({ container: '#canvas', moddleExtensions: { spiffworkflow: loaded[0] } });
      state.files = loaded[1].files;
      state.revision = loaded[1].revision;
      state.problems = loaded[1].problems;
      listProblems();
      wire();
      return show(document.getElementById('file-select').value);
    }).catch(function (error) {
      root.setAttribute('data-state', 'error');
      say('编辑器加载失败：' + error.message, 'error');
    });
  }

  start();
}());
