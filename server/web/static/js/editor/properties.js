/*
 * The side panel of the diagram editor: our own properties of the selected element, written the
 * way docs/conventions.md stores them, every change one undoable modeler command.
 *   user task  -> name, spiffworkflow:property formJsonSchemaFilename (a form of the draft), clauses
 *   lane       -> name = the Chinese name of a role (server/engine/roles.py)
 *   timer      -> timeDate built from the calendar helpers, property deadlineKind
 * Exposes window.XunchaProperties.render(modeler, element, container, options).
 */
(function () {
  'use strict';

  var PROPS = 'spiffworkflow:Properties';
  var FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;
  // end_of_day(add_working_days(F, N)), end_of_day(add_months(F, N)), and the same wrapped in
  // add_working_days(..., -R): R working days before that deadline (a reminder).
  var PLAIN = /^end_of_day\(\s*(add_working_days|add_months)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*(\d+)\s*\)\s*\)$/;
  var OFFSET = /^end_of_day\(\s*add_working_days\(\s*(add_working_days|add_months)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*(\d+)\s*\)\s*,\s*-\s*(\d+)\s*\)\s*\)$/;

  function properties(bo) {
    var found = {};
    var ext = bo.extensionElements;
    (ext && ext.values || []).forEach(function (value) {
      if (value.$type === PROPS) {
        (value.properties || []).forEach(function (p) { found[p.name] = p.value; });
      }
    });
    return found;
  }

  /* Set (or, with an empty value, remove) one spiffworkflow:property: new extension elements
     replace the old ones in one command, so undo restores them exactly. */
  function setProperty(modeler, element, name, value) {
    var moddle = modeler.get('moddle');
    var bo = element.businessObject;
    var old = bo.extensionElements && bo.extensionElements.values || [];
    var list = [];
    var seen = false;
    old.filter(function (v) { return v.$type === PROPS; }).forEach(function (group) {
      (group.properties || []).forEach(function (p) {
        if (p.name === name) {
          seen = true;
          if (value) { list.push(moddle.create('spiffworkflow:Property', { name: name, value: value })); }
        } else {
          list.push(moddle.create('spiffworkflow:Property', { name: p.name, value: p.value }));
        }
      });
    });
    if (!seen && value) { list.push(moddle.create('spiffworkflow:Property', { name: name, value: value })); }
    var values = old.filter(function (v) { return v.$type !== PROPS; });
    if (list.length) { values.push(moddle.create(PROPS, { properties: list })); }
    var ext = values.length ? moddle.create('bpmn:ExtensionElements', { values: values }) : undefined;
    modeler.get('modeling').updateProperties(element, { extensionElements: ext });
  }

  function parseTimer(expression) {
    var text = (expression || '').trim();
    var m = OFFSET.exec(text) || PLAIN.exec(text);
    if (!m) { return null; }
    return { unit: m[1] === 'add_months' ? 'months' : 'working_days', field: m[2],
             amount: m[3], offset: m[4] || '0' };
  }

  function timerExpression(t) {
    var base = (t.unit === 'months' ? 'add_months(' : 'add_working_days(') + t.field + ', ' + t.amount + ')';
    if (parseInt(t.offset, 10) > 0) { base = 'add_working_days(' + base + ', -' + parseInt(t.offset, 10) + ')'; }
    return 'end_of_day(' + base + ')';
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) {
      return d.$type === 'bpmn:TimerEventDefinition';
    })[0];
  }

  function setTimer(modeler, element, expression) {
    var definition = timerDefinition(element.businessObject);
    var moddle = modeler.get('moddle');
    var value = moddle.create('bpmn:FormalExpression', { body: expression });   // xsi:type on export
    modeler.get('modeling').updateModdleProperties(element, definition,
      { timeDate: value, timeDuration: undefined, timeCycle: undefined });
  }

  // ---- small DOM helpers (no innerHTML with data: names come from diagrams) -------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function field(id, label, input, help) {
    input.id = id;
    var parts = [el('label', { 'for': id, text: label }), input];
    if (help) { parts.push(el('small', { text: help })); }
    return el('div', { 'class': 'panel-field' }, parts);
  }

  function textInput(value) { return el('input', { type: 'text', value: value || '' }); }

  function select(options, value) {
    var node = el('select');
    options.forEach(function (o) {
      var option = el('option', { value: o[0], text: o[1] });
      if (o[0] === value) { option.selected = true; }
      node.appendChild(option);
    });
    return node;
  }

  function onChange(input, apply) { input.addEventListener('change', function () { apply(input.value); }); }

  // ---- panels per element type ----------------------------------------------------------------
  function userTaskPanel(modeler, element, body, options) {
    var bo = element.businessObject;
    var props = properties(bo);
    var name = textInput(bo.name);
    onChange(name, function (v) { modeler.get('modeling').updateProperties(element, { name: v }); });
    var forms = [['', '（未指定）']].concat(options.forms.map(function (f) { return [f, f]; }));
    if (props.formJsonSchemaFilename && options.forms.indexOf(props.formJsonSchemaFilename) < 0) {
      forms.push([props.formJsonSchemaFilename, props.formJsonSchemaFilename + '（不存在）']);
    }
    var form = select(forms, props.formJsonSchemaFilename || '');
    onChange(form, function (v) { setProperty(modeler, element, 'formJsonSchemaFilename', v); });
    var clauses = textInput(props.clauses);
    onChange(clauses, function (v) {
      setProperty(modeler, element, 'clauses', v.trim().split(/\s+/).filter(Boolean).join(' '));
    });
    body.append(field('prop-name', '任务名称', name),
                field('prop-form', '表单', form),
                field('prop-clauses', '条款编号', clauses, '以空格分隔，如 R3.3.4'));
  }

  function lanePanel(modeler, element, body, options) {
    var current = element.businessObject.name || '';
    var roles = [['', '（请选择角色）']].concat(options.roles.map(function (r) { return [r[1], r[1] + '（' + r[0] + '）']; }));
    if (current && !options.roles.some(function (r) { return r[1] === current; })) {
      roles.push([current, current + '（未知角色）']);
    }
    var role = select(roles, current);
    onChange(role, function (v) { modeler.get('modeling').updateProperties(element, { name: v }); });
    body.append(field('prop-role', '泳道角色', role, '泳道名称即角色名称，该泳道中的任务由此角色办理'));
  }

  function timerPanel(modeler, element, body) {
    var bo = element.businessObject;
    var definition = timerDefinition(bo);
    var current = definition && definition.timeDate && definition.timeDate.body || '';
    var parsed = parseTimer(current) || { unit: 'working_days', field: '', amount: '', offset: '0' };
    var kind = select([['deadline', '办理期限（逾期后升级）'], ['reminder', '到期提醒'], ['', '普通计时']],
                      properties(bo).deadlineKind || '');
    onChange(kind, function (v) { setProperty(modeler, element, 'deadlineKind', v); });
    var start = textInput(parsed.field);
    var amount = el('input', { type: 'number', min: '0', step: '1', value: parsed.amount });
    var unit = select([['working_days', '个工作日'], ['months', '个自然月']], parsed.unit);
    var offset = el('input', { type: 'number', min: '0', step: '1', value: parsed.offset });
    var raw = el('textarea', { rows: '3' });
    raw.value = current;
    var note = el('p', { 'class': 'panel-note', role: 'alert' });
    if (current && !parseTimer(current)) { note.textContent = '该表达式不是“日期字段后 N 个工作日/月”的形式，请直接编辑表达式'; }
    function build() {
      if (!FIELD.test(start.value) || !/^\d+$/.test(amount.value) || !/^\d*$/.test(offset.value)) {
        note.textContent = '请填写日期字段名（英文）和整数期限';
        return;
      }
      note.textContent = '';
      setTimer(modeler, element, timerExpression({ field: start.value, amount: amount.value,
                                                    unit: unit.value, offset: offset.value || '0' }));
    }
    [start, amount, unit, offset].forEach(function (input) { input.addEventListener('change', build); });
    onChange(raw, function (v) { setTimer(modeler, element, v.trim()); });
    body.append(field('prop-deadline-kind', '计时类型', kind),
                field('timer-field', '起算日期字段', start, '如 fieldwork_end（巡查结束日期）'),
                field('timer-amount', '期限', amount), field('timer-unit', '单位', unit),
                field('timer-offset', '提前提醒（工作日）', offset, '0 表示不提前；提醒在期限前若干工作日'),
                field('timer-expression', '表达式', raw, '由上面的选项生成，也可直接编辑'), note);
  }

  function render(modeler, element, container, options) {
    container.textContent = '';
    if (!element) {
      container.append(el('p', { text: '选择流程图中的元素以编辑其属性。' }));
      return;
    }
    var bo = element.businessObject;
    var heading = el('p', { 'class': 'panel-element' });
    heading.append(el('strong', { text: bo.name || bo.id }), el('code', { text: ' ' + bo.id }));
    container.append(heading);
    if (bo.$type === 'bpmn:UserTask') { userTaskPanel(modeler, element, container, options); }
    else if (bo.$type === 'bpmn:Lane') { lanePanel(modeler, element, container, options); }
    else if (timerDefinition(bo)) { timerPanel(modeler, element, container); }
    else { container.append(el('p', { text: '该类型的元素没有需要设置的属性。' })); }
  }

  window.XunchaProperties = { render: render, parseTimer: parseTimer, timerExpression: timerExpression };
}());
