"""The public pages in a real browser: the announcement with its report form (a report reaches
the team leader; one beyond the limit is refused), and results shown only once published."""
from .drive import Inspection


def test_announcement_and_report_form(page, console, live_server, live_app, desk):
    case = Inspection(desk).prepare().enter()
    live_app.config["PUBLIC_REPORTS_PER_IP"] = 1
    page.goto(f"{live_server.url}/public/")
    page.click(f"a[href='/public/inspections/{case.id}']")
    assert page.inner_text("#announcement-hotline") == "0530-5310000"
    assert page.inner_text("#announcement-mailbox") == "xuncha@heze.gov.cn"
    assert "进驻单县" in page.inner_text("#announcement-announcement_content")

    page.fill("#report_subject", "某化工企业")
    page.fill("#report_content", "夜间违规生产，未落实安全措施")
    page.fill("#reporter_name", "李四")
    page.fill("#reporter_contact", "13800000000")
    page.click("button[type=submit]")
    assert "感谢您的举报" in page.inner_text("#report-result")
    assert [t["name"] for t in desk.inbox("team_leader")] == ["处理群众举报"]

    console.allow(r"status of 429")          # the refused report's answer, expected
    page.fill("#report_subject", "再次举报")
    page.fill("#report_content", "同一地址的第二次举报")
    page.click("button[type=submit]")
    assert "提交过于频繁" in page.inner_text("#report-result")
    assert [t["name"] for t in desk.inbox("team_leader")] == ["处理群众举报"]
    console.check()


def test_results_are_public_only_after_approval_and_publication(page, console, live_server, desk):
    case = Inspection(desk).to_disclosure().draft_results()
    console.allow(r"status of 404")          # the result page answers 404 until published

    def listed():
        page.goto(f"{live_server.url}/public/results")
        return page.locator(f"a[href='/public/results/{case.id}']").count() == 1

    def detail_status():
        return page.goto(f"{live_server.url}/public/results/{case.id}").status

    assert not listed() and detail_status() == 404
    case.approve_results()
    assert not listed() and detail_status() == 404
    case.publish_results()
    assert listed()
    page.click(f"a[href='/public/results/{case.id}']")
    assert page.inner_text("#result-public_summary") == "公布摘要"
    assert page.inner_text("#result-published_date") == "2026-03-20"
    assert "巡查结果" not in page.inner_text("#result-public_summary")   # no internal draft
    console.check()
