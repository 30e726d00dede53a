"""The JSON API (design §8): every endpoint with its success and error answers."""
import re

import pytest

from server.services.samples import SAMPLES
from tests.integration.web_client import Api


@pytest.fixture
def api(mini_app, mini_desk):
    return Api(mini_app)


def start(api, target="单县", process="mini"):
    answer = api.as_("office").post("/api/instances", json={"process": process,
                                                            "data": {"target": target}})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def open_task(api, username, name):
    tasks = api.as_(username).get("/api/tasks").get_json()["tasks"]
    return next(t for t in tasks if t["name"] == name)


def test_login_logout_and_me(api):
    client = api.anonymous()
    assert client.get("/api/me").status_code == 401
    wrong = client.post("/api/session", json={"username": "office", "password": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "unauthorized"
    assert client.post("/api/session", data="username=office").status_code == 422
    assert client.post("/api/session", json={"username": "office", "password": "secret"}
                       ).status_code == 200
    me = client.get("/api/me").get_json()["user"]
    assert me == {"username": "office", "roles": ["office"], "organisation": None}
    assert client.delete("/api/session").status_code == 200
    assert client.get("/api/me").status_code == 401


def test_bearer_tokens(api):
    token = api.as_("office").post("/api/me/token").get_json()["token"]
    client = api.anonymous()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/processes", headers=headers).status_code == 200
    assert client.get("/api/processes", headers={"Authorization": "Bearer wrong"}
                      ).status_code == 401


def test_processes_lists_the_deployed_version(api):
    body = api.as_("office").get("/api/processes").get_json()
    assert {"id": "mini", "name": "巡查报告", "version": 1} in body["processes"]


def test_start_and_read_an_instance(api):
    instance_id = start(api)
    body = api.as_("office").get(f"/api/instances/{instance_id}").get_json()
    assert (body["process"], body["version"], body["state"]) == ("mini", 1, "running")
    assert body["data"]["target"] == "shanxian"
    assert [t["name"] for t in body["tasks"]] == ["确认巡查结束"]
    listing = api.as_("office").get("/api/instances?limit=1").get_json()
    assert listing["total"] == 1 and listing["instances"][0]["id"] == instance_id


@pytest.mark.parametrize("body, status, field", [
    ({"process": "mini", "data": {}}, 422, "target"),
    ({"process": "mini", "data": {"target": "火星县"}}, 422, "target"),
    ({"process": "nope", "data": {"target": "单县"}}, 422, "process"),
    ({"process": "mini", "data": "单县"}, 422, "data"),
])
def test_starting_with_bad_input(api, body, status, field):
    answer = api.as_("office").post("/api/instances", json=body)
    assert answer.status_code == status and field in answer.get_json()["fields"]


def test_starting_needs_the_office(api):
    answer = api.as_("shanxian").post("/api/instances", json={"process": "mini",
                                                              "data": {"target": "单县"}})
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"


def test_unknown_things_are_404(api):
    office = api.as_("office")
    assert office.get("/api/instances/nope").status_code == 404
    assert office.get("/api/tasks/nope").status_code == 404
    assert office.post("/api/tasks/nope/complete", json={"data": {}}).status_code == 404
    assert office.get("/api/nowhere").get_json()["error"] == "not_found"


def test_inbox_task_and_completion(api):
    instance_id = start(api)
    task = open_task(api, "office", "确认巡查结束")
    assert task["instance_id"] == instance_id and task["clauses"] == ["R3.3.3"]
    detail = api.as_("office").get(f"/api/tasks/{task['id']}").get_json()
    assert detail["form"]["properties"]["fieldwork_end"]["title"] == "现场巡查结束日期"
    assert detail["data"]["target"] == "shanxian"
    bad = api.as_("office").post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {"fieldwork_end": "此项为必填项"}
    done = api.as_("office").post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}})
    assert done.status_code == 200
    again = api.as_("office").post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert again.status_code == 409
    report = open_task(api, "leader", "提交巡查工作报告")
    assert report["due_at"] == "2025-10-24T00:00:00+08:00" and report["provisional"] is False
    assert api.as_("leader").get("/api/tasks?overdue=false").get_json()["total"] == 1
    assert api.as_("leader").get("/api/tasks?overdue=maybe").status_code == 422


def test_claim_unclaim_and_reassign(api):
    start(api)
    task = open_task(api, "office", "确认巡查结束")
    office = api.as_("office")
    assert office.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    assert office.post(f"/api/tasks/{task['id']}/claim", data="x",
                       content_type="text/plain").status_code == 422
    assert office.post(f"/api/tasks/{task['id']}/unclaim").status_code == 200
    assert office.post(f"/api/tasks/{task['id']}/reassign", json={"user": "nobody"}
                       ).status_code == 422
    assert office.post(f"/api/tasks/{task['id']}/reassign", json={"user": "admin"}
                       ).status_code == 200
    assert open_task(api, "office", "确认巡查结束")["claimed_by"] == "admin"
    assert api.as_("shanxian").post(f"/api/tasks/{task['id']}/claim").status_code == 403
    assert api.as_("caoxian").post(f"/api/tasks/{task['id']}/claim").status_code == 404


def test_suspend_resume_cancel(api):
    instance_id = start(api)
    office = api.as_("office")
    assert office.post(f"/api/instances/{instance_id}/suspend").status_code == 200
    assert office.post(f"/api/instances/{instance_id}/suspend").status_code == 409
    assert office.post(f"/api/instances/{instance_id}/resume").status_code == 200
    assert api.as_("leader").post(f"/api/instances/{instance_id}/cancel").status_code == 403
    assert office.post(f"/api/instances/{instance_id}/cancel").status_code == 200
    assert office.get(f"/api/instances/{instance_id}").get_json()["state"] == "cancelled"


def test_another_county_gets_404_for_everything_of_shanxian(api):
    instance_id = start(api)
    task = open_task(api, "office", "确认巡查结束")
    api.as_("office").post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}})
    report = open_task(api, "leader", "提交巡查工作报告")
    api.as_("leader").post(f"/api/tasks/{report['id']}/complete", json={"data": {"summary": "好"}})
    sign = open_task(api, "shanxian", "签收反馈意见书")
    other = api.as_("caoxian")
    assert other.get("/api/tasks").get_json()["tasks"] == []
    assert other.get(f"/api/tasks/{sign['id']}").status_code == 404
    assert other.post(f"/api/tasks/{sign['id']}/complete", json={"data": {}}).status_code == 404
    assert other.get(f"/api/instances/{instance_id}").status_code == 404
    assert other.get("/api/instances").get_json()["total"] == 0


def test_calendar_deadline(api):
    client = api.as_("office")
    assert client.get("/api/calendar/deadline?start=2025-09-26&working_days=15").get_json() == {
        "due": "2025-10-23", "provisional": False}
    assert client.get("/api/calendar/deadline?start=2025-08-01&months=2").get_json()["due"] == \
        "2025-10-09"
    assert client.get("/api/calendar/deadline?start=2026-12-20&working_days=15").get_json()[
        "provisional"] is True
    assert client.get("/api/calendar/deadline?start=nope&months=2").status_code == 422
    assert client.get("/api/calendar/deadline?start=2025-08-01").status_code == 422


def test_loading_a_calendar_year_needs_an_admin(api):
    year = {"holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电〔2026〕1号"}
    assert api.as_("office").put("/api/admin/calendar/2027", json=year).status_code == 403
    assert api.as_("admin").put("/api/admin/calendar/2027", json=year).status_code == 200
    bad = api.as_("admin").put("/api/admin/calendar/2027", json={**year, "holidays": ["2026-01-01"]})
    assert bad.status_code == 422
    check = api.as_("office").get("/api/calendar/deadline?start=2026-12-31&working_days=1")
    assert check.get_json() == {"due": "2027-01-04", "provisional": False}


def test_the_fake_clock(api):
    assert api.as_("office").post("/api/admin/clock", json={"now": "2025-12-01T00:00:00+08:00"}
                                  ).status_code == 403
    answer = api.as_("admin").post("/api/admin/clock", json={"now": "2025-12-01T00:00:00+08:00"})
    assert answer.status_code == 200 and answer.get_json()["now"] == "2025-12-01T00:00:00+08:00"
    assert api.as_("admin").post("/api/admin/clock", json={"now": "yesterday"}).status_code == 422
    assert api.as_("admin").post("/api/admin/clock", json={"now": "2025-01-01T00:00:00+08:00"}
                                 ).status_code == 422
    far = api.as_("admin").post("/api/admin/clock", json={"now": "9999-12-31T00:00:00+08:00"})
    assert far.status_code == 422 and "2100" in far.get_json()["fields"]["now"]


def test_sample_data_covers_every_form():
    from pathlib import Path
    forms = {p.name for p in (Path(__file__).resolve().parents[2] / "forms").glob("*.json")}
    assert forms == set(SAMPLES)


def test_openapi_document_describes_every_route(api):
    document = api.anonymous().get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, item in document["paths"].items()
                 for method in item}
    routes = set()
    for rule in api.app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json":
            path = rule.rule.replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                if "any(" in path:
                    for action in ("suspend", "resume", "cancel"):
                        routes.add(("/api/instances/{instance_id}/" + action, method))
                else:
                    routes.add((re.sub(r"\{\w+:(\w+)\}", r"{\1}", path), method))
    assert routes == described


def test_api_additions_for_clients(api):
    instance_id = start(api)
    task = open_task(api, "office", "确认巡查结束")
    assert task["form_name"] == "end.json"
    assert api.as_("office").get(f"/api/tasks/{task['id']}").get_json()["form_name"] == "end.json"
    clock = api.as_("office").get("/api/admin/clock").get_json()
    assert clock == {"now": "2025-09-01T09:00:00+08:00", "mode": "fake"}
    api.as_("office").post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}})
    fixed = api.as_("office").post(f"/api/instances/{instance_id}/corrections",
                                   json={"changes": {"fieldwork_end": "2025-09-30"}})
    assert fixed.status_code == 200
    assert open_task(api, "leader", "提交巡查工作报告")["due_at"] == "2025-10-29T00:00:00+08:00"
    assert api.as_("leader").post(f"/api/instances/{instance_id}/corrections",
                                  json={"changes": {"fieldwork_end": "2025-09-30"}}).status_code == 403
    assert api.as_("office").post(f"/api/instances/{instance_id}/corrections",
                                  json={"changes": {}}).status_code == 422
    api.as_("admin").post("/api/admin/clock", json={"now": "2025-10-29T00:00:00+08:00"})
    notices = api.as_("leader").get("/api/notifications").get_json()["notifications"]
    assert {n["kind"] for n in notices} == {"reminder", "deadline"}
