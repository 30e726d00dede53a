"""The planning rules as decision tables (processes/*.dmn), evaluated as the engine evaluates them:
the exclusion rule (R3.1b, R3.1c, D4), who approves leave (R4.2.3, D6), where a clue goes
(R3.3.5a, R4.3, D10) and what counts for two-year coverage (R3.1a, D3); then the diagrams that
call them, walked in memory, and a table edit that changes a diagram's routing."""
import pytest

from server.engine import runtime
from server.engine.bundle import load_bundle
from server.engine.decisions import decide
from server.engine.projection import current_data, project
from server.engine.serialization import dump_state, load_state
from server.services.samples import ROSTER, SAMPLES
from server.services.versions import read_source_tree
from walk import ROOT, Clock, form_errors, implement, make_engine, product_bundle, to_fieldwork

ENGINE = make_engine(Clock())


@pytest.fixture(scope="module")
def bundle():
    return product_bundle()


def table(bundle, decision_id, **data):
    return decide(bundle.decisions[decision_id], data, ENGINE)


# ---------------------------------------------------------------------------- plan_exclusion
def exclusion(bundle, year=2026, type="full", kind="county", external=(), specials=()):
    item = {"type": type, "kind": kind, "special_onsite_starts": list(specials),
            "external_inspections": [{"body": body, "year": y, "joint_with_city": False}
                                     for body, y in external]}
    answer = table(bundle, "plan_exclusion", item=item, plan_year=year)["exclusion"]
    return answer["exclusion_rule"] if answer["excluded"] else None


@pytest.mark.parametrize("case, expected", [
    (dict(), None),
    (dict(external=[("province", 2026)]), "R3.1b"),
    (dict(external=[("state_council", 2026)]), "R3.1b"),
    (dict(external=[("province", 2025)]), None),                           # last year's
    (dict(kind="department", external=[("province", 2026)]), None),        # R3.1b: counties only
    (dict(specials=["2026-03-10"]), "R3.1c"),
    (dict(kind="department", specials=["2026-03-10"]), "R3.1c"),           # R3.1c: departments too
    (dict(specials=["2025-12-20"]), None),                                 # D4: December does not carry over
    (dict(year=2025, specials=["2025-12-20"]), "R3.1c"),
    (dict(specials=["2024-05-01", "2026-01-05"]), "R3.1c"),
    (dict(external=[("province", 2026)], specials=["2026-03-10"]), "R3.1b"),   # first rule wins
    (dict(type="special", external=[("province", 2026)], specials=["2026-03-10"]), None),
    (dict(type="special", kind="department", specials=["2026-03-10"]), None),
])
def test_exclusion_rule(bundle, case, expected):
    assert exclusion(bundle, **case) == expected


def test_exclusion_reasons_cite_the_clause_in_chinese(bundle):
    answer = table(bundle, "plan_exclusion", plan_year=2026, item={
        "type": "full", "kind": "county", "external_inspections": [{"year": 2026}]})
    assert answer["exclusion"]["exclusion_reason"] == \
        "当年度已被国务院安委会或省政府安委会延伸巡查的县区，原则上不再安排全面巡查（R3.1b）"
    answer = table(bundle, "plan_exclusion", plan_year=2026, item={"type": "full", "kind": "county"})
    assert answer["exclusion"] == {"excluded": False, "exclusion_rule": "", "exclusion_reason": ""}


# ---------------------------------------------------------------------------- leave_approver
@pytest.mark.parametrize("username, approver", [
    ("team_leader", "commission_director"), ("team_deputy", "commission_director"),
    ("team_member1", "team_leader"), ("expert1", "team_leader")])
def test_leave_approver(bundle, username, approver):
    answer = table(bundle, "leave_approver", members=ROSTER, leave_username=username)
    assert answer["ok"] is True and answer["approver_role"] == approver


def test_leave_of_someone_not_on_the_roster_is_refused_by_the_form(bundle):
    answer = table(bundle, "leave_approver", members=ROSTER, leave_username="stranger")
    assert answer["ok"] is False
    form = bundle.forms["leave_request.json"]
    fields = SAMPLES["leave_request.json"] | {"leave_username": "stranger", "members": ROSTER}
    assert form_errors(bundle, form, fields) == {"leave_username": "请假人不在本巡查组名单中"}
    assert form_errors(bundle, form, fields | {"leave_username": "team_deputy"}) == {}


# ---------------------------------------------------------------------------- clue_routing
@pytest.mark.parametrize("category, route", [
    ("official_misconduct", {"channel": "discipline", "organisation": "", "receiver": "市纪委监委"}),
    ("enterprise_illegal", {"channel": "organisation", "organisation": "yingji", "receiver": "有关部门或县区"}),
    ("supervision_failure", {"channel": "organisation", "organisation": "yingji", "receiver": "有关部门或县区"}),
    ("other", {"channel": "organisation", "organisation": "yingji", "receiver": "有关部门或县区"})])
def test_clue_routing(bundle, category, route):
    clue = {"category": category, "transfer_org": "yingji", "description": "线索"}
    assert table(bundle, "clue_routing", clue=clue)["route"] == route


# ---------------------------------------------------------------------------- coverage_counts
@pytest.mark.parametrize("record, counts", [
    (dict(source="city", inspection_type="full", joint_with_city=True), True),
    (dict(source="city", inspection_type="special", joint_with_city=True), True),
    (dict(source="external", inspection_type=None, joint_with_city=True), True),
    (dict(source="external", inspection_type=None, joint_with_city=False), False)])
def test_coverage_counts(bundle, record, counts):
    assert table(bundle, "coverage_counts", **record)["counts"] is counts


# ---------------------------------------------------------------------------- the diagrams
FACTS = {
    "shanxian": {"target_name": "单县", "kind": "county", "special_onsite_starts": [],
                 "external_inspections": [{"body": "province", "year": 2026, "joint_with_city": False}]},
    "caoxian": {"target_name": "曹县", "kind": "county", "external_inspections": [],
                "special_onsite_starts": ["2025-12-20"]},
    "yingji": {"target_name": "市应急管理局", "kind": "department", "special_onsite_starts": [],
               "external_inspections": [{"body": "province", "year": 2026, "joint_with_city": False}]},
}


def test_annual_plan_walk(bundle):
    workflow = runtime.start(bundle, "annual_plan", {
        "plan_year": 2026, "target_facts": FACTS, "candidate_targets": list(FACTS),
        "plan_items": [], "plan_problems": []}, ENGINE)

    def open_task():
        [task] = project(bundle, workflow).open_tasks
        return task

    items = [{"target": code, "type": "full", "include": True} for code in FACTS]
    assert open_task().name == "拟定年度巡查计划"
    runtime.complete(bundle, workflow, open_task().id, {"plan_items": items})
    data = current_data(workflow)
    assert open_task().name == "拟定年度巡查计划" and data["missing_reasons"] == ["单县"]
    assert [(i["target"], i["excluded"]) for i in data["plan_items"]] == \
        [("shanxian", True), ("caoxian", False), ("yingji", False)]
    items[0]["include_reason"] = "省级延伸巡查仅涉及危化品领域"
    runtime.complete(bundle, workflow, open_task().id, {"plan_items": items})
    assert open_task().name == "审批年度巡查计划" and open_task().role == "commission_leader"
    workflow = load_state(dump_state(workflow), *bundle.spec_for("annual_plan"), ENGINE)
    with pytest.raises(runtime.InvalidTaskData):
        runtime.complete(bundle, workflow, open_task().id, {"decision": "approve"})
    runtime.complete(bundle, workflow, open_task().id, {"decision": "approve", "overrides_approved": True})
    assert workflow.completed
    assert [i["target"] for i in workflow.data["approved_items"]] == ["shanxian", "caoxian", "yingji"]
    assert workflow.data["plan_status"] == "已批准"


CLUES = [{"category": "official_misconduct", "description": "某局干部失职"},
         {"category": "supervision_failure", "description": "监管缺位", "transfer_org": "yingji"},
         {"category": "enterprise_illegal", "description": "无证经营", "transfer_org": "shanxian"}]


def clue_receivers(bundle, clues):
    """Who gets a clue-receipt task after the team leader transfers `clues`."""
    w = to_fieldwork(bundle)
    implement(w, clues=clues)
    w.complete("分类移交问题线索", clues=clues, clue_transfer_date="2025-09-29")
    return sorted(((t.role, t.organisation) for t in w.open("签收移交线索")), key=str)


def test_clues_go_where_the_routing_table_says(bundle):
    assert clue_receivers(bundle, CLUES) == [("discipline", "shanxian"), ("target", "shanxian"),
                                             ("target", "yingji")]
    assert clue_receivers(bundle, CLUES[:1]) == [("discipline", "shanxian")]
    assert clue_receivers(bundle, CLUES[1:]) == [("target", "shanxian"), ("target", "yingji")]


def test_changing_the_routing_table_changes_the_routing_without_code_changes():
    """The process owner sends supervision failures to 市纪委监委 as well."""
    files = read_source_tree(ROOT)
    text = files["processes/clue_routing.dmn"].decode()
    edited = text.replace('<text>"official_misconduct"</text>',
                          '<text>in ("official_misconduct", "supervision_failure")</text>')
    assert edited != text
    bundle = load_bundle({**files, "processes/clue_routing.dmn": edited.encode()})
    assert clue_receivers(bundle, CLUES) == [("discipline", "shanxian"), ("target", "shanxian")]
