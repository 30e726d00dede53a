"""The office dashboard: inspections by status, overdue work, and two-year coverage (R3.1a)."""
import html

from tests.integration.web_client import Web, text


def test_the_office_sees_coverage_and_work_at_a_glance(app, desk):
    desk.start("office", "单县")
    page = text(Web(app, "office").get("/dashboard"))
    assert "巡查情况" in page and "1 进行中" in page
    assert "两年全覆盖（2024—2025年，R3.1a）" in page
    assert "已覆盖 0 / 9 个县区" in page and "单县 尚未巡查" in page


def test_a_liaison_may_not_see_the_dashboard(app, desk):
    Web(app, "shanxian").get("/dashboard", status=403)


def chart(page, chart_id):
    """The SVG of one chart: its aria-label and its visible texts."""
    import re
    figure = re.search(r'<figure[^>]*id="' + chart_id + r'".*?</figure>', page, flags=re.S).group(0)
    label = re.search(r'<svg[^>]*aria-label="([^"]*)"', figure).group(1)
    assert "<title>" in figure and 'role="img"' in figure
    shown = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", figure))
    return html.unescape(label), html.unescape(shown)


def test_the_charts_show_inspections_by_stage_and_open_work(app):
    from tests.browser.drive import Inspection, staff_desk
    staff = staff_desk(app)
    Inspection(staff).prepare()
    Inspection(staff, "曹县")
    Inspection(staff, "东明县")
    page = Web(app, "office").get("/dashboard")
    label, shown = chart(page, "chart-by-stage")
    assert label.startswith("各阶段巡查数：准备：2；进驻：1；实施：0")
    assert "准备 2" in shown and "进驻 1" in shown and "已办结 0" in shown
    label, shown = chart(page, "chart-work")
    assert "准备：2" in label and "进驻：1" in label
    label, shown = chart(page, "chart-coverage")
    assert "已覆盖 0 / 9 个县区" in label and "单县：尚未巡查" in label
    assert "单县 尚未巡查" in shown
    assert 'id="interview-count">0<' in page


def test_overdue_work_is_stacked_and_interviews_are_counted(app):
    from tests.browser.drive import Inspection, staff_desk
    staff = staff_desk(app)
    inspection = Inspection(staff).prepare().enter().implement()
    staff.set_clock("2025-10-25T09:00:00+08:00")     # the report was due on 23 October
    page = Web(app, "office").get("/dashboard")
    label, shown = chart(page, "chart-work")
    assert "报告：2（逾期 1）" in label and "报告 2（逾期 1）" in shown
    inspection.report().do("office", "督办逾期巡查报告")
    staff.set_clock("2025-11-03T09:00:00+08:00")
    inspection.do("team_leader", "印发反馈意见书")
    inspection.do("shanxian", "签收反馈意见书", feedback_received_date="2025-10-31")
    staff.set_clock("2026-01-05T09:00:00+08:00")     # rectification overdue: an interview (R3.3.5b)
    page = Web(app, "office").get("/dashboard")
    assert 'id="interview-count">1<' in page
    label, _shown = chart(page, "chart-interviews")
    assert label == "各单位约谈次数：单县：1"
