"""Administration pages and API: users, organisations, the holiday schedule, the fake clock.
Every change is audited; non-administrators get 403 (the office only manages liaisons)."""
import json
import re

from sqlalchemy import select

from server.store import schema
from tests.conftest import ROOT, build_app
from tests.integration.web_client import Web, text

SCHEDULE_2027 = {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
                 "holidays": ["2027-01-01", "2027-10-01"], "workdays": ["2027-09-26"]}


def audit(app, action):
    a = schema.audit_events
    with app.extensions["xuncha"].engine.connect() as conn:
        return [(row.actor, row.detail) for row in conn.execute(
            select(a.c.actor, a.c.detail).where(a.c.action == action))]


def temporary_of(answer):
    return re.search(r'id="temporary-password"[^>]*>([^<]+)<',
                     answer.get_data(as_text=True)).group(1)


def test_admin_creates_a_user_with_field_errors_first(app, desk):
    admin = Web(app, "admin")
    assert "shanxian" in text(admin.get("/admin/users"))
    page = admin.post("/admin/users/new", {"username": "bad name!", "roles": ["target"],
                                           "email": "nope"}, status=422).get_data(as_text=True)
    assert "用户名须为1-80位字母、数字或下划线" in page and "巡查对象联络人须指定所属单位" in page
    assert "电子邮箱格式无效" in page
    taken = admin.post("/admin/users/new", {"username": "office", "roles": ["office"]},
                       status=422).get_data(as_text=True)
    assert "用户名已存在" in taken
    created = admin.post("/admin/users/new", {
        "username": "dongming2", "display_name": "张三", "roles": ["target"],
        "organisation": "dongming", "email": "zs@dongming.gov.cn"}, status=201)
    temporary = temporary_of(created)
    listed = text(admin.get("/admin/users"))
    assert "dongming2 张三 巡查对象 东明县 zs@dongming.gov.cn 启用 待改密" in listed
    assert Web(app, "dongming2", temporary).get("/tasks", status=302)  # must change first
    assert audit(app, "user.created")[0][0] == "admin"


def test_admin_edits_roles_organisation_email_and_deactivates(app, desk):
    admin = Web(app, "admin")
    form = admin.get("/admin/users/leader")
    assert 'value="team_leader" checked' in form
    bad = admin.post("/admin/users/leader", {"roles": ["target"], "active": "on"},
                     status=422).get_data(as_text=True)
    assert "巡查对象联络人须指定所属单位" in bad
    admin.post("/admin/users/leader", {"display_name": "组长", "roles": ["team_leader", "expert"],
                                       "email": "leader@heze.gov.cn"})      # active unticked
    listed = text(admin.get("/admin/users"))
    assert "leader 组长 专家、巡查组组长 leader@heze.gov.cn 已停用" in listed
    answer = app.test_client().post("/api/session", json={"username": "leader",
                                                          "password": "secret"})
    assert answer.status_code == 401
    (actor, detail), = audit(app, "user.updated")
    assert actor == "admin" and detail["changes"]["active"] == [True, False]
    self_lock = admin.post("/admin/users/admin", {"roles": ["office"]}, status=422)
    assert "不能停用自己的账号" in self_lock.get_data(as_text=True)


def test_the_office_manages_liaisons_only(app, desk):
    office = Web(app, "office")
    form = office.get("/admin/users/new")
    assert 'value="target"' in form and 'value="admin"' not in form
    office.post("/admin/users/new", {"username": "juye1", "roles": ["target"],
                                     "organisation": "juye"}, status=201)
    office.post("/admin/users/new", {"username": "boss", "roles": ["admin"]}, status=403)
    office.get("/admin/users/leader", status=200)
    office.post("/admin/users/leader", {"roles": ["team_leader"]}, status=403)
    office.post("/admin/users/shanxian", {"roles": ["target"], "organisation": "shanxian",
                                          "email": "sx@shanxian.gov.cn", "active": "on"})
    for url in ("/admin/organisations", "/admin/calendar", "/admin/clock"):
        office.get(url, status=403)


def test_people_without_admin_or_office_roles_get_403(app, desk):
    liaison = Web(app, "shanxian")
    for url in ("/admin/users", "/admin/users/new", "/admin/organisations", "/admin/calendar",
                "/admin/clock"):
        liaison.get(url, status=403)
    liaison.post("/admin/users/caoxian", {"roles": ["admin"]}, status=403)
    assert "管理" not in text(liaison.get("/tasks")).split("修改密码")[0]
    assert app.test_client().get("/admin/users").status_code == 302      # to the login page


def test_every_admin_form_needs_the_csrf_token(app, desk):
    admin = Web(app, "admin")
    for url in ("/admin/users/new", "/admin/users/office", "/admin/users/office/password-reset",
                "/admin/organisations", "/admin/organisations/shanxian", "/admin/calendar",
                "/admin/clock", "/account", "/account/password"):
        admin.post(url, {"name": "x"}, status=400, csrf=False)


def test_organisations_are_added_and_renamed(app, desk):
    admin = Web(app, "admin")
    bad = admin.post("/admin/organisations", {"code": "X", "name": "", "kind": "county"},
                     status=422).get_data(as_text=True)
    assert "代码须为2-40位小写字母" in bad and "名称须为1-100个字" in bad
    admin.post("/admin/organisations", {"code": "yingji", "name": "新名", "kind": "department"},
               status=422)
    admin.post("/admin/organisations", {"code": "gongan", "name": "市公安局", "kind": "department"})
    admin.post("/admin/organisations/gongan", {"name": "菏泽市公安局"})
    assert "gongan 市直部门 " in text(admin.get("/admin/organisations"))
    assert 'value="菏泽市公安局"' in admin.get("/admin/organisations")
    assert [d["name"] for _a, d in audit(app, "organisation.renamed")] == ["菏泽市公安局"]


def test_a_years_holiday_schedule_is_pasted_or_uploaded(app, desk):
    admin = Web(app, "admin")
    bad = admin.post("/admin/calendar", {"schedule": "{not json"}, status=422)
    assert "不是有效的 JSON" in bad.get_data(as_text=True)
    wrong = dict(SCHEDULE_2027, holidays=["2026-01-01"])
    page = admin.post("/admin/calendar", {"schedule": json.dumps(wrong)}, status=422)
    assert "不在 2027 年内" in page.get_data(as_text=True)
    admin.post("/admin/calendar", {"schedule": json.dumps(SCHEDULE_2027, ensure_ascii=False)})
    assert "2027 国务院办公厅关于2027年部分节假日安排的通知（测试） 2 天 1 天" in \
        text(admin.get("/admin/calendar"))
    deadline = Web(app, "office").client.get(
        "/api/calendar/deadline?start=2027-09-30&working_days=1").get_json()
    assert deadline == {"due": "2027-10-04", "provisional": False}
    assert audit(app, "calendar.loaded")[-1][0] == "admin"


def test_the_fake_clock_is_shown_and_moved_forward(app, desk):
    admin = Web(app, "admin")
    assert "2025-09-01 09:00" in text(admin.get("/admin/clock"))
    back = admin.post("/admin/clock", {"now": "2025-08-01T09:00"}, status=422)
    assert "时钟只能向前拨动" in back.get_data(as_text=True)
    admin.post("/admin/clock", {"now": "2025-09-03T10:30"})
    assert "当前模拟时间： 2025-09-03 10:30" in text(admin.get("/admin/clock"))
    assert audit(app, "clock.set")[-1][1]["now"] == "2025-09-03T10:30:00+08:00"


def test_the_clock_control_is_refused_with_the_real_clock(database_url, tmp_path):
    app = build_app(database_url, ROOT, tmp_path, clock_mode="system")
    from tests.conftest import Desk
    Desk(app).add_user("admin", "admin")
    admin = Web(app, "admin")
    page = admin.get("/admin/clock")
    assert "系统使用真实时钟" in page and 'name="now"' not in page
    assert "模拟时钟" not in text(admin.get("/admin/users"))
    admin.post("/admin/clock", {"now": "2030-01-01T00:00"}, status=409)
    app.extensions["xuncha"].engine.dispose()


def test_the_user_api(app, desk):
    admin, office, liaison = (app.test_client() for _ in range(3))
    for client, name in ((admin, "admin"), (office, "office"), (liaison, "shanxian")):
        client.post("/api/session", json={"username": name, "password": "secret"})
    assert app.test_client().get("/api/admin/users").status_code == 401
    assert liaison.get("/api/admin/users").status_code == 403
    listed = admin.get("/api/admin/users").get_json()
    assert listed["total"] == 5 and {"username": "shanxian", "display_name": "shanxian",
                                     "roles": ["target"], "organisation": "shanxian",
                                     "email": None, "active": True,
                                     "must_change_password": False} in listed["users"]
    created = admin.post("/api/admin/users", json={"username": "rev", "roles": ["reviewer"]})
    assert created.status_code == 201 and len(created.get_json()["temporary_password"]) == 12
    assert admin.post("/api/admin/users", json={"username": "rev", "roles": ["reviewer"]}
                      ).status_code == 409
    bad = admin.post("/api/admin/users", json={"username": "x1", "roles": ["boss"]})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {"roles": "未知角色：boss"}
    assert office.post("/api/admin/users", json={"username": "x2", "roles": ["office"]}
                       ).status_code == 403
    assert admin.patch("/api/admin/users/ghost", json={"active": False}).status_code == 404
    assert admin.patch("/api/admin/users/rev", json={"email": "bad"}).status_code == 422
    assert admin.patch("/api/admin/users/rev", json={"password": "x"}).status_code == 422
    changed = admin.patch("/api/admin/users/rev", json={"email": "rev@heze.gov.cn"}).get_json()
    assert changed["user"]["email"] == "rev@heze.gov.cn"
    assert admin.post("/api/admin/users/ghost/password-reset").status_code == 404
    openapi = app.test_client().get("/api/openapi.json").get_json()["paths"]
    assert {"post"} <= set(openapi["/api/admin/users/{username}/password-reset"])
