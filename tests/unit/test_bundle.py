"""Loading a version: validation errors name the element; unsafe diagrams never load."""
import ast
import json
from pathlib import Path

import pytest

from server.engine.bundle import InvalidBundle, load_bundle
from server.services.versions import read_source_tree

ROOT = Path(__file__).resolve().parents[2]
MINI = read_source_tree(ROOT / "tests" / "fixtures" / "mini")
DIAGRAM = "processes/mini.bpmn"


def with_diagram(text):
    return {**MINI, DIAGRAM: text.encode()}


def mini_text():
    return MINI[DIAGRAM].decode()


def problems(files):
    with pytest.raises(InvalidBundle) as error:
        load_bundle(files)
    return [(p.element, p.message) for p in error.value.problems]


def test_the_fixture_loads_and_is_cached_by_content():
    first, second = load_bundle(MINI), load_bundle(dict(MINI))
    assert first is second
    assert first.process_names["mini"] == "巡查报告"
    meta = first.tasks[("mini", "write")]
    assert (meta.name, meta.role, meta.form, meta.clauses, meta.stage) == (
        "提交巡查工作报告", "team_leader", "report.json", ("R3.3.4",), "报告")
    assert first.timers[("mini", "deadline")].attached_to == "write"


def test_malformed_xml_is_refused():
    found = problems(with_diagram(mini_text()[:-40]))
    assert found and "XML" in found[0][1]


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
])
def test_entity_attacks_are_refused(prolog):
    text = mini_text().replace("?>", "?>" + prolog, 1)
    assert "DOCTYPE" in problems(with_diagram(text))[0][1]


def test_unknown_lane_role_is_pinned_to_the_task():
    found = problems(with_diagram(mini_text().replace('name="巡查组组长"', 'name="保洁员"')))
    assert ("write", "用户任务所在泳道“保洁员”不对应已知角色") in found


def test_missing_form_and_clauses_are_pinned_to_the_task():
    text = mini_text().replace('value="report.json"', 'value="nope.json"').replace(
        '<spiffworkflow:property name="clauses" value="R3.3.3"/>', "")
    found = problems(with_diagram(text))
    assert ("write", "表单 nope.json 不存在") in found
    assert ("plan", "用户任务未标注条款编号 clauses") in found


def test_broken_form_file_is_refused():
    found = problems({**MINI, "forms/note.json": b'{"schema": {"type": 12}}'})
    assert found[0][0] is None and "schema 无效" in found[0][1]


ESCAPES = [
    "x = ().__class__.__base__.__subclasses__()",
    'x = "{0.__class__}".format(fieldwork_end)',
    "x = (y for y in []).gi_frame.f_globals",
    "x = __import__('os').system('id')",
    "import os",
    "from os import system",
    "x = getattr(fieldwork_end, '__cl' + 'ass__')",
    "x = eval('1 + 1')",
    "x = open('/etc/passwd').read()",
    "x = globals()",
    "x = type(fieldwork_end)",
    "x = (lambda: 1)()",
    "while True: pass",
]


@pytest.mark.parametrize("script", ESCAPES)
def test_sandbox_escapes_in_a_script_task_are_refused_at_load(script):
    text = mini_text().replace("report_reminder_sent = True", script.replace("<", "&lt;"))
    element, message = problems(with_diagram(text))[0]
    assert element == "remind" and "表达式不安全" in message


@pytest.mark.parametrize("expression", [
    "().__class__", "fieldwork_end.__len__()", "'{0.__doc__}'.format(1)", "vars()"])
def test_sandbox_escapes_in_timer_expressions_are_refused(expression):
    text = mini_text().replace("end_of_day(add_working_days(fieldwork_end, 15))", expression)
    assert problems(with_diagram(text))[0][0] == "deadline"


def test_form_conventions_are_enforced_at_load_with_the_path_in_the_form():
    form = {"title": "办理意见", "schema": {"type": "object", "properties": {
        "note": {"type": "string", "title": "意见"}}},
        "ui": {"order": ["note", "gone"],
               "fields": {"note": {"widget": "slider", "read_roles": ["office", "boss"]}}}}
    found = problems({**MINI, "forms/note.json": json.dumps(form).encode()})
    assert ("ui/order/1", "schema 中没有字段 gone") in found
    assert ("ui/fields/note/read_roles/1", "未知的角色 boss") in found
    assert any(element == "ui/fields/note/widget" and "未知的控件 slider" in message
               for element, message in found)


def test_a_groups_column_hints_and_read_first_must_name_what_exists():
    form = {"title": "发现问题", "schema": {"type": "object", "properties": {"findings": {
        "type": "array", "title": "问题", "items": {"type": "object", "properties": {
            "text": {"type": "string", "title": "描述"}}}}}},
        "ui": {"read_first": ["summary", "nowhere"],
               "fields": {"findings": {"fields": {"text": {"widget": "dial"},
                                                  "severity": {"widget": "select"}}}}}}
    found = problems({**MINI, "forms/note.json": json.dumps(form).encode()})
    assert ("ui/fields/findings/fields/severity", "该字段的各行中没有列 severity") in found
    assert any(element == "ui/fields/findings/fields/text/widget" and "未知的控件 dial" in message
               for element, message in found)
    assert ("ui/read_first/1", "没有表单收集字段 nowhere") in found
    assert not any(element == "ui/read_first/0" for element, _ in found)   # report.json has it


def test_sandbox_escape_in_a_form_rule_is_refused():
    form = MINI["forms/report.json"].decode().replace(
        "count_where(members, 'role', 'leader') <= 1", "members.__class__")
    assert "不安全" in problems({**MINI, "forms/report.json": form.encode()})[0][1]


def test_engine_imports_neither_flask_nor_sqlalchemy():
    engine = ROOT / "server" / "engine"
    for path in engine.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("flask", "sqlalchemy")), f"{path.name} imports {name}"
