"""The process owners' editor in a real browser: the report deadline changed from 15 to 10
working days in the side panel, saved, the R3.3.4 scenarios fail in the gate, deployed with an
override reason; an inspection started before keeps 15 working days, one started after gets
10. A save with a problem shows it in the list and pinned to its element on the diagram.

The gate runs the R3.3.4 scenarios only (GATE_TAGS), to keep the test short."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.web_client import Api

from .conftest import log_in
from .drive import Inspection
from .test_editor_tables_forms import INFERNO, TABLE, dmn_assets, new_draft, open_table  # noqa: F401

REPORT = "processes/inspection_report.bpmn"


@pytest.fixture
def owner_desk(live_app, desk):
    live_app.config["GATE_TAGS"] = "R3.3.4"
    desk.add_user("owner", "process_owner")
    return desk


def open_draft(page, server, name):
    new_draft(page, server, name)
    page.select_option("#file-select", REPORT)
    page.wait_for_selector("#editor[data-state=ready] [data-element-id=submit_report]")


def select_element(page, element_id):
    page.click(f"#canvas [data-element-id={element_id}]", force=True)
    page.wait_for_selector(f"#panel-body code:has-text('{element_id}')")


def test_owner_shortens_the_report_deadline_and_deploys_over_the_gate(page, console, live_server,
                                                                      owner_desk, bpmn_assets):
    before = Inspection(owner_desk).prepare().enter()
    open_draft(page, live_server, "报告期限改为10个工作日")
    select_element(page, "report_deadline")
    expect(page.locator("#timer-amount")).to_have_value("15")
    expect(page.locator("#timer-field")).to_have_value("fieldwork_end")
    page.fill("#timer-amount", "10")
    page.press("#timer-amount", "Tab")
    expect(page.locator("#timer-expression")).to_have_value(
        "end_of_day(add_working_days(fieldwork_end, 10))")
    page.wait_for_function("document.activeElement.id === 'timer-unit'")   # Tab went on
    page.click("#undo")                                  # the panel shows the value undone
    expect(page.locator("#timer-amount")).to_have_value("15")
    expect(page.locator("#timer-expression")).to_have_value(
        "end_of_day(add_working_days(fieldwork_end, 15))")
    expect(page.locator("#undo")).to_be_disabled()
    expect(page.locator("#redo")).to_be_enabled()
    select_element(page, "report_deadline")              # still selected when clicked again
    expect(page.locator("#timer-amount")).to_have_value("15")
    page.click("#redo")
    expect(page.locator("#timer-amount")).to_have_value("10")
    expect(page.locator("#undo")).to_be_enabled()
    expect(page.locator("#redo")).to_be_disabled()
    page.click("#save")
    page.wait_for_selector("#editor[data-revision='2']")
    assert "校验通过" in page.inner_text("#status")
    api = Api(live_server.app).as_("owner")
    saved = api.get("/api/drafts").get_json()["drafts"][0]
    xml = api.get(f"/api/drafts/{saved['id']}").get_json()["files"][REPORT]
    assert "end_of_day(add_working_days(fieldwork_end, 10))" in xml
    assert "end_of_day(add_working_days(fieldwork_end, 12))" in xml     # the reminder unchanged

    page.click("#deploy-link")
    page.click("#run-gate")
    page.wait_for_selector("#deploy[data-gate-state=failed]", timeout=180_000)
    assert "failed" in page.get_attribute("#gate-clauses tr[data-clause='R3.3.4']", "class")
    assert page.is_visible("#override_reason")
    page.fill("#note", "报告期限改为10个工作日")
    page.fill("#regulation_ref", "巡查工作制度第三条（修订）")
    console.allow(r"status of 422 .*/deploy")           # the refused deploy without a reason
    page.click("#deploy-button")
    page.wait_for_selector("#override_reason-error:has-text('须填写理由')")
    page.fill("#override_reason", "市安委会决定试行10个工作日")
    page.click("#deploy-button")
    page.wait_for_url("**/editor/versions?deployed=2")
    row = page.inner_text("#version-2")
    assert "当前" in row and "市安委会决定试行10个工作日" in row and "未通过" in row

    after = Inspection(owner_desk).prepare().enter()
    before.implement()
    after.implement()                                    # both end fieldwork on 2025-09-26
    assert due_of(api, before) == deadline(api, 15)
    assert due_of(api, after) == deadline(api, 10)


def due_of(api, case):
    found = api.get(f"/api/instances/{case.id}").get_json()
    return [t["due_at"] for t in found["timers"] if t["element"] == "report_deadline"][0]


def deadline(api, working_days):
    last = api.get(f"/api/calendar/deadline?start=2025-09-26&working_days={working_days}").get_json()
    return (date.fromisoformat(last["due"]) + timedelta(days=1)).isoformat() + "T00:00:00+08:00"


def test_a_problem_is_listed_and_pinned_to_its_element(page, console, live_server, owner_desk,
                                                         bpmn_assets):
    open_draft(page, live_server, "表单检查")
    select_element(page, "submit_report")
    expect(page.locator("#prop-form")).to_have_value("report_submit.json")
    page.select_option("#prop-form", "")
    page.click("#save")
    page.wait_for_selector("#editor[data-revision='2']")
    assert "未指定表单" in page.inner_text("#problems li[data-element=submit_report]")
    assert page.locator("#canvas [data-element-id=submit_report].has-problem").count() == 1
    assert "未指定表单" in page.inner_text(".problem-overlay[data-element=submit_report]")


def test_undo_selects_the_element_it_changes_and_shows_the_value_back(page, console, live_server,
                                                                       owner_desk, bpmn_assets):
    open_draft(page, live_server, "撤销")
    select_element(page, "submit_report")
    page.fill("#prop-name", "提交巡查报告")
    page.press("#prop-name", "Enter")
    page.wait_for_selector("#panel-body .panel-element:has-text('提交巡查报告')")
    page.wait_for_function("document.activeElement.id === 'prop-name'")   # typing goes on
    select_element(page, "report_deadline")              # another element, then undo
    page.click("#undo")
    page.wait_for_selector("#panel-body code:has-text('submit_report')")
    expect(page.locator("#prop-name")).to_have_value("提交巡查工作报告")
    assert selected(page) == ["submit_report"]
    page.click("#canvas [data-element-id=submit_report]", force=True)
    assert selected(page) == ["submit_report"]           # a click does not toggle it off
    expect(page.locator("#prop-name")).to_have_value("提交巡查工作报告")
    page.click("#redo")
    expect(page.locator("#prop-name")).to_have_value("提交巡查报告")
    page.wait_for_function("document.activeElement.id === 'undo'")      # not lost on the body


def selected(page):
    return page.eval_on_selector_all("#canvas g.djs-element.selected",
                                     "els => els.map(e => e.dataset.elementId)")


def test_the_diff_of_two_versions_marks_the_changed_timer(page, console, live_server, owner_desk,
                                                          bpmn_assets):
    from server.services.context import SYSTEM, unit_of_work
    from server.services.versions import deploy_version, version_files
    with unit_of_work(owner_desk.services) as uow:
        files = version_files(uow, 1)
        files[REPORT] = files[REPORT].replace(b"fieldwork_end, 15", b"fieldwork_end, 10")
        deploy_version(uow, SYSTEM, files, note="报告期限改为10个工作日")
    log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/editor/versions")
    page.click("button:has-text('查看差异')")               # newest against the one before
    page.wait_for_selector("#diff-old[data-state=ready]")
    page.wait_for_selector("#diff-new[data-state=ready]")
    for figure in ("#diff-old", "#diff-new"):
        changed = page.eval_on_selector_all(f"{figure} g.djs-element.diff-changed",
                                            "els => els.map(e => e.dataset.elementId)")
        assert changed == ["report_deadline"]
    assert "report_deadline" in page.inner_text("#changed-elements")


HIT_POLICIES = ["唯一", "首条", "优先", "任意", "汇总", "汇总（求和）", "汇总（最小值）",
                "汇总（最大值）", "汇总（计数）", "规则顺序", "输出顺序"]


def test_the_decision_table_editor_names_hit_policies_in_chinese(page, console, live_server,
                                                                 owner_desk, dmn_assets):
    console.allow(INFERNO)
    new_draft(page, live_server, "命中策略")
    open_table(page, TABLE)
    policy = page.locator(".hit-policy")
    assert policy.inner_text().split() == ["命中策略：", "唯一"]
    assert policy.get_attribute("title") == "规则互不重叠，只能命中一条规则"
    page.click(".hit-policy .dms-input")
    options = page.locator(".dms-select-options .option, .options .option")
    options.first.wait_for()
    assert options.all_inner_texts() == HIT_POLICIES


def test_a_draft_changed_and_changed_back_passes_the_gate_without_an_override(
        page, console, live_server, owner_desk, bpmn_assets):
    open_draft(page, live_server, "改了又改回")
    select_element(page, "report_deadline")
    for amount, revision in (("10", 2), ("15", 3)):
        page.fill("#timer-amount", amount)
        page.press("#timer-amount", "Tab")
        page.click("#save")
        page.wait_for_selector(f"#editor[data-revision='{revision}']")
    page.click("#deploy-link")
    page.click("#run-gate")
    page.wait_for_selector("#deploy[data-gate-state=passed]", timeout=180_000)
    assert "passed" in page.get_attribute("#gate-clauses tr[data-clause='R3.3.4']", "class")
    assert not page.is_visible("#override_reason")       # nothing to override
    page.fill("#note", "核对报告期限（未改变）")
    page.fill("#regulation_ref", "巡查工作制度第三条")
    page.click("#deploy-button")
    page.wait_for_url("**/editor/versions?deployed=*")
    api = Api(live_server.app).as_("owner")
    active = [v for v in api.get("/api/versions").get_json()["versions"] if v["active"]]
    assert len(active) == 1 and not active[0].get("override_reason")
    case = Inspection(owner_desk).prepare().enter().implement()
    assert due_of(api, case) == deadline(api, 15)
