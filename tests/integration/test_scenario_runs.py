"""Scenario runs (/api/scenario-runs, the scenario_runs service, the /review pages): real runs of
the behaviour suite limited to the report clause (R3.3.4), against the deployed version (passes)
and against a draft whose report deadline is 20 working days instead of 15 (fails, with the
failing step named); bad input, roles, runs whose process died; reviewers read every inspection
but change nothing."""
import io
import subprocess
import time

import pytest
from sqlalchemy import func, insert, select

from server import PROJECT_ROOT
from server.services import scenario_runs, scenario_work
from server.services.context import unit_of_work
from server.store import schema
from tests.integration.web_client import Api, Web, text

REPORT = PROJECT_ROOT / "processes" / "inspection_report.bpmn"
LATE_STEP = '而且 巡查组组长收到"提交巡查工作报告"任务，办理期限为2025年10月23日'


def late_report():
    """processes/inspection_report.bpmn with the report due 20 working days after fieldwork."""
    xml = REPORT.read_text(encoding="utf-8")
    assert xml.count("add_working_days(fieldwork_end, 15)") == 1
    return xml.replace("add_working_days(fieldwork_end, 15)", "add_working_days(fieldwork_end, 20)")


@pytest.fixture
def api(app, desk):
    desk.add_user("reviewer", "reviewer")
    desk.add_user("owner", "process_owner")
    return Api(app)


def services(api):
    return api.app.extensions["xuncha"]


def watch(api, run_id, timeout=180):
    """Poll the run through the API until it finishes; answer (final run, states seen)."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.as_("reviewer").get(f"/api/scenario-runs/{run_id}").get_json()
        seen.append((run["state"], run["done"], run["total"]))
        if run["state"] in scenario_runs.FINAL:
            return run, seen
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish: {seen[-1]}")


def test_the_deployed_version_passes_and_a_late_deadline_draft_fails_its_clause(api):
    reviewer = api.as_("reviewer")
    answer = reviewer.post("/api/scenario-runs", json={"version": 1, "tags": "R3.3.4",
                                                       "label": "第1版"})
    assert answer.status_code == 202, answer.get_json()
    deployed = answer.get_json()["id"]
    assert answer.headers["Location"] == f"/api/scenario-runs/{deployed}"
    answer = api.as_("owner").post("/api/scenario-runs", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(late_report().encode("utf-8")), "report-draft.bpmn")],
        "version": "1", "tags": "R3.3.4"})
    assert answer.status_code == 202, answer.get_json()
    draft = answer.get_json()["id"]
    # One run at a time (SCENARIO_RUNS_MAX = 1): the draft waits for the first.
    assert reviewer.get(f"/api/scenario-runs/{draft}").get_json()["state"] == "queued"

    run, seen = watch(api, deployed)
    assert ("running", 0, 0) in seen or any(state == "running" for state, *_ in seen)
    assert run["state"] == "passed", run["result"].get("error")
    assert run["total"] == run["done"] == run["result"]["counts"]["passed"] >= 10
    assert run["kind"] == "version" and run["version_id"] == 1 and run["label"] == "第1版"
    assert run["created_by"] == "reviewer" and run["finished_at"]
    report_clause = run["result"]["clauses"]["R3.3.4"]
    assert report_clause["failed"] == 0 and report_clause["passed"] == run["total"]
    assert "15个工作日" in report_clause["title"]
    coverage = run["result"]["coverage"]["processes"]["inspection_report"]
    assert coverage["nodes_covered"] == coverage["nodes_total"] and not coverage["uncovered_nodes"]
    assert coverage["covered_flows"] and "uncovered_flows" in coverage
    register = {row["id"]: row for row in run["result"]["register"]["clauses"]}
    assert register["R3.3.4"]["result"] == "passed" and register["R3.3.6"]["result"] == "not_run"

    run, seen = watch(api, draft)
    assert run["state"] == "failed"
    assert run["kind"] == "draft" and run["files"] == ["processes/report-draft.bpmn"]
    assert run["created_by"] == "owner" and run["version_id"] == 1
    assert run["result"]["source"]["replaced"][0]["replaces"] == ["inspection_report.bpmn"]
    assert run["result"]["clauses"]["R3.3.4"]["passed"] == 0
    assert run["result"]["clauses"]["R3.3.4"]["failed"] == run["total"] >= 10
    failing = {s["failing_step"]: s["message"] for s in run["result"]["scenarios"]}
    assert "办理期限为2025年10月30日，不是2025年10月23日" in failing[LATE_STEP]
    tested = scenario_runs.tested_diagrams(services(api), scenario_runs.get_run(services(api), draft))
    assert "add_working_days(fieldwork_end, 20)" in tested["processes/inspection_report.bpmn"]
    assert "processes/safety_inspection.bpmn" in tested

    history = reviewer.get("/api/scenario-runs?version=1").get_json()
    assert [r["id"] for r in history["runs"]] == [draft, deployed]
    assert history["runs"][0]["result"]["failed_clauses"] == ["R3.3.4"]
    assert reviewer.get("/api/scenario-runs?version=2").get_json() == {"runs": [], "total": 0}
    with unit_of_work(services(api)) as uow:
        actions = uow.conn.execute(select(schema.audit_events.c.action, schema.audit_events.c.actor)
                                   .where(schema.audit_events.c.action.like("scenario_run.%"))
                                   .order_by(schema.audit_events.c.id)).all()
    assert [tuple(a) for a in actions] == [
        ("scenario_run.started", "reviewer"), ("scenario_run.started", "owner"),
        ("scenario_run.finished", "system"), ("scenario_run.finished", "system")]


BROKEN_EXPRESSION = REPORT.read_text(encoding="utf-8").replace(
    "add_working_days(fieldwork_end, 15)", "().__class__.__base__")


@pytest.mark.parametrize("body, fields", [
    ({"version": 99}, {"version": "流程版本 99 不存在"}),
    ({}, {"version": "请选择流程版本"}),
    ({"version": "一"}, {"version": "须为正整数"}),
    ({"version": 2 ** 40}, {"version": "须为正整数"}),
    ({"version": 0}, {"version": "须为正整数"}),
    ({"version": 1, "tags": "R3.3.4; rm -rf"}, {"tags": "请填写条款编号"}),
    ({"files": {}}, {"files": "请选择文件"}),
    ({"files": {"notes.txt": "x"}}, {"files/notes.txt": "只接受 .bpmn"}),
    ({"files": {"broken.bpmn": "<definitions"}}, {"files/broken.bpmn": "broken.bpmn 不是有效的 XML"}),
    ({"files": {"empty.bpmn": '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'}},
     {"files/empty.bpmn": "没有定义任何流程"}),
    ({"files": {"form.json": "[1]"}}, {"files/form.json": "不是表单文件"}),
    ({"files": {"inspection_report.bpmn": BROKEN_EXPRESSION}}, {"files": "流程无法加载"}),
])
def test_bad_input_is_refused_with_field_messages_and_nothing_recorded(api, body, fields):
    answer = api.as_("reviewer").post("/api/scenario-runs", json=body)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()
    for field, message in fields.items():
        assert message in error["fields"][field], error
    with unit_of_work(services(api)) as uow:
        assert uow.conn.execute(select(func.count()).select_from(schema.scenario_runs)).scalar() == 0


def test_multipart_without_files_or_with_an_unparseable_diagram(api):
    reviewer = api.as_("reviewer")
    answer = reviewer.post("/api/scenario-runs", content_type="multipart/form-data",
                           data={"version": "1"})
    assert answer.status_code == 422 and "files" in answer.get_json()["fields"]
    answer = reviewer.post("/api/scenario-runs", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(b"not xml"), "inspection_report.bpmn")]})
    assert answer.status_code == 422
    assert "不是有效的 XML" in answer.get_json()["fields"]["files/inspection_report.bpmn"]


def test_only_review_roles_may_run_or_read(api, app):
    assert api.anonymous().post("/api/scenario-runs", json={"version": 1}).status_code == 401
    assert api.anonymous().get("/api/scenario-runs").status_code == 401
    for username in ("shanxian", "leader"):
        client = api.as_(username)
        assert client.post("/api/scenario-runs", json={"version": 1}).status_code == 403
        assert client.get("/api/scenario-runs").status_code == 403
        assert client.get("/api/scenario-runs/1").status_code == 403
    assert api.as_("reviewer").get("/api/scenario-runs/999").get_json()["error"] == "not_found"
    assert api.as_("reviewer").get(f"/api/scenario-runs/{2 ** 40}").status_code == 404
    assert api.as_("reviewer").get("/api/scenario-runs?version=99999999999").status_code == 422
    assert api.as_("office").get("/api/scenario-runs").status_code == 200
    Web(app, "shanxian").get("/review", status=403)
    assert app.test_client().get("/review").status_code == 302          # to the login page
    page = Web(app, "reviewer").get("/review")
    assert "审查" in page and "运行场景" in page and "第 1 版" in text(page)


def test_a_full_queue_refuses_more_runs(api, monkeypatch):
    monkeypatch.setattr(scenario_work, "MAX_WAITING", 0)
    answer = api.as_("reviewer").post("/api/scenario-runs", json={"version": 1})
    assert answer.status_code == 409 and "等待运行的场景过多" in answer.get_json()["message"]
    assert scenario_runs.list_runs(services(api)) == []


def _dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("owner, heartbeat_age", [
    ({"host": scenario_work.HOST, "pid": None}, 0),                # its process has exited
    ({"host": "another-host", "pid": 1}, scenario_work.STALE_SECONDS + 5),   # it went silent
])
def test_a_run_whose_process_died_is_marked_error_when_read(api, owner, heartbeat_age):
    owner = {**owner, "pid": owner["pid"] or _dead_pid()}
    with unit_of_work(services(api)) as uow:
        run_id = uow.conn.execute(insert(schema.scenario_runs).values(
            created_at=uow.now, created_by="reviewer", version_id=1, label="", state="running",
            total=13, done=4, result={"owner": owner, "heartbeat": time.time() - heartbeat_age,
                                      "scenarios": []}).returning(schema.scenario_runs.c.id)
        ).scalar_one()
    assert scenario_runs.list_runs(services(api))[0]["state"] == "error"
    run = scenario_runs.get_run(services(api), run_id)
    assert run["state"] == "error" and run["finished_at"] is not None
    assert "运行已中断" in run["result"]["error"]


def test_a_live_run_of_this_process_is_not_stale(api):
    row = type("Row", (), {"state": "running", "result": scenario_work.owner_stamp()})
    assert not scenario_work.is_stale(row)


def test_reviewer_pages_run_a_draft_and_refuse_a_bad_upload(api, app):
    web = Web(app, "reviewer")
    answer = web.post("/review/runs", data={"kind": "draft", "base": "1",
                                            "files": (io.BytesIO(b"<definitions"), "draft.bpmn")},
                      status=422, content_type="multipart/form-data")
    assert "draft.bpmn：draft.bpmn 不是有效的 XML" in text(answer.get_data(as_text=True))
    answer = web.post("/review/runs", content_type="multipart/form-data", data={
        "kind": "draft", "base": "1", "tags": "R3.3.4", "label": "报告期限改稿",
        "files": (io.BytesIO(late_report().encode("utf-8")), "inspection_report.bpmn")})
    run_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    page = web.get(f"/review/runs/{run_id}")
    assert 'id="run-progress"' in page or 'id="verdict"' in page
    run = scenario_runs.wait_for(services(api), run_id)
    assert run["state"] == "failed" and run["label"] == "报告期限改稿"
    # a file of the same path as the version's replaces it
    assert run["result"]["source"]["overrides"] == [
        {"file": "processes/inspection_report.bpmn", "new": False}]
    tested = scenario_runs.tested_diagrams(services(api), run)
    assert "add_working_days(fieldwork_end, 20)" in tested["processes/inspection_report.bpmn"]
    page = text(web.get(f"/review/runs/{run_id}"))
    assert "未全部通过" in page and "R3.3.4" in page and "未通过" in page
    assert f"失败步骤：{LATE_STEP}" in page and "条款登记表" in page
    xml = web.get(f"/review/runs/{run_id}/diagrams/inspection_report.bpmn")
    assert "add_working_days(fieldwork_end, 20)" in xml
    web.get(f"/review/runs/{run_id}/diagrams/nothing.bpmn", status=404)
    assert f"#{run_id}" in text(web.get("/review/versions/1"))
    assert "未运行" in text(web.get("/review"))        # the version itself was not run
    assert "R3.3.4" in text(web.get("/review/register"))
    web.get("/review/versions/7", status=404)


def test_reviewers_read_every_inspection_but_change_nothing(api, app, desk):
    instance_id = desk.start("office", "单县")
    task = desk.task("office", "制定巡查工作方案", instance_id)
    reviewer = api.as_("reviewer")
    found = reviewer.get(f"/api/instances/{instance_id}")
    assert found.status_code == 200 and found.get_json()["state"] == "running"
    page = text(Web(app, "reviewer").get(f"/instances/{instance_id}"))
    assert "办理记录" in page and "发起巡查" in page
    refused = {
        "start": reviewer.post("/api/instances", json={"data": {"target": "单县"}}),
        "claim": reviewer.post(f"/api/tasks/{task['id']}/claim"),
        "complete": reviewer.post(f"/api/tasks/{task['id']}/complete", json={"data": {}}),
        "suspend": reviewer.post(f"/api/instances/{instance_id}/suspend"),
        "cancel": reviewer.post(f"/api/instances/{instance_id}/cancel"),
    }
    assert {name: a.status_code for name, a in refused.items()} == dict.fromkeys(refused, 403)
    web = Web(app, "reviewer")
    web.post(f"/instances/{instance_id}/suspend", status=403)
    web.post(f"/tasks/{task['id']}/claim")           # the inbox answers with an error message
    after = desk.instance(instance_id)
    assert after["state"] == "running"
    assert desk.task("office", "制定巡查工作方案", instance_id)["claimed_by"] is None
