"""A whole inspection through the services, every stage and branch, on the real diagrams.

Worked dates from clauses.md §2: fieldwork ended 2025-09-26 → report due 2025-10-23;
feedback received 2025-08-01 → rectification due 2025-10-09; 2025-01-31 → 2025-03-31.
"""
import copy
from datetime import datetime

import pytest
from sqlalchemy import select

from server.services import instances, tasks
from server.services.context import unit_of_work
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.samples import ROSTER, SAMPLES
from server.store import schema
from tests.conftest import Desk

STAFF = [("office", "office", None), ("leader", "commission_leader", None),
         ("director", "commission_director", None), ("shanxian", "target", "shanxian"),
         ("yingji", "target", "yingji"), ("discipline", "discipline", None),
         ("orgdept", "org_dept", None), ("admin", "admin", None)]


def at(iso):
    return datetime.fromisoformat(iso)


class Inspection:
    """One inspection of 单县, driven by the people the regulation names."""

    def __init__(self, desk):
        self.desk = desk
        self.id = desk.start("office", "单县")

    def do(self, username, name, **values):
        task = self.desk.task(username, name, self.id)
        data = copy.deepcopy(SAMPLES[task["form"]]) | values
        self.desk.complete(username, name, data, self.id)
        return task

    def open_names(self):
        return sorted(t["name"] for t in self.desk.instance(self.id)["tasks"])

    def office_work(self):
        """The office's open tasks of this inspection (other work, e.g. the two-year coverage
        warning of R3.1a, may be in its inbox too)."""
        return [t["name"] for t in self.desk.inbox("office") if t["instance_id"] == self.id]

    def status(self):
        return self.desk.instance(self.id)["status"]

    def prepare(self, members=ROSTER):
        self.do("office", "制定巡查工作方案")
        self.do("office", "拟定巡查组名单", members=members)
        self.do("leader", "审批巡查组名单")
        self.do("office", "发送巡查告知书")
        self.do("shanxian", "签收巡查告知书")
        self.do("office", "组织集中培训")

    def enter(self):
        self.do("team_leader", "发布巡查公告")

    def implement(self, fieldwork_end="2025-09-26", **record):
        self.do("team_member1", "登记巡查工作记录", **record)
        self.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end=fieldwork_end)

    def report(self):
        self.do("team_leader", "提交巡查工作报告")
        self.do("office", "汇总巡查报告")
        self.do("leader", "审阅巡查报告")

    def feedback(self, received="2025-10-31"):
        self.do("team_leader", "印发反馈意见书")
        self.do("shanxian", "签收反馈意见书", feedback_received_date=received)

    def disclose(self):
        self.do("office", "起草巡查结果")
        self.do("leader", "审定巡查结果")
        self.do("office", "公布巡查结果")
        self.do("office", "通报市委组织部")
        self.do("orgdept", "签收巡查结果通报")
        self.do("office", "归档巡查资料")


@pytest.fixture
def office_desk(app):
    desk = Desk(app)
    for username, role, org in STAFF:
        desk.add_user(username, role, org=org)
    for member in ROSTER:
        role = {"leader": "team_leader", "deputy": "team_deputy", "expert": "expert"}.get(
            member["role"], "team_member")
        desk.add_user(member["username"], role)
    desk.set_clock("2025-06-02T09:00:00+08:00")
    return desk


def test_an_inspection_runs_through_all_six_stages(office_desk):
    desk = office_desk
    case = Inspection(desk)
    assert case.status() == "准备中"
    case.do("office", "制定巡查工作方案")
    case.do("office", "拟定巡查组名单")
    assert desk.inbox("team_leader") == []           # the roster is not approved yet
    case.do("leader", "审批巡查组名单")
    case.do("office", "发送巡查告知书")
    assert case.open_names() == ["签收巡查告知书", "组织集中培训"]
    assert desk.task("shanxian", "签收巡查告知书")["organisation"] == "shanxian"
    case.do("shanxian", "签收巡查告知书")
    case.do("office", "组织集中培训")
    assert case.status() == "进驻中"
    case.enter()
    assert desk.instance(case.id)["data"]["report_channel_open"] is True
    assert case.status() == "实施中"
    case.implement()
    assert case.status() == "报告中"
    report = desk.task("team_leader", "提交巡查工作报告")
    assert (report["stage"], report["due_at"]) == ("报告", at("2025-10-24T00:00:00+08:00"))
    case.report()
    assert case.status() == "反馈中"
    case.feedback(received="2025-10-31")
    assert case.status() == "整改中"
    rectification = desk.task("shanxian", "报送整改情况")
    assert rectification["due_at"] == at("2026-01-01T00:00:00+08:00")   # 12-31, a working day
    assert "R3.3.5b" in rectification["clauses"]
    case.do("shanxian", "报送整改情况")
    case.do("office", "审核整改情况", verdict="accepted")
    assert case.status() == "公开中"
    case.do("office", "起草巡查结果")
    assert desk.inbox("orgdept") == []               # only after the leader's approval
    case.do("leader", "审定巡查结果")
    assert case.open_names() == ["公布巡查结果", "通报市委组织部"]
    case.do("office", "公布巡查结果")
    case.do("office", "通报市委组织部")
    case.do("orgdept", "签收巡查结果通报")
    case.do("office", "归档巡查资料")
    final = desk.instance(case.id)
    assert final["state"] == "completed" and final["tasks"] == [] and final["timers"] == []
    with desk.services.engine.connect() as conn:
        liaisons = conn.execute(select(schema.human_tasks.c.organisation).distinct().where(
            schema.human_tasks.c.instance_id == case.id, schema.human_tasks.c.role == "target"))
        assert liaisons.scalars().all() == ["shanxian"]   # the target's work went to 单县 only


def test_approvals_can_send_work_back_with_a_reason(office_desk):
    case = Inspection(office_desk)
    case.do("office", "制定巡查工作方案")
    case.do("office", "拟定巡查组名单")
    with pytest.raises(InvalidInput) as error:
        case.do("leader", "审批巡查组名单", decision="return")
    assert error.value.fields == {"return_reason": "退回时须填写退回理由"}
    case.do("leader", "审批巡查组名单", decision="return", return_reason="组员专业结构需调整")
    assert case.open_names() == ["拟定巡查组名单"]
    case.do("office", "拟定巡查组名单")
    case.do("leader", "审批巡查组名单")
    case.do("office", "发送巡查告知书")
    case.do("shanxian", "签收巡查告知书")
    case.do("office", "组织集中培训")
    case.enter()
    case.implement()
    case.do("team_leader", "提交巡查工作报告")
    case.do("office", "汇总巡查报告")
    case.do("leader", "审阅巡查报告", decision="return", return_reason="问题分析不够深入")
    assert case.open_names() == ["汇总巡查报告"]
    case.do("office", "汇总巡查报告")
    case.do("leader", "审阅巡查报告")
    case.feedback()
    case.do("shanxian", "报送整改情况")
    case.do("office", "审核整改情况")
    case.do("office", "起草巡查结果")
    case.do("leader", "审定巡查结果", decision="return", return_reason="公开范围需调整")
    assert case.open_names() == ["起草巡查结果"]
    case.disclose()
    assert office_desk.instance(case.id)["state"] == "completed"


def small_team():
    return [m for m in ROSTER if m["username"] != "team_member4"]


def test_a_team_under_six_needs_a_reason_and_the_leaders_explicit_approval(office_desk):
    case = Inspection(office_desk)
    case.do("office", "制定巡查工作方案")
    with pytest.raises(InvalidInput) as error:
        case.do("office", "拟定巡查组名单", members=small_team())
    assert error.value.fields == {"size_exception_reason": "不足6人须填写例外理由"}
    case.do("office", "拟定巡查组名单", members=small_team(), size_exception_reason="专项巡查任务较轻")
    with pytest.raises(InvalidInput) as error:
        case.do("leader", "审批巡查组名单", roster_core_size=6)   # read-only: cannot be forged
    assert error.value.fields == {"size_exception_approved": "巡查组不足6人，须明确批准例外"}
    case.do("leader", "审批巡查组名单", size_exception_approved=True)
    assert case.open_names() == ["发送巡查告知书"]


@pytest.mark.parametrize("members, message", [
    ([dict(m, role="leader") if m["role"] == "deputy" else m for m in ROSTER], "须有且仅有1名组长"),
    ([m for m in ROSTER if m["role"] != "deputy"] + [dict(ROSTER[2], username="x")],
     "须有且仅有1名副组长"),
    ([dict(m, regional_conflict=True) if m["username"] == "team_member1" else m for m in ROSTER],
     "成员存在回避情形，须调整"),
    ([dict(m, declared=False) if m["username"] == "team_member2" else m for m in ROSTER],
     "每名成员须提交回避声明"),
])
def test_roster_rules(office_desk, members, message):
    case = Inspection(office_desk)
    case.do("office", "制定巡查工作方案")
    with pytest.raises(InvalidInput) as error:
        case.do("office", "拟定巡查组名单", members=members)
    assert error.value.fields == {"members": message}
    assert case.open_names() == ["拟定巡查组名单"]


def test_fieldwork_findings_reach_the_office_the_commission_and_receiving_units(office_desk):
    desk = office_desk
    case = Inspection(desk)
    case.prepare()
    case.enter()
    case.do("team_member1", "登记巡查工作记录")
    case.do("team_leader", "审核巡查记录", fieldwork_done=False)
    assert case.open_names() == ["登记巡查工作记录"]      # fieldwork continues
    case.do("team_member2", "登记巡查工作记录", obstruction=True, obstruction_type="refuse_materials",
            obstruction_detail="拒绝提供隐患排查台账", findings=[
                {"category": "C5", "severity": "major_issue", "description": "重大问题"},
                {"category": "C5", "severity": "major_hazard", "description": "重大隐患"}],
            clues=[{"category": "official_misconduct", "description": "公职人员失职"},
                   {"category": "supervision_failure", "description": "监管执法不到位"}])
    case.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
    assert case.open_names() == ["决定挂牌督办", "分类移交问题线索", "处理阻挠巡查情况",
                                 "报送重大问题书面报告"]
    case.do("office", "处理阻挠巡查情况")
    case.do("team_leader", "报送重大问题书面报告")
    case.do("office", "签收重大问题报告")
    case.do("leader", "决定挂牌督办")
    case.do("team_leader", "分类移交问题线索", clues=[
        {"category": "official_misconduct", "description": "公职人员失职"},
        {"category": "supervision_failure", "description": "监管执法不到位", "transfer_org": "yingji"}])
    receipt = desk.task("yingji", "签收移交线索")
    assert receipt["organisation"] == "yingji"
    assert [t["name"] for t in desk.inbox("shanxian")] == []
    # The receiving department sees the clue sent to it, not the official's (for 纪委) nor the
    # rest of 单县's inspection.
    yingji = desk.actor("yingji")
    with unit_of_work(desk.services) as uow:
        seen = tasks.get_task(uow, yingji, receipt["id"])["data"]
        with pytest.raises(NotFound):
            instances.get_instance(uow, yingji, case.id)
    assert seen["clues"] == [{"category": "supervision_failure", "description": "监管执法不到位",
                              "transfer_org": "yingji"}]
    assert "findings" not in seen and "obstruction_detail" not in seen
    case.do("discipline", "签收移交线索")
    case.do("yingji", "签收移交线索")
    assert case.status() == "报告中"


def test_public_reports_reach_the_team_leader_only_during_fieldwork(office_desk):
    desk = office_desk
    case = Inspection(desk)
    report = {"report_channel": "phone", "report_content": "某企业夜间违规生产",
              "reporter_name": "匿名群众"}
    office = desk.actor("office")

    def register():
        with unit_of_work(desk.services) as uow:
            instances.receive_public_report(uow, office, case.id, report)

    with pytest.raises(Conflict):
        register()                                    # not on site yet
    case.prepare()
    case.enter()
    register()
    triage = desk.task("team_leader", "处理群众举报")
    assert triage["clauses"] and case.office_work() == []
    case.do("team_leader", "处理群众举报")
    case.implement()
    with pytest.raises(Conflict):
        register()                                    # fieldwork has ended


def test_overdue_report_escalates_at_the_deadline_instant(office_desk):
    desk = office_desk
    case = Inspection(desk)
    case.prepare()
    case.enter()
    case.implement(fieldwork_end="2025-09-26")
    desk.set_clock("2025-10-20T12:00:00+08:00")
    assert case.office_work() == []
    desk.set_clock("2025-10-21T00:00:00+08:00")           # reminder: 3 working days before
    desk.set_clock("2025-10-23T23:59:59+08:00")
    assert case.office_work() == []
    desk.set_clock("2025-10-24T00:00:00+08:00")
    assert case.office_work() == ["督办逾期巡查报告"]
    late = desk.task("team_leader", "提交巡查工作报告")
    assert late["overdue"] is True
    with desk.services.engine.connect() as conn:
        kinds = conn.execute(select(schema.notifications.c.kind).where(
            schema.notifications.c.instance_id == case.id)).scalars().all()
    assert sorted(kinds) == ["deadline", "reminder"]
    case.do("office", "督办逾期巡查报告")
    case.report()
    assert case.status() == "反馈中"


def test_overdue_rectification_leads_to_an_interview_and_tracking_continues(office_desk):
    desk = office_desk
    case = Inspection(desk)
    case.prepare()
    case.enter()
    case.implement(fieldwork_end="2025-06-27")
    case.report()
    desk.set_clock("2025-08-01T10:00:00+08:00")
    case.feedback(received="2025-08-01")
    assert desk.task("shanxian", "报送整改情况")["due_at"] == at("2025-10-10T00:00:00+08:00")
    desk.set_clock("2025-10-09T23:59:59+08:00")
    assert case.office_work() == []
    desk.set_clock("2025-10-10T00:00:00+08:00")
    interview = desk.task("office", "组织约谈")
    assert "R3.3.5b" in interview["clauses"]
    assert desk.instance(case.id)["data"]["interview_trigger"] == "overdue"
    assert desk.task("shanxian", "报送整改情况")["overdue"] is True
    case.do("office", "组织约谈")
    case.do("shanxian", "报送整改情况")
    case.do("office", "审核整改情况", verdict="accepted")
    assert case.status() == "公开中"


def test_poor_rectification_leads_to_an_interview_and_a_new_round(office_desk):
    desk = office_desk
    case = Inspection(desk)
    case.prepare()
    case.enter()
    case.implement()
    case.report()
    case.feedback(received="2025-01-31")
    assert desk.task("shanxian", "报送整改情况")["due_at"] == at("2025-04-01T00:00:00+08:00")
    case.do("shanxian", "报送整改情况")
    with pytest.raises(InvalidInput):
        case.do("office", "审核整改情况", verdict="poor")
    case.do("office", "审核整改情况", verdict="poor", verdict_reason="整改措施流于形式")
    assert case.open_names() == ["组织约谈"]
    assert desk.instance(case.id)["data"]["interview_trigger"] == "poor"
    case.do("office", "组织约谈")
    case.do("shanxian", "报送整改情况")
    case.do("office", "审核整改情况", verdict="returned", verdict_reason="请补充佐证材料")
    case.do("shanxian", "报送整改情况")
    case.do("office", "审核整改情况", verdict="accepted")
    case.disclose()
    assert desk.instance(case.id)["state"] == "completed"


def test_the_reporters_identity_is_shown_only_to_whom_the_form_allows(office_desk):
    desk = office_desk
    case = Inspection(desk)
    case.prepare()
    case.enter()
    office = desk.actor("office")
    with unit_of_work(desk.services) as uow:
        instances.receive_public_report(uow, office, case.id, {
            "report_channel": "phone", "report_content": "夜间违规生产", "reporter_name": "李四"})
    assert desk.instance(case.id, "team_leader")["data"]["reporter_name"] == "李四"
    assert "reporter_name" not in desk.instance(case.id, "shanxian")["data"]
