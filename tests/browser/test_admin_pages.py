"""Accounts in a real browser: the administrator creates a liaison and resets the password; the
liaison signs in with the temporary password and must choose a new one before anything else.
The office sees the dashboard's charts (screenshots at a laptop's and a phone's width)."""
from .conftest import ARTIFACTS, log_in
from .drive import Inspection


def temporary_password(page):
    return page.inner_text("#temporary-password").strip()


def test_admin_creates_a_user_resets_the_password_and_the_user_must_change_it(
        page, console, live_server, desk):
    console.allow(r"status of 4(01|22)")        # the refused sign-in and form, expected
    log_in(page, live_server, "admin")
    page.click("nav.nav >> text=管理")
    page.click("text=新建用户")
    page.fill("#f-username", "dongming_ll")
    page.fill("#f-display_name", "刘丽")
    page.check("input[name=roles][value=target]")
    page.select_option("#f-organisation", label="东明县")
    page.fill("#f-email", "liuli@dongming.gov.cn")
    page.click("button:has-text('创建用户')")
    first = temporary_password(page)
    assert len(first) == 12

    page.click("text=返回用户列表")
    row = page.locator("#user-dongming_ll")
    assert "东明县" in row.inner_text() and "待改密" in row.inner_text()
    row.locator("button:has-text('重置密码')").click()
    second = temporary_password(page)
    assert second != first and "已重置 dongming_ll 的密码" in page.inner_text("h1")

    page.click("button:has-text('退出登录')")
    log_in(page, live_server, "dongming_ll", first)
    assert "用户名或密码错误" in page.inner_text("main")
    log_in(page, live_server, "dongming_ll", second)
    assert page.url.endswith("/account/password")
    assert "管理员已重置您的密码" in page.inner_text("main")
    page.goto(f"{live_server.url}/tasks")
    assert page.url.endswith("/account/password")      # nothing else until it is changed

    page.fill("#f-current", second)
    page.fill("#f-new", "short")
    page.fill("#f-repeat", "short")
    page.click("button:has-text('保存新密码')")
    assert page.inner_text("#e-new") == "新密码至少8位"
    page.fill("#f-current", second)
    page.fill("#f-new", "dongming-2025")
    page.fill("#f-repeat", "dongming-2025")
    page.click("button:has-text('保存新密码')")
    assert "密码已修改" in page.inner_text("main")
    page.goto(f"{live_server.url}/tasks")
    assert page.url.endswith("/tasks")
    console.check()


def test_the_office_sees_the_dashboard_charts(page, console, live_server, desk):
    Inspection(desk).prepare().enter()
    Inspection(desk, "曹县")
    log_in(page, live_server, "office")
    page.click("nav.nav >> text=总览")
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3               # by stage, open work, coverage (no interviews yet)
    by_stage = page.locator("#chart-by-stage svg")
    assert by_stage.get_attribute("aria-label").startswith("各阶段巡查数：准备：1；进驻：0；实施：1")
    assert page.locator("#chart-by-stage").bounding_box()["width"] > 300
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-charts.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.locator("#chart-coverage").bounding_box()
    assert box["width"] <= 390                 # the charts fit a phone's width
    page.screenshot(path=str(ARTIFACTS / "dashboard-charts-phone.png"), full_page=True)
    console.check()
