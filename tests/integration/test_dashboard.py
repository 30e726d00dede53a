"""The office dashboard: inspections by status, overdue work, and two-year coverage (R3.1a)."""
from tests.integration.web_client import Web, text


def test_the_office_sees_coverage_and_work_at_a_glance(app, desk):
    desk.start("office", "单县")
    page = text(Web(app, "office").get("/dashboard"))
    assert "巡查情况" in page and "1 进行中" in page
    assert "两年全覆盖（2024—2025年，R3.1a）" in page
    assert "已覆盖 0 / 9 个县区" in page and "单县 尚未巡查" in page


def test_a_liaison_may_not_see_the_dashboard(app, desk):
    Web(app, "shanxian").get("/dashboard", status=403)
