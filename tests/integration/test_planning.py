"""The annual plan (R1.2, R3.1a-c, R4.1.1), the registers it reads, and leave requests (R4.2.3),
through the services on the real diagrams and decision tables."""
import copy
import shutil

import pytest
from sqlalchemy import insert, select, update

from server.services import instances, leave, planning, registers, tasks
from server.services.context import unit_of_work
from server.services.errors import Conflict, Forbidden, InvalidInput
from server.services.samples import ROSTER, SAMPLES
from server.store import schema
from tests.conftest import ROOT, Desk, build_app

TEAM = {"leader": "team_leader", "deputy": "team_deputy", "member": "team_member",
        "expert": "expert"}
COUNTIES = ["mudan", "dingtao", "caoxian", "shanxian", "chengwu", "juye", "yuncheng",
            "juancheng", "dongming"]
DEPARTMENTS = ["yingji", "zhujian", "jiaotong"]


def staffed(app):
    desk = Desk(app)
    for username, role in (("office", "office"), ("admin", "admin"), ("deputy", "commission_leader"),
                           ("director", "commission_director")):
        desk.add_user(username, role)
    for member in ROSTER:
        desk.add_user(member["username"], TEAM[member["role"]])
    for code in COUNTIES + DEPARTMENTS:
        desk.add_user(f"target_{code}", "target", org=code)
    desk.set_clock("2025-11-03T09:00:00+08:00")
    return desk


@pytest.fixture
def desk(app):
    return staffed(app)


class Planner:
    """Registers and plans through the services, as the office and the commission do."""

    def __init__(self, desk):
        self.desk = desk
        self.services = desk.services

    def run(self, username, fn, *args, **kwargs):
        actor = self.desk.actor(username)
        with unit_of_work(self.services) as uow:
            return fn(uow, actor, *args, **kwargs)

    def external(self, org, year, body="province", joint=False):
        return self.run("office", registers.add_external_inspection, org, body, year, joint)

    def past(self, org, kind, start, end=None):
        return self.run("office", registers.add_past_inspection, org, kind, start, end)

    def start(self, year=2026):
        self.plan_id = self.run("office", planning.start_plan, year)
        return self.plan_id

    def data(self):
        """The plan's data as the person at its open task sees it (the task page)."""
        [task] = self.desk.instance(self.plan_id)["tasks"]
        actor = self.desk.actor({"office": "office", "commission_leader": "deputy"}[task["role"]])
        with unit_of_work(self.services) as uow:
            return tasks.get_task(uow, actor, task["id"])["data"]

    def items(self):
        return {i["target"]: i for i in self.data()["plan_items"]}

    def draft(self, items):
        self.desk.complete("office", "拟定年度巡查计划", {"plan_items": items}, self.plan_id)

    def approve(self, username="deputy", **values):
        self.desk.complete(username, "审批年度巡查计划", {"decision": "approve"} | values, self.plan_id)

    def open_tasks(self):
        return [t["name"] for t in self.desk.instance(self.plan_id)["tasks"]]


@pytest.fixture
def planner(desk):
    return Planner(desk)


def register_the_year(planner):
    """2026: the province inspected 单县 and 市应急管理局; 曹县 had a special inspection in
    December 2025, 成武县 and 市交通运输局 in 2026; 巨野县 was inspected in full in 2026."""
    planner.external("shanxian", 2026)
    planner.external("yingji", 2026, body="state_council")
    planner.past("caoxian", "special", "2025-12-20", "2025-12-30")
    planner.past("chengwu", "special", "2026-03-10")
    planner.past("jiaotong", "special", "2026-02-01", "2026-02-10")
    planner.past("juye", "full", "2026-04-01", "2026-04-20")


# ---------------------------------------------------------------------------- candidates (R1.2)
def test_candidates_are_every_county_and_the_departments_with_supervision_duties(app, planner):
    with unit_of_work(planner.services) as uow:
        uow.conn.execute(insert(schema.organisations).values(
            code="tongji", name="市统计局", kind="department", has_supervision_duty=False))
        uow.conn.execute(update(schema.organisations).where(schema.organisations.c.code == "zhujian")
                         .values(has_supervision_duty=False))
    planner.start(2026)
    data = planner.data()
    assert sorted(data["candidate_targets"]) == sorted(COUNTIES + ["yingji", "jiaotong"])
    assert all(i["type"] == "full" and i["include"] and not i["excluded"]
               for i in data["plan_items"])
    assert data["plan_year"] == 2026 and data["cycle_label"] == "2026—2027年"
    assert planner.open_tasks() == ["拟定年度巡查计划"]
    items = [{"target": "zhujian", "type": "full", "include": True}]
    with pytest.raises(InvalidInput) as error:
        planner.draft(items)
    assert error.value.fields == {"plan_items": "巡查对象须为县区或负有安全生产监督管理职责的市直部门（R1.2）"}


def test_the_seeded_departments_have_supervision_duties(planner):
    with unit_of_work(planner.services) as uow:
        rows = uow.conn.execute(select(schema.organisations.c.code, schema.organisations.c.kind,
                                       schema.organisations.c.has_supervision_duty)).all()
    assert {r.code for r in rows if r.has_supervision_duty} == set(DEPARTMENTS)
    assert {r.code for r in rows if r.kind == "county"} == set(COUNTIES)


# ---------------------------------------------------------------------------- exclusions (D4)
def test_default_exclusions_follow_the_registers_and_the_year_of_the_onsite_start(planner):
    register_the_year(planner)
    planner.start(2026)
    items = planner.items()
    excluded = {code: item["exclusion_rule"] for code, item in items.items() if item["excluded"]}
    # R3.1b counties only (not 市应急管理局); R3.1c counties and departments; December 2025
    # does not exclude 2026 (曹县); a full inspection this year excludes nothing (巨野县)
    assert excluded == {"shanxian": "R3.1b", "chengwu": "R3.1c", "jiaotong": "R3.1c"}
    assert "R3.1b" in items["shanxian"]["exclusion_reason"]
    assert sorted(code for code, item in items.items() if not item["include"]) == \
        ["chengwu", "jiaotong", "shanxian"]


def test_the_same_registers_exclude_nothing_from_the_next_years_plan(planner):
    register_the_year(planner)
    planner.start(2027)
    assert [i for i in planner.data()["plan_items"] if i["excluded"]] == []


def test_a_register_entry_while_drafting_updates_the_draft(planner):
    planner.start(2026)
    assert not planner.items()["dongming"]["excluded"]
    planner.external("dongming", 2026)
    assert planner.items()["dongming"]["exclusion_rule"] == "R3.1b"


# ---------------------------------------------------------------------------- the flow
def plan_items(planner, **changes):
    items = [{k: v for k, v in item.items() if k in ("target", "type", "include")}
             for item in planner.data()["plan_items"]]
    for item in items:
        item.update(changes.get(item["target"], {}))
    return items


def test_including_an_excluded_target_needs_a_reason_then_a_leaders_explicit_approval(planner):
    register_the_year(planner)
    planner.start(2026)
    items = plan_items(planner, shanxian={"include": True})
    planner.draft(items)          # no reason: the diagram returns the draft with the problem
    assert planner.open_tasks() == ["拟定年度巡查计划"]
    assert planner.data()["plan_problems"] == [
        "单县：原则上不再安排全面巡查，列入计划须填写理由并经市安委会领导同志批准"]
    items = plan_items(planner, shanxian={"include": True, "include_reason": "省级延伸巡查仅涉及危化品领域"})
    planner.draft(items)
    assert planner.open_tasks() == ["审批年度巡查计划"]
    assert planner.data()["override_items"] == ["单县"]
    with pytest.raises(InvalidInput) as error:
        planner.approve()
    assert error.value.fields == {
        "overrides_approved": "计划列入了原则上不再安排全面巡查的对象，须明确批准例外（R3.1b R3.1c）"}
    planner.approve(overrides_approved=True)
    assert planner.desk.instance(planner.plan_id)["state"] == "completed"


def test_retyping_an_item_is_judged_by_the_table_not_by_the_draft(planner):
    """A full inspection of a county the province inspected is excluded whatever the draft's
    flags say; a special inspection of it is not (R3.1b concerns full inspections)."""
    register_the_year(planner)
    planner.start(2026)
    items = plan_items(planner, shanxian={"include": True, "excluded": False})
    planner.draft(items)
    assert planner.open_tasks() == ["拟定年度巡查计划"]
    items = plan_items(planner, shanxian={"include": True, "type": "special",
                                          "special_basis": "上半年道路交通事故频发"})
    planner.draft(items)
    assert planner.open_tasks() == ["审批年度巡查计划"]
    assert planner.data()["override_count"] == 0


def test_a_special_inspection_needs_its_basis(planner):
    planner.start(2026)
    items = plan_items(planner, yingji={"type": "special"})
    with pytest.raises(InvalidInput) as error:
        planner.draft(items)
    assert "R3.1c" in error.value.fields["plan_items"]
    items = plan_items(planner, yingji={"type": "special", "include": False})
    planner.draft(items)          # not in the plan: no basis needed
    assert planner.open_tasks() == ["审批年度巡查计划"]


def test_each_target_once_and_at_least_one(planner):
    planner.start(2026)
    with pytest.raises(InvalidInput) as error:
        planner.draft([{"target": "mudan", "type": "full", "include": True}] * 2)
    assert error.value.fields == {"plan_items": "同一巡查对象在计划中只能出现一次"}
    with pytest.raises(InvalidInput) as error:
        planner.draft([{"target": "mudan", "type": "full", "include": False}])
    assert error.value.fields == {"plan_items": "计划须至少列入1个巡查对象"}


def test_a_returned_plan_goes_back_to_the_office(planner):
    planner.start(2026)
    planner.draft(plan_items(planner))
    with pytest.raises(InvalidInput):
        planner.approve(decision="return")
    planner.approve(decision="return", return_reason="请补充专项巡查安排")
    assert planner.open_tasks() == ["拟定年度巡查计划"]


def test_the_approved_plan_starts_one_inspection_per_planned_item(planner):
    register_the_year(planner)
    planner.start(2026)
    only = {"mudan", "shanxian", "yingji"}
    items = [dict(i, include=i["target"] in only) for i in plan_items(planner)]
    for item in items:
        if item["target"] == "shanxian":
            item.update(include_reason="省级延伸巡查仅涉及危化品领域")
        if item["target"] == "yingji":
            item.update(type="special", special_basis="危险化学品领域事故频发",
                        special_sector="危险化学品", joint_with_province=True)
    planner.draft(items)
    planner.approve(username="director", overrides_approved=True)
    with unit_of_work(planner.services) as uow:
        plan = planning.list_plans(uow, 2026)[0]
        rows = uow.conn.execute(select(schema.instances).where(
            schema.instances.c.id.in_(plan["inspections"]))).all()
        audit = uow.conn.execute(select(schema.audit_events.c.detail).where(
            schema.audit_events.c.action == "plan.approved")).scalar()
    assert plan["state"] == "approved" and plan["approved_by"] == "director"
    assert sorted(r.organisation for r in rows) == sorted(only)
    assert {r.process_id for r in rows} == {"safety_inspection"}
    assert audit["overrides"] == ["单县"] and sorted(audit["inspections"]) == sorted(plan["inspections"])
    started = {r.organisation: planner.desk.instance(r.id)["data"] for r in rows}
    assert started["yingji"]["inspection_type"] == "special"
    assert started["yingji"]["special_basis"] == "危险化学品领域事故频发"
    assert started["yingji"]["joint_with_province"] is True
    assert started["mudan"]["inspection_type"] == "full" and started["mudan"]["plan_year"] == 2026
    assert all(d["plan_instance"] == planner.plan_id for d in started.values())
    office_tasks = {(t["instance_id"], t["name"]) for t in planner.desk.inbox("office")}
    assert {(r.id, "制定巡查工作方案") for r in rows} <= office_tasks


def test_one_live_plan_per_year(planner):
    first = planner.start(2026)
    with pytest.raises(Conflict):
        planner.start(2026)
    planner.run("office", instances.set_state, first, "cancelled")
    planner.start(2026)
    with pytest.raises(InvalidInput):
        planner.run("office", planning.start_plan, "明年")


def test_only_the_office_plans_and_plans_start_through_their_service(planner):
    with pytest.raises(Forbidden):
        planner.run("deputy", planning.start_plan, 2026)
    with pytest.raises(InvalidInput) as error:
        planner.run("office", instances.start_instance, "annual_plan", {"target": "单县"})
    assert "process" in error.value.fields


# ---------------------------------------------------------------------------- registers
def test_registers_refuse_bad_entries(planner):
    with pytest.raises(InvalidInput) as error:
        planner.external("nowhere", 2026)
    assert "organisation" in error.value.fields
    with pytest.raises(InvalidInput):
        planner.external("shanxian", 2026, body="ministry")
    with pytest.raises(InvalidInput):
        planner.past("shanxian", "full", "2026-04-20", "2026-04-01")
    with pytest.raises(Forbidden):
        planner.run("team_leader", registers.add_external_inspection, "shanxian", "province", 2026)


def drive_to_fieldwork_end(desk, instance_id, target, entry="2025-11-10", end="2025-11-28"):
    def do(username, name, **values):
        task = desk.task(username, name, instance_id)
        desk.complete(username, name, copy.deepcopy(SAMPLES[task["form"]]) | values, instance_id)
    do("office", "制定巡查工作方案", inspection_type="special", special_basis="事故频发",
       planned_onsite_start=entry, planned_onsite_end=end)
    do("office", "拟定巡查组名单")
    do("deputy", "审批巡查组名单")
    do("office", "发送巡查告知书")
    do(f"target_{target}", "签收巡查告知书")
    do("office", "组织集中培训")
    do("team_leader", "发布巡查公告", entry_date=entry)
    do("team_member1", "登记巡查工作记录")
    do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end=end)


def test_the_history_is_written_when_the_team_enters_and_when_fieldwork_ends(desk, planner):
    instance_id = desk.start("office", "曹县")
    drive_to_fieldwork_end(desk, instance_id, "caoxian", entry="2025-11-10", end="2025-11-28")
    with unit_of_work(desk.services) as uow:
        [row] = registers.list_history(uow, organisation="caoxian")
        recorded = uow.conn.execute(select(schema.audit_events.c.detail).where(
            schema.audit_events.c.action == "register.inspection_recorded")).scalars().all()
    assert (row["instance_id"], row["inspection_type"], row["onsite_start"].isoformat(),
            row["fieldwork_end"].isoformat()) == (instance_id, "special", "2025-11-10", "2025-11-28")
    assert [r["fieldwork_end"] for r in recorded if "fieldwork_end" in r] == ["2025-11-28"]
    assert len(recorded) == 2
    # a special inspection of 曹县 this year: it is excluded from a full inspection in 2025 only
    planner.start(2025)
    assert planner.items()["caoxian"]["exclusion_rule"] == "R3.1c"
    next_year = Planner(desk)
    next_year.start(2026)
    assert next_year.items()["caoxian"]["excluded"] is False


# ---------------------------------------------------------------------------- table edits
def copy_procedure(tmp_path, path, edit):
    source = tmp_path / "procedure"
    for folder in ("processes", "forms"):
        shutil.copytree(ROOT / folder, source / folder)
    target = source / path
    before = target.read_text(encoding="utf-8")
    after = edit(before)
    assert after != before
    target.write_text(after, encoding="utf-8")
    return source


def test_changing_the_exclusion_table_changes_the_plan_without_code_changes(database_url, tmp_path):
    """The process owner extends R3.1b to departments: 市应急管理局, inspected by the State
    Council this year, is now excluded by default; nothing else changed."""
    source = copy_procedure(tmp_path, "processes/plan_exclusion.dmn", lambda text: text.replace(
        '<inputEntry id="plan_exclusion_rule_1_in_1"><text>"county"</text>',
        '<inputEntry id="plan_exclusion_rule_1_in_1"><text>in ("county", "department")</text>'))
    planner = Planner(staffed(build_app(database_url, source, tmp_path / "app")))
    register_the_year(planner)
    planner.start(2026)
    excluded = {code: item["exclusion_rule"] for code, item in planner.items().items() if item["excluded"]}
    assert excluded == {"shanxian": "R3.1b", "yingji": "R3.1b", "chengwu": "R3.1c", "jiaotong": "R3.1c"}
    # the diagram evaluates the edited table too: 市应急管理局 now needs a reason
    planner.draft(plan_items(planner, yingji={"include": True}))
    assert planner.data()["plan_problems"][0].startswith("市应急管理局")


# ---------------------------------------------------------------------------- leave (D6)
def leave_for(desk, username):
    instance_id = desk.start("office", "单县")
    desk.complete("office", "制定巡查工作方案", SAMPLES["work_plan.json"], instance_id)
    desk.complete("office", "拟定巡查组名单", {"members": ROSTER}, instance_id)
    actor = desk.actor("office")
    with unit_of_work(desk.services) as uow:
        leave_id = leave.request_leave(uow, actor, instance_id)
    name = next(m["name"] for m in ROSTER if m["username"] == username) if username in {
        m["username"] for m in ROSTER} else "外人"
    desk.complete("office", "登记请假申请", SAMPLES["leave_request.json"] | {
        "leave_username": username, "leave_name": name}, leave_id)
    return leave_id


@pytest.mark.parametrize("username", ["team_leader", "team_deputy"])
def test_only_the_main_leader_approves_the_leaders_and_the_deputys_leave(desk, username):
    leave_id = leave_for(desk, username)
    task = desk.task("director", "审批请假申请", leave_id)
    assert task["role"] == "commission_director"
    assert [t for t in desk.inbox("deputy") if t["instance_id"] == leave_id] == []
    actor = desk.actor("deputy")            # a deputy director: 领导同志, not 主要领导同志
    with pytest.raises(Forbidden):
        with unit_of_work(desk.services) as uow:
            tasks.complete_task(uow, actor, task["id"], {"leave_decision": "approve"})
    desk.complete("director", "审批请假申请", {"leave_decision": "approve"}, leave_id)
    assert desk.instance(leave_id)["data"]["leave_status"] == "已批准"
    assert desk.instance(leave_id)["state"] == "completed"


def test_a_members_leave_goes_to_the_team_leader(desk):
    leave_id = leave_for(desk, "team_member2")
    assert desk.task("team_leader", "审批请假申请", leave_id)["role"] == "team_leader"
    assert [t for t in desk.inbox("director") if t["instance_id"] == leave_id] == []
    with pytest.raises(InvalidInput):
        desk.complete("team_leader", "审批请假申请", {"leave_decision": "refuse"}, leave_id)
    desk.complete("team_leader", "审批请假申请", {"leave_decision": "refuse",
                                                 "leave_comment": "现场巡查关键阶段"}, leave_id)
    assert desk.instance(leave_id)["data"]["leave_status"] == "未批准"


def test_leave_is_for_members_of_the_roster_only(desk):
    with pytest.raises(InvalidInput) as error:
        leave_for(desk, "someone_else")
    assert error.value.fields == {"leave_username": "请假人不在本巡查组名单中"}


def test_target_liaisons_do_not_see_leave_requests(desk):
    leave_id = leave_for(desk, "team_member2")
    liaison = desk.actor("target_shanxian")
    with unit_of_work(desk.services) as uow:
        _total, rows = instances.list_instances(uow, liaison)
    assert leave_id not in {r["id"] for r in rows}


# ---------------------------------------------------------------------------- pages
def test_the_plan_pages_render_the_candidates_and_their_exclusions(app, planner):
    from tests.integration.web_client import Web, text
    register_the_year(planner)
    planner.start(2026)
    office = Web(app, "office")
    page = office.get(f"/tasks/{planner.desk.task('office', '拟定年度巡查计划')['id']}")
    assert "拟定年度巡查计划" in text(page) and "本两年周期尚未巡查的县区 曹县" in text(page)
    assert "当年度已被国务院安委会或省政府安委会延伸巡查的县区，原则上不再安排全面巡查（R3.1b）" in page
    assert "年度巡查计划：2026年" in text(office.get(f"/instances/{planner.plan_id}"))
    planner.draft(plan_items(planner))
    approval = text(Web(app, "deputy").get(f"/tasks/{planner.desk.task('deputy', '审批年度巡查计划')['id']}"))
    assert "批准例外列入" in approval
