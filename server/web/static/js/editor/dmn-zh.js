/*
 * dmn-js's words in Chinese (its `translate` service, replaced through additionalModules);
 * words without an entry stay in English.
 */
(function () {
  'use strict';

  var WORDS = {
    'When': '当', 'And': '且', 'Then': '则', 'Annotations': '说明', 'Annotation': '说明',
    'Hit policy:': '命中策略：', 'Hit policy': '命中策略', 'View DRD': '查看决策需求图',
    'Decision name': '决策名称', 'Decision name: ': '决策名称：',
    'Input': '输入', 'Output': '输出', 'Input label': '输入标签', 'Input label: ': '输入标签：',
    'Input expression': '输入表达式', 'Input expression: ': '输入表达式：', 'Expression': '表达式',
    'Input type': '输入类型', 'Output label': '输出标签', 'Output label: ': '输出标签：',
    'Output name': '输出名称', 'Output name: ': '输出名称：', 'Output type': '输出类型',
    'Type': '类型', 'Type:': '类型：', 'Edit input': '编辑输入', 'Edit output': '编辑输出',
    'Edit': '编辑', 'Resize': '调整宽度', 'Move rule': '移动规则',
    'Add rule': '新增规则', 'Add rule above': '在上方新增规则', 'Add rule below': '在下方新增规则',
    'Remove rule': '删除规则', 'Copy rule': '复制规则', 'Cut rule': '剪切规则',
    'Paste rule above': '粘贴到上方', 'Paste rule below': '粘贴到下方',
    'Add input': '新增输入列', 'Add output': '新增输出列',
    'Add input column left': '在左侧新增输入列', 'Add input column right': '在右侧新增输入列',
    'Add output column left': '在左侧新增输出列', 'Add output column right': '在右侧新增输出列',
    'Remove input column': '删除输入列', 'Remove output column': '删除输出列',
    'Copy input column': '复制输入列', 'Copy output column': '复制输出列',
    'Cut input column': '剪切输入列', 'Cut output column': '剪切输出列',
    'Paste input column left': '粘贴到左侧', 'Paste input column right': '粘贴到右侧',
    'Paste output column left': '粘贴到左侧', 'Paste output column right': '粘贴到右侧',
    'Add cell description': '添加单元格说明', 'Remove cell description': '删除单元格说明',
    'Input values': '输入取值', 'Output values': '输出取值', 'Predefined values': '预设取值',
    'Add predefined values': '添加预设取值', 'Clear predefined values': '清除预设取值',
    'Expression language': '表达式语言', 'Expression language:': '表达式语言：',
    'Change cell expression language': '更改单元格的表达式语言',
    'Strings must be in double quotes': '文本须用英文双引号括起', 'Yes': '是', 'No': '否',
    'Value': '值', 'Values': '取值', 'Enter expression': '输入表达式',
    'Variable name': '变量名', 'Variable name:': '变量名：', 'Variable type': '变量类型',
    'Variable type:': '变量类型：',
    // hit policies (the select above the table) and their explanations (its tooltip)
    'Unique': '唯一', 'First': '首条', 'Priority': '优先', 'Any': '任意', 'Collect': '汇总',
    'Collect (Sum)': '汇总（求和）', 'Collect (Min)': '汇总（最小值）',
    'Collect (Max)': '汇总（最大值）', 'Collect (Count)': '汇总（计数）',
    'Rule order': '规则顺序', 'Output order': '输出顺序',
    'No overlap is possible and all rules are disjoint. Only a single rule can be matched':
      '规则互不重叠，只能命中一条规则',
    'Rules may overlap. The first matching rule will be chosen': '规则可以重叠，取第一条命中的规则',
    'Rules may overlap. The one with the highest priority will be chosen':
      '规则可以重叠，取优先级最高的一条',
    'Rules may overlap. Their output have to match': '规则可以重叠，命中规则的输出须相同',
    'Collects the values of all matching rules': '汇总所有命中规则的取值',
    'Collects the values of all matching rules and sums up to a single value':
      '汇总所有命中规则的取值并求和',
    'Collects the values of all matching rules and uses the lowest value':
      '汇总所有命中规则的取值，取最小值',
    'Collects the values of all matching rules and uses the highest value':
      '汇总所有命中规则的取值，取最大值',
    'Collects the values of all matching rules and counts the number of them':
      '统计命中规则的条数',
    'Collects the values of all matching rules in rule order': '按规则顺序汇总所有命中规则的取值',
    'Collects the values of all matching rules in decreasing output priority order':
      '按输出优先级从高到低汇总所有命中规则的取值'
  };

  function translate(template, replacements) {
    var text = Object.prototype.hasOwnProperty.call(WORDS, template) ? WORDS[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : '{' + key + '}';
    });
  }

  window.XunchaDmnChinese = { translate: ['value', translate] };
}());
