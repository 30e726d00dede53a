"""Accounts: sign-in throttling, changing one's password, resets by the office or an
administrator, deactivated accounts and their API tokens, the e-mail address."""
import re

from tests.integration.web_client import CSRF, Web, text


def sign_in(client, username, password):
    return client.post("/api/session", json={"username": username, "password": password})


def page_login(app, username, password):
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    return client, answer


def test_five_failures_for_a_user_refuse_even_the_right_password_for_15_minutes(app, desk):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "office", "wrong").status_code == 401
    refused = sign_in(client, "office", "secret")
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "too_many_attempts",
                                  "message": "登录尝试过多，请15分钟后再试", "fields": {}}
    _client, page = page_login(app, "office", "secret")
    assert page.status_code == 429 and "登录尝试过多，请15分钟后再试" in text(page.get_data(as_text=True))
    assert sign_in(client, "admin", "secret").status_code == 200     # another user is unaffected
    desk.set_clock("2025-09-01T09:14:00+08:00")
    assert sign_in(client, "office", "secret").status_code == 429
    desk.set_clock("2025-09-01T09:15:01+08:00")
    assert sign_in(client, "office", "secret").status_code == 200


def test_a_success_clears_the_users_failures(app, desk):
    client = app.test_client()
    for _ in range(4):
        sign_in(client, "office", "wrong")
    assert sign_in(client, "office", "secret").status_code == 200
    for _ in range(4):
        assert sign_in(client, "office", "wrong").status_code == 401
    assert sign_in(client, "office", "secret").status_code == 200


def test_twenty_failures_from_one_address_refuse_every_user_name(app, desk):
    client = app.test_client()
    for n in range(20):
        assert sign_in(client, f"nobody{n}", "wrong").status_code == 401
    assert sign_in(client, "admin", "secret").status_code == 429
    other = app.test_client()
    answer = other.post("/api/session", json={"username": "admin", "password": "secret"},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert answer.status_code == 200


def test_the_limits_are_settings(database_url, tmp_path):
    from tests.conftest import ROOT, build_app
    app = build_app(database_url, ROOT, tmp_path)
    app.config["LOGIN_FAILURES_PER_USER"] = 2
    from tests.conftest import Desk
    Desk(app).add_user("office", "office")
    client = app.test_client()
    sign_in(client, "office", "x")
    sign_in(client, "office", "x")
    assert sign_in(client, "office", "secret").status_code == 429
    app.extensions["xuncha"].engine.dispose()


def test_a_user_changes_the_password_on_the_page_and_the_old_one_stops_working(app, desk):
    web = Web(app, "office")
    page = web.post("/account/password", {"current": "nope", "new": "short", "repeat": "other"},
                    status=422).get_data(as_text=True)
    assert "当前密码不正确" in page and "新密码至少8位" in page and "两次输入的新密码不一致" in page
    assert 'aria-invalid="true"' in page
    web.post("/account/password", {"current": "secret", "new": "newsecret1",
                                   "repeat": "newsecret1"})
    client = app.test_client()
    assert sign_in(client, "office", "secret").status_code == 401
    assert sign_in(client, "office", "newsecret1").status_code == 200
    assert audit_actions(app, "user.password_changed") == ["office"]


def test_the_api_changes_a_password_with_field_errors(app, desk):
    client = app.test_client()
    sign_in(client, "office", "secret")
    bad = client.post("/api/session/password", json={"current": "secret", "new": "1234567"})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {"new": "新密码至少8位"}
    good = client.post("/api/session/password", json={"current": "secret", "new": "longer-pass"})
    assert good.status_code == 200
    assert sign_in(app.test_client(), "office", "longer-pass").status_code == 200
    assert app.test_client().post("/api/session/password", json={}).status_code == 401


def test_after_a_reset_the_user_must_change_the_temporary_password(app, desk):
    office = Web(app, "office")
    answer = office.post("/admin/users/shanxian/password-reset", status=200)
    temporary = re.search(r'id="temporary-password"[^>]*>([^<]+)<', answer.get_data(as_text=True)).group(1)
    api = app.test_client()
    assert sign_in(api, "shanxian", "secret").status_code == 401
    me = sign_in(api, "shanxian", temporary).get_json()["user"]
    assert me["must_change_password"] is True
    refused = api.get("/api/tasks")
    assert refused.status_code == 403 and refused.get_json()["error"] == "password_change_required"
    assert api.get("/api/me").status_code == 200

    pages, login = page_login(app, "shanxian", temporary)
    assert login.headers["Location"] == "/account/password"
    assert pages.get("/tasks").headers["Location"] == "/account/password"
    token = CSRF.search(pages.get("/account/password").get_data(as_text=True)).group(1)
    pages.post("/account/password", data={"current": temporary, "new": "my-own-pass",
                                          "repeat": "my-own-pass", "csrf_token": token})
    assert pages.get("/tasks").status_code == 200
    assert api.get("/api/tasks").status_code == 200
    assert audit_actions(app, "user.password_reset") == ["office"]


def test_the_office_may_not_reset_an_administrators_password(app, desk):
    api = app.test_client()
    sign_in(api, "office", "secret")
    answer = api.post("/api/admin/users/admin/password-reset")
    assert answer.status_code == 403
    assert sign_in(app.test_client(), "admin", "secret").status_code == 200


def test_a_liaison_may_not_reset_passwords(app, desk):
    api = app.test_client()
    sign_in(api, "shanxian", "secret")
    assert api.post("/api/admin/users/caoxian/password-reset").status_code == 403
    Web(app, "shanxian").post("/admin/users/caoxian/password-reset", status=403)


def test_a_deactivated_user_cannot_sign_in_and_the_token_stops_working(app, desk):
    api = app.test_client()
    sign_in(api, "shanxian", "secret")
    token = api.post("/api/me/token").get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/me", headers=bearer).status_code == 200
    admin = app.test_client()
    sign_in(admin, "admin", "secret")
    assert admin.patch("/api/admin/users/shanxian", json={"active": False}).status_code == 200
    assert app.test_client().get("/api/me", headers=bearer).status_code == 401
    assert api.get("/api/me").status_code == 401          # the open session ends too
    assert sign_in(app.test_client(), "shanxian", "secret").status_code == 401


def test_a_user_sets_an_optional_email_address(app, desk):
    web = Web(app, "shanxian")
    page = web.post("/account", {"email": "not-an-address"}, status=422).get_data(as_text=True)
    assert "电子邮箱格式无效" in page
    web.post("/account", {"email": "liaison@shanxian.gov.cn"})
    assert 'value="liaison@shanxian.gov.cn"' in web.get("/account")
    web.post("/account", {"email": ""})
    assert 'value=""' in web.get("/account")


def audit_actions(app, action):
    from sqlalchemy import select
    from server.store import schema
    a = schema.audit_events
    with app.extensions["xuncha"].engine.connect() as conn:
        return list(conn.execute(select(a.c.actor).where(a.c.action == action)).scalars())
