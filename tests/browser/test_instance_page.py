"""The instance page in a real browser: bpmn-js draws the instance's diagrams with the done and
active markers the server computed, without console errors."""
from .conftest import log_in
from .drive import Inspection


def marked(page, figure, marker):
    return sorted(page.eval_on_selector_all(
        f"{figure} svg g.djs-element.{marker}", "els => els.map(e => e.dataset.elementId)"))


def test_instance_page_marks_completed_and_active_elements(page, console, live_server, desk,
                                                           bpmn_assets):
    case = Inspection(desk).prepare().enter()
    case.do("team_member1", "登记巡查工作记录")
    log_in(page, live_server, "office")
    page.goto(f"{live_server.url}/instances/{case.id}")
    page.wait_for_selector("#diagram-main[data-state=ready]")
    page.wait_for_selector("#diagram-stage[data-state=ready]")

    assert {"call_preparation", "call_entry"} <= set(marked(page, "#diagram-main", "done"))
    assert marked(page, "#diagram-main", "active") == ["call_implementation"]
    # The stage diagram shown is that of the open task: fieldwork, with the hotline waiting.
    assert page.get_attribute("#diagram-stage", "data-process") == "inspection_implementation"
    assert "record_work" in marked(page, "#diagram-stage", "done")
    assert {"review_fieldwork", "receive_public_report"} <= set(
        marked(page, "#diagram-stage", "active"))
    # Shapes are drawn (not only the markers' groups) and the page shows the timeline in Chinese.
    assert page.locator("#diagram-main svg rect").count() > 5
    assert "发起巡查" in page.inner_text("#timeline")

    page.click(".stage-tabs a:has-text(\"巡查准备\")")
    page.wait_for_selector("#diagram-stage[data-process=inspection_preparation][data-state=ready]")
    assert {"draft_work_plan", "approve_team_roster", "sign_notice"} <= set(
        marked(page, "#diagram-stage", "done"))
    assert marked(page, "#diagram-stage", "active") == []
    console.check()


def test_office_suspends_and_resumes_from_the_page(page, console, live_server, desk, bpmn_assets):
    case = Inspection(desk)
    log_in(page, live_server, "office")
    page.goto(f"{live_server.url}/instances/{case.id}")
    page.click("button[value=suspend]")
    page.wait_for_selector("#instance-state:has-text('已暂停')")
    assert "巡查已暂停" in page.inner_text(".flashes")
    assert desk.instance(case.id)["state"] == "suspended"
    page.click("button[value=resume]")
    page.wait_for_selector("#instance-state:has-text('进行中')")
    assert desk.instance(case.id)["state"] == "running"
    console.check()
