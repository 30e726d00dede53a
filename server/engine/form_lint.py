"""Checks of a form file's text as a process owner types it (the form editor's live errors):
JSON syntax with line and column, the JSON Schema meta-schema, and our own conventions
(known widgets, known roles in read_roles, fields and decision tables that exist, rules in the
restricted language). Every problem names a path in the document (`schema/properties/x/type`)
and, where it can be found, the line and column of the text.
"""
import json
from dataclasses import dataclass

from jsonschema import Draft202012Validator

from .sandbox import SandboxViolation, check_source

# The widgets forms_render knows (docs/conventions.md, "Forms"); anything else renders as text.
WIDGETS = frozenset({"text", "textarea", "select", "radio", "checkbox", "checkboxes",
                     "multiselect", "date", "datetime", "number", "email", "url", "tel", "file",
                     "list", "table"})
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
# json's messages, in the words the editor shows.
_JSON_MESSAGES = {
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Expecting property name enclosed in double quotes": "属性名须用英文双引号括起",
    "Expecting value": "缺少取值（或有多余的逗号）",
    "Unterminated string starting at": "字符串缺少结束的引号",
    "Invalid control character at": "字符串中有换行等控制字符",
    "Invalid \\escape": "无效的转义字符",
    "Extra data": "JSON 结束后还有多余的内容",
}


@dataclass(frozen=True)
class FormProblem:
    path: str                 # "json" for syntax errors, else a path in the document
    message: str
    line: int | None = None
    column: int | None = None

    def to_dict(self):
        return {"path": self.path, "message": self.message, "line": self.line,
                "column": self.column}


def lint_form(text, decision_ids=(), role_codes=()):
    """(document or None, [FormProblem]); the document is None when it is not a usable form."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        words = next((v for k, v in _JSON_MESSAGES.items() if exc.msg.startswith(k)), exc.msg)
        return None, [FormProblem("json", f"JSON 语法错误（第 {exc.lineno} 行第 {exc.colno} 列）：{words}",
                                  exc.lineno, exc.colno)]
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), dict):
        return None, [FormProblem("schema", "表单须为 JSON 对象，并有对象形式的 schema", 1, 1)]
    found = list(_schema_problems(doc["schema"]))
    usable = not found
    found += _ui_problems(doc, set(role_codes))
    found += _rule_problems(doc, set(decision_ids))
    located = [FormProblem(p.path, p.message, *locate(text, p.path)) for p in found]
    return (doc if usable else None), located


def convention_problems(content, role_codes):
    """The conventions the bundle loader enforces too, so a deploy refuses what the form editor
    flags: known widgets, known roles in read_roles, ui hints naming fields that exist."""
    doc = json.loads(content)
    return _ui_problems(doc, set(role_codes)) if isinstance(doc.get("schema"), dict) else []


def _schema_problems(schema):
    for error in sorted(_META.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path))):
        path = "/".join(["schema", *map(str, error.absolute_path)])
        if error.absolute_path and error.absolute_path[-1] == "type":
            message = "type 须为 string、number、integer、boolean、array、object 或 null"
        else:
            message = f"不符合 JSON Schema 2020-12（{error.validator}）：{error.message}"
        yield FormProblem(path, message)


def _ui_problems(doc, role_codes):
    ui = doc.get("ui", {})
    if not isinstance(ui, dict):
        return [FormProblem("ui", "ui 须为对象")]
    properties = doc["schema"].get("properties") or {}
    found = [FormProblem(f"ui/order/{i}", f"schema 中没有字段 {name}")
             for i, name in enumerate(ui.get("order") or []) if name not in properties]
    for name, hints in (ui.get("fields") or {}).items():
        where = f"ui/fields/{name}"
        if name not in properties:
            found.append(FormProblem(where, f"schema 中没有字段 {name}"))
        if not isinstance(hints, dict):
            found.append(FormProblem(where, "须为对象"))
            continue
        found += _widget_problems(hints, where)
        found += _column_problems(hints, properties.get(name), where)
        for i, role in enumerate(hints.get("read_roles") or []):
            if role not in role_codes:
                found.append(FormProblem(f"{where}/read_roles/{i}", f"未知的角色 {role}"))
    return found


def _widget_problems(hints, where):
    if "widget" in hints and hints["widget"] not in WIDGETS:
        return [FormProblem(f"{where}/widget", f"未知的控件 {hints['widget']}（可用："
                            + "、".join(sorted(WIDGETS)) + "）")]
    return []


def _column_problems(hints, field_schema, where):
    """A repeating group's per-column hints (`fields`) name its columns and known widgets."""
    columns = hints.get("fields")
    if columns is None:
        return []
    items = (field_schema or {}).get("items")
    names = (items.get("properties") or {}) if isinstance(items, dict) else {}
    if not isinstance(columns, dict):
        return [FormProblem(f"{where}/fields", "须为对象（各列的提示）")]
    found = []
    for column, column_hints in columns.items():
        at = f"{where}/fields/{column}"
        if column not in names:
            found.append(FormProblem(at, f"该字段的各行中没有列 {column}"))
        if isinstance(column_hints, dict):
            found += _widget_problems(column_hints, at)
        else:
            found.append(FormProblem(at, "须为对象"))
    return found


def _rule_problems(doc, decision_ids):
    rules = doc.get("rules", [])
    if not isinstance(rules, list):
        return [FormProblem("rules", "rules 须为列表")]
    properties = doc["schema"].get("properties") or {}
    found = []
    for i, rule in enumerate(rules):
        where = f"rules/{i}"
        if not isinstance(rule, dict) or not (rule.get("decision") or
                                              ("assert" in rule and "message" in rule)):
            found.append(FormProblem(where, "规则须有 assert 和 message，或引用 decision"))
            continue
        if rule.get("decision") and rule["decision"] not in decision_ids:
            found.append(FormProblem(f"{where}/decision", f"决策表 {rule['decision']} 不存在"))
        if rule.get("field") and rule["field"] not in properties:
            found.append(FormProblem(f"{where}/field", f"schema 中没有字段 {rule['field']}"))
        found += [FormProblem(f"{where}/{key}", message) for key in ("when", "assert")
                  if (message := _expression_problem(rule.get(key)))]
    return found


def _expression_problem(source):
    if not source:
        return None
    if not isinstance(source, str):
        return "须为表达式文本"
    try:
        check_source(source, "eval")
    except SandboxViolation as exc:
        return f"表达式不安全：{exc.message}"
    except SyntaxError as exc:
        return f"表达式语法错误：{exc.msg}"
    return None


def locate(text, path):
    """(line, column) of the last key of `path` found in order in `text`, or (None, None).

    Approximate on purpose: keys are searched in document order, which finds them in the forms
    people write; array indices keep the position of their list."""
    offset, found = 0, False
    for part in path.split("/"):
        if part.isdigit() or part == "json":
            continue
        at = text.find(json.dumps(part, ensure_ascii=False), offset)
        if at < 0:
            break
        offset, found = at, True
    if not found:
        return None, None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
