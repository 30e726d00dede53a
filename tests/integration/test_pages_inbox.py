"""The inbox page (待办): due dates as last days with working days left, 逾期 / 暂定 flags,
filters, the header's count badge, claim / unclaim / reassign through CSRF-protected forms,
notifications of reminders and deadlines, the completed tab."""
import re

import pytest

from server.services.context import unit_of_work
from tests.integration.web_client import Web, element, text


def start(desk, target="单县", fieldwork_end="2025-09-26"):
    """A mini inspection whose report (team leader) is due 15 working days after fieldwork."""
    instance_id = desk.start("office", target, process="mini")
    desk.complete("office", "确认巡查结束", {
        "fieldwork_end": fieldwork_end, "members": [{"username": "leader", "role": "leader"}]},
        instance_id)
    return instance_id


def row_of(page, task_id):
    found = re.search(r'<tr id="task-' + task_id + r'">(.*?)</tr>', page, flags=re.S)
    assert found, f"task {task_id} not listed"
    return text(found.group(1))


def test_inbox_shows_due_dates_working_days_left_and_the_count_badge(mini_app, mini_desk):
    start(mini_desk)
    task = mini_desk.task("leader", "提交巡查工作报告")
    page = Web(mini_app, "leader").get("/tasks")
    row = row_of(page, task["id"])
    # Due 2025-10-24T00:00+08:00 is the end of its last day, 2025-10-23 (R3.3.4, clauses.md D1);
    # from 2025-09-01: 22 working days left in September (28 Sep is a 调休 working day) and
    # 12 in October after the National Day holiday (11 Oct is a working Saturday).
    assert "提交巡查工作报告" in row and "巡查报告：单县" in row and "报告" in row
    assert "2025-10-23" in row and "剩 34 个工作日" in row
    assert "逾期" not in row and "暂定" not in row
    with unit_of_work(mini_desk.services) as uow:
        assert uow.calendar.working_days_between("2025-09-01", "2025-10-23") == 34
    # The header: who, in which role (in Chinese), and a badge with the open-task count.
    assert re.search(r'<span class="badge"[^>]*>1</span>', page)
    assert "巡查组组长" in text(page) and "退出登录" in page
    assert '<link rel="icon" href="data:,">' in page


def test_overdue_and_provisional_flags_and_notifications(mini_app, mini_desk):
    start(mini_desk)
    late = mini_desk.task("leader", "提交巡查工作报告")
    # 2026-12-20 + 15 working days lies in 2027, a year without an official schedule: 暂定.
    start(mini_desk, fieldwork_end="2026-12-20")
    provisional = next(t for t in mini_desk.inbox("leader") if t["id"] != late["id"])
    mini_desk.set_clock("2025-10-24T00:00:00+08:00")     # the first report's deadline passes
    web = Web(mini_app, "leader")
    page = web.get("/tasks")
    assert "逾期" in row_of(page, late["id"]) and "已过期 1 个工作日" in row_of(page, late["id"])
    assert "暂定" in row_of(page, provisional["id"]) and "逾期" not in row_of(page, provisional["id"])
    # Sorted by due date: the overdue one first.
    assert page.index(f'task-{late["id"]}') < page.index(f'task-{provisional["id"]}')
    # The timers left notifications for the team leader: the reminder, then the deadline.
    notes = text(page[page.index('id="notes-title"'):])
    assert "已逾期：提交巡查工作报告" in notes and "即将到期：提交巡查工作报告" in notes
    assert re.search(r'id="notes-title"[^>]*>通知 <span class="badge">2</span>', page)
    done = web.follow(web.post("/notifications/read"))
    assert "通知已全部标为已读" in done
    assert not re.search(r'id="notes-title"[^>]*>通知 <span class="badge">', done)
    # Another county's liaison sees none of it.
    assert "暂无通知" in Web(mini_app, "caoxian").get("/tasks")


def test_filters(mini_app, mini_desk):
    shanxian = start(mini_desk)
    mini_desk.set_clock("2025-10-24T00:00:00+08:00")
    caoxian = start(mini_desk, target="曹县", fieldwork_end="2025-10-24")
    web = Web(mini_app, "leader")

    def listed(query):
        page = web.get("/tasks?" + query)
        return {t["instance_id"] for t in mini_desk.inbox("leader") if f'task-{t["id"]}' in page}

    assert listed("") == {shanxian, caoxian}
    assert listed("overdue=1") == {shanxian}
    assert listed("overdue=0") == {caoxian}
    assert listed("organisation=caoxian") == {caoxian}
    assert listed("stage=报告&process=mini") == {shanxian, caoxian}
    assert listed("stage=准备") == set()
    page = web.get("/tasks?organisation=caoxian")
    assert 'value="caoxian" selected' in page and "清除筛选" in page


def test_claim_unclaim_and_reassign_from_the_page(mini_app, mini_desk):
    mini_desk.add_user("office2", "office")
    instance_id = mini_desk.start("office", "单县", process="mini")
    task = mini_desk.task("office", "确认巡查结束")
    office = Web(mini_app, "office")
    page = office.follow(office.post(f"/tasks/{task['id']}/claim"))
    assert "已认领该任务" in page and "office" in row_of(page, task["id"])
    assert mini_desk.task("office", "确认巡查结束")["claimed_by"] == "office"
    # The office may give the task to another holder of its role; the choice lists only them.
    reassign = re.search(r'<select name="user" id="reassign-' + task["id"] + r'">(.*?)</select>',
                         page, flags=re.S).group(1)
    assert re.findall(r'value="([^"]+)"', reassign) == ["office", "office2"]
    page = office.follow(office.post(f"/tasks/{task['id']}/reassign", {"user": "office2"}))
    assert "已转派给 office2" in page
    assert mini_desk.task("office", "确认巡查结束", instance_id)["claimed_by"] == "office2"
    page = office.follow(office.post(f"/tasks/{task['id']}/unclaim"))
    assert "已退回认领" in page
    assert mini_desk.task("office", "确认巡查结束")["claimed_by"] is None
    # A refused action is a message, not an error page: office2 cannot claim a claimed task.
    office.post(f"/tasks/{task['id']}/claim")
    other = Web(mini_app, "office2")
    page = other.follow(other.post(f"/tasks/{task['id']}/claim"))
    assert "任务已由 office 认领" in page


def test_team_members_get_no_reassign_choice_and_another_county_cannot_claim(mini_app,
                                                                               mini_desk):
    start(mini_desk)
    task = mini_desk.task("leader", "提交巡查工作报告")
    page = Web(mini_app, "leader").get("/tasks")
    assert "转派" not in row_of(page, task["id"]) and "认领" in row_of(page, task["id"])
    caoxian = Web(mini_app, "caoxian")
    page = caoxian.follow(caoxian.post(f"/tasks/{task['id']}/claim"))
    assert "不存在" in page
    assert mini_desk.task("leader", "提交巡查工作报告")["claimed_by"] is None


def test_a_post_without_a_csrf_token_is_refused(mini_app, mini_desk):
    mini_desk.start("office", "单县", process="mini")
    task = mini_desk.task("office", "确认巡查结束")
    office = Web(mini_app, "office")
    refused = office.post(f"/tasks/{task['id']}/claim", csrf=False, status=400)
    assert "页面已过期或缺少安全令牌" in refused.get_data(as_text=True)
    office.post(f"/tasks/{task['id']}/claim", {"csrf_token": "forged"}, csrf=False, status=400)
    office.post(f"/tasks/{task['id']}", {"action": "draft"}, csrf=False, status=400)
    office.post("/logout", csrf=False, status=400)
    assert mini_desk.task("office", "确认巡查结束")["claimed_by"] is None
    # With the token it works, and logging out is a POST form with the token too.
    office.post(f"/tasks/{task['id']}/claim")
    office.post("/logout")
    assert office.client.get("/tasks").status_code == 302


def test_the_completed_tab_and_an_empty_inbox(mini_app, mini_desk):
    start(mini_desk)
    office = Web(mini_app, "office")
    page = office.get("/tasks")
    assert "没有待办任务" in page and 'class="badge"' not in page
    done = office.get("/tasks?tab=completed")
    assert "确认巡查结束" in text(done) and "办理人" in done
    assert re.search(r'data-label="办理人">office<', done)


def test_pages_need_a_login(mini_app, mini_desk):
    client = mini_app.test_client()
    answer = client.get("/tasks")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert client.get("/ui/app.css").status_code == 200
    login = client.get("/login").get_data(as_text=True)
    assert "退出登录" not in login and element(login, "main")


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example"])
def test_actions_only_return_to_this_site(mini_app, mini_desk, target):
    mini_desk.start("office", "单县", process="mini")
    task = mini_desk.task("office", "确认巡查结束")
    answer = Web(mini_app, "office").post(f"/tasks/{task['id']}/claim", {"next": target})
    assert answer.headers["Location"] == "/tasks"


def test_page_numbers_out_of_range_answer_a_page_not_an_error(mini_app, mini_desk):
    """Was a 500 (the offset overflowed SQLite's integer)."""
    mini_desk.start(process="mini")
    web = Web(mini_app, "office")
    assert "确认巡查结束" not in text(web.get("/tasks?page=99999999999999999999"))
    web.get("/instances?page=99999999999999999999")
    assert "确认巡查结束" in text(web.get("/tasks?page=-5"))      # read as the first page


def test_signing_in_leads_to_the_inbox_or_back_to_the_page_asked_for(mini_app, mini_desk):
    client = mini_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    form = {"username": "office", "password": "secret", "csrf_token": token}
    assert client.post("/login", data=form).headers["Location"] == "/tasks"
    client.post("/logout", data={"csrf_token": token})
    asked = client.post("/login?next=/instances", data=form).headers["Location"]
    assert asked == "/instances"
    elsewhere = client.post("/login?next=//evil.example/x", data=form).headers["Location"]
    assert elsewhere == "/tasks"
