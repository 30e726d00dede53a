"""The signed session cookie: remembered once verified (web/session_cookie.py), yet a changed,
expired or reused-after-change cookie is treated exactly as Flask treats it."""
import time

from flask import request


def signed_in(app, username="office"):
    client = app.test_client()
    answer = client.post("/api/session", json={"username": username, "password": "secret"})
    assert answer.status_code == 200
    assert client.get("/api/me").status_code == 200          # the cookie is now remembered
    return client


def test_a_cookie_changed_after_the_genuine_one_was_used_is_refused(app, desk):
    client = signed_in(app)
    genuine = client.get_cookie("session").value
    payload, _, signature = genuine.rpartition(".")
    # The first character: the last one's low bits are base64 padding, which decoding ignores.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{payload}.{flipped}", genuine + "x", genuine[:-1]):
        client.set_cookie("session", forged)
        answer = client.get("/api/me")
        assert answer.status_code == 401, forged
        assert answer.get_json()["error"] == "unauthorized"
    client.set_cookie("session", genuine)
    assert client.get("/api/me").get_json()["user"]["username"] == "office"


def test_a_remembered_cookie_still_expires_with_the_session_lifetime(app, desk, monkeypatch):
    client = signed_in(app)
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/api/me").status_code == 401


def test_a_request_that_changes_its_session_in_place_leaves_the_remembered_one_alone(app):
    """flash() appends to a list in the session: a second request still carrying the same
    cookie (a second tab, a request in parallel) must not see the first one's message."""
    interface = app.session_interface
    with app.test_request_context("/"):
        session = interface.session_class({"_flashes": [("message", "已保存")]})
        session.modified = True
        response = app.response_class()
        interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"].split(";")[0]

    def opened():
        with app.test_request_context("/", headers={"Cookie": cookie}):
            return interface.open_session(app, request)

    opened()["_flashes"].append(("message", "已提交"))
    assert opened()["_flashes"] == [("message", "已保存")]


def test_an_unchanged_session_sets_no_cookie_and_a_login_does(app, desk):
    client = app.test_client()
    login = client.post("/api/session", json={"username": "office", "password": "secret"})
    assert "session=" in login.headers["Set-Cookie"]
    answer = client.get("/api/tasks")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" in answer.headers["Vary"]
