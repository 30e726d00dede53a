"""A compliance reviewer in a real browser: runs the report clause's scenarios (R3.3.4) against
the deployed version and sees them pass with the diagrams' coverage drawn, then uploads a draft
of the report stage with the deadline at 20 working days instead of 15 and sees the clause fail
with the failing step in words. Screenshots go to test-artifacts/."""
from tests.integration.test_scenario_runs import LATE_STEP, late_report

from .conftest import ARTIFACTS, log_in

RUN_SECONDS = 180


def finished(page):
    """Wait for the run page to reload with its verdict (the progress bar polls the API)."""
    page.wait_for_selector("#verdict", timeout=RUN_SECONDS * 1000)
    return page.inner_text("#verdict")


def snapshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reviewer_{name}.png"), full_page=True)


def test_reviewer_runs_the_deployed_version_then_a_draft_with_a_late_report_deadline(
        page, console, live_server, desk, bpmn_assets):
    desk.add_user("reviewer", "reviewer")
    log_in(page, live_server, "reviewer")
    page.click("nav >> text=审查")
    page.wait_for_selector("h1:has-text('合规审查')")
    assert "未运行" in page.inner_text("#versions tr[data-version='1']")

    page.fill("#version-tags", "R3.3.4")
    page.click("#versions tr[data-version='1'] button:has-text('运行场景')")
    page.wait_for_selector("#run-progress")          # queued or running: the bar is shown
    snapshot(page, "1_progress")
    assert "全部通过" in finished(page)
    report = page.inner_text("#clauses tr[data-clause='R3.3.4']")
    assert "通过" in report and "未通过" not in report.split("\n")[0]
    page.wait_for_selector(".review-diagram[data-state=ready]")
    report_diagram = ".review-diagram[data-file='processes/inspection_report.bpmn']"
    page.wait_for_selector(f"{report_diagram}[data-state=ready]")
    assert page.locator(f"{report_diagram} g.djs-element.covered").count() > 10
    assert page.locator(".review-diagram g.djs-element.uncovered").count() > 0
    assert "R3.3.4" in page.inner_text("#register")
    snapshot(page, "2_deployed_passed")

    page.click("text=← 合规审查")
    assert "全部通过" in page.inner_text("#versions tr[data-version='1']")
    page.set_input_files("#draft-files", files=[{
        "name": "inspection_report.bpmn", "mimeType": "application/xml",
        "buffer": late_report().encode("utf-8")}])
    page.fill("#draft-tags", "R3.3.4")
    page.fill("#draft-label", "报告期限改为20个工作日")
    page.click("button:has-text('运行草稿场景')")
    assert "未全部通过" in finished(page)
    clause = page.inner_text("#clauses tr[data-clause='R3.3.4']")
    assert "未通过" in clause
    assert f"失败步骤：{LATE_STEP}" in clause
    assert "办理期限为2025年10月30日，不是2025年10月23日" in clause
    page.wait_for_selector(f"{report_diagram}[data-state=ready]")
    snapshot(page, "3_draft_failed")

    page.click("text=第 1 版的运行记录")
    history = page.inner_text("#runs")
    assert "未通过" in history and "全部通过" in history and "R3.3.4" in history
    console.check()
