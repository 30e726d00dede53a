"""Step text normalisation, the glossary's parse types, and form values written as authors write them."""
import shutil
from datetime import date, datetime

import pytest

from server import PROJECT_ROOT
from server.engine.calendar import BEIJING
from server.scenarios import fields, glossary
from server.scenarios.normalize import normalize, step


@pytest.mark.parametrize("written, normal", [
    ("时间到达 ２０２５年１０月２４日 ００：００", "时间到达2025年10月24日00:00"),
    ("过去 15 个工作日", "过去15个工作日"),
    ("过去15个工作日", "过去15个工作日"),
    ("组长收到“提交巡查工作报告”任务", '组长收到"提交巡查工作报告"任务'),
    ("对「单县」的巡查", '对"单县"的巡查'),
    ("对『单县』的巡查", '对"单县"的巡查'),
    ("对‘单县’的巡查", '对"单县"的巡查'),
    ("时间到达 2025-10-24   00:00", "时间到达2025-10-24 00:00"),
    ('举报"某企业  夜间 生产"', '举报"某企业 夜间 生产"'),
    ("期限为2027年1月15日（暂定）", "期限为2027年1月15日(暂定)"),
    ("  前后空白  ", "前后空白"),
])
def test_normalize(written, normal):
    assert normalize(written) == normal


def test_a_pattern_matches_however_the_author_spaces_and_quotes():
    parser = step('{who:角色}收到"{task:任务}"任务，办理期限为{day:日期}')
    for text in ('巡查组组长收到"提交巡查工作报告"任务，办理期限为2025年10月23日',
                 "巡查组组长 收到 “提交巡查工作报告” 任务，办理期限为 ２０２５年１０月２３日",
                 "巡查组组长收到「提交巡查工作报告」任务,办理期限为2025-10-23"):
        assert parser.is_matching(text), text
        found = parser.parse_arguments(text)
        assert found["who"].role == "team_leader" and found["who"].username == "team_leader"
        assert found["task"] == "提交巡查工作报告"
        assert found["day"] == date(2025, 10, 23)


def test_closed_vocabularies_refuse_what_they_do_not_know():
    parser = step('{who:角色}收到"{task:任务}"任务')
    assert not parser.is_matching('巡查组组长收到"写报告"任务')          # no such task
    assert not parser.is_matching('巡查组秘书收到"提交巡查工作报告"任务')  # no such role
    assert parser.is_matching('单县联络人收到"签收巡查告知书"任务')
    assert step("{at:时刻}").parse_arguments("2025年10月24日 00:00")["at"] == \
        datetime(2025, 10, 24, 0, 0, tzinfo=BEIJING)
    assert step("{at:时刻}").parse_arguments("2025-10-23 23:59:59")["at"] == \
        datetime(2025, 10, 23, 23, 59, 59, tzinfo=BEIJING)


@pytest.mark.parametrize("text, role, username, organisation", [
    ("市安委办", "office", "office", None),
    ("市安委会办公室", "office", "office", None),
    ("市安委会主要领导同志", "commission_director", "commission_director", None),
    ("组员", "team_member", "team_member1", None),
    ("陈静", "team_member", "team_member4", None),
    ("曹县联络人", "target", None, "caoxian"),
    ("市应急管理局联络人", "target", None, "yingji"),
])
def test_who_is_who(text, role, username, organisation):
    who = glossary.who(text)
    assert (who.role, who.username, who.organisation) == (role, username, organisation)
    assert who.user("shanxian") == (username or f"target_{organisation}")


def test_task_names_come_from_the_diagrams_under_test(tmp_path):
    draft = tmp_path / "draft"
    shutil.copytree(PROJECT_ROOT / "processes", draft / "processes")
    shutil.copytree(PROJECT_ROOT / "forms", draft / "forms")
    path = draft / "processes" / "inspection_report.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace('name="提交巡查工作报告"', 'name="形成巡查工作报告"'),
                    encoding="utf-8")
    parser = step('"{task:任务}"任务已逾期')
    with glossary.using(draft):
        assert parser.is_matching('"形成巡查工作报告"任务已逾期')
        assert not parser.is_matching('"提交巡查工作报告"任务已逾期')
    assert parser.is_matching('"提交巡查工作报告"任务已逾期')


SCHEMA = {"type": "object", "properties": {
    "fieldwork_done": {"type": "boolean", "title": "审核结论", "enum": [False, True],
                       "x-enumNames": ["继续巡查", "现场巡查结束"]},
    "fieldwork_end": {"type": "string", "format": "date", "title": "现场巡查结束日期"},
    "content_areas": {"type": "array", "title": "巡查内容",
                      "items": {"type": "string", "enum": ["C1", "C5"],
                                "x-enumNames": ["C1 贯彻落实情况", "C5 风险分级管控情况"]}},
    "listed": {"type": "boolean", "title": "挂牌督办"},
    "size": {"type": "integer", "title": "巡查组人数（不含专家）", "readOnly": True},
    "reason": {"type": "string", "title": "理由"},
    "method": {"type": "string", "title": "方式", "enum": ["phone"], "x-enumNames": ["电话督办"],
               "default": "phone"},
    "items": {"type": "array", "title": "事项", "items": {
        "type": "object", "properties": {"finding": {"type": "string", "title": "问题"},
                                         "status": {"type": "string", "title": "状态",
                                                    "enum": ["done", "in_progress"],
                                                    "x-enumNames": ["已完成", "整改中"]}},
        "required": ["finding", "status"]}},
}, "required": ["fieldwork_done", "reason", "method"]}


def test_values_are_read_through_the_form():
    given = fields.by_name(SCHEMA, {"审核结论": "现场巡查结束", "现场巡查结束日期": "2025年9月26日",
                                    "巡查内容": "C1、C5", "挂牌督办": "是", "巡查组人数(不含专家)": "6",
                                    "事项": [{"问题": "台账不全", "状态": "整改中"}, {"状态": "已完成"}]})
    assert given == {"fieldwork_done": True, "fieldwork_end": "2025-09-26",
                     "content_areas": ["C1", "C5"], "listed": True, "size": 6,
                     "items": [{"finding": "台账不全", "status": "in_progress"},
                               {"finding": "（示例）", "status": "done"}]}
    with pytest.raises(fields.FieldNotFound, match="可用字段"):
        fields.by_name(SCHEMA, {"不存在的字段": "x"})


def test_a_submission_is_what_a_person_would_send():
    data = fields.submission(SCHEMA, {"fieldwork_done": False},
                             current={"items": [{"finding": "已登记", "status": "done"}],
                                      "reason": "旧理由", "size": 5},
                             sample={"reason": "示例理由", "items": [{"finding": "示例", "status": "done"}]},
                             omit=["fieldwork_end"])
    assert data["fieldwork_done"] is False                      # given
    assert data["items"] == [{"finding": "已登记", "status": "done"}]   # a list already started
    assert data["reason"] == "示例理由"                           # sample over stale scalar
    assert data["method"] == "phone"                            # schema default
    assert "size" not in data and "fieldwork_end" not in data   # read-only, omitted
