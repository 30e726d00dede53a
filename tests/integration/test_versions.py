"""Deploying drafts through the scenario gate, and what versions are afterwards: a failing gate
needs a recorded override reason, running inspections keep their version's deadlines, a draft
changed and changed back passes; versions list, diff, zip download and rollback.

The gate runs only the R3.3.4 scenarios here (config GATE_TAGS) to keep the tests short; the
product runs the whole suite."""
import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from server.services import scenario_runs
from tests.browser.drive import Inspection, staff_desk
from tests.integration.web_client import Api, Web, text

REPORT = "processes/inspection_report.bpmn"
FIFTEEN, TEN = "fieldwork_end, 15))", "fieldwork_end, 10))"


@pytest.fixture
def desk(app):
    app.config["GATE_TAGS"] = "R3.3.4"
    desk = staff_desk(app)
    desk.add_user("owner", "process_owner")
    return desk


@pytest.fixture
def owner(app, desk):
    return Api(app).as_("owner")


def edit_draft(owner, *replacements):
    draft_id = owner.post("/api/drafts", json={"name": "报告期限"}).get_json()["id"]
    draft = owner.get(f"/api/drafts/{draft_id}").get_json()
    revision = draft["revision"]
    for old, new in replacements:
        xml = owner.get(f"/api/drafts/{draft_id}").get_json()["files"][REPORT]
        saved = owner.put(f"/api/drafts/{draft_id}", json={
            "revision": revision, "files": {REPORT: xml.replace(old, new)}}).get_json()
        assert saved["problems"] == []
        revision = saved["revision"]
    return draft_id, revision


def run_gate(app, owner, draft_id):
    answer = owner.post(f"/api/drafts/{draft_id}/gate", json={})
    assert answer.status_code == 202, answer.get_json()
    run_id = answer.get_json()["run_id"]
    scenario_runs.wait_for(app.extensions["xuncha"], run_id, timeout=300)
    return run_id, owner.get(f"/api/drafts/{draft_id}/gate/{run_id}").get_json()


def deploy(owner, draft_id, revision, run_id, **extra):
    return owner.post(f"/api/drafts/{draft_id}/deploy", json={
        "revision": revision, "run_id": run_id, "note": "报告期限改为10个工作日",
        "regulation_ref": "巡查工作制度 R3.3.4（修订）", **extra})


def report_due(client, case):
    timers = client.get(f"/api/instances/{case.id}").get_json()["timers"]
    return [t["due_at"] for t in timers if t["element"] == "report_deadline"][0]


def active(owner):
    return [v["id"] for v in owner.get("/api/versions").get_json()["versions"] if v["active"]]


def test_a_failing_gate_needs_an_override_and_running_inspections_keep_their_version(app, desk, owner):
    before = Inspection(desk).prepare().enter()
    draft_id, revision = edit_draft(owner, (FIFTEEN, TEN))
    run_id, gate = run_gate(app, owner, draft_id)
    assert gate["state"] == "failed" and gate["failed"]
    assert [c["id"] for c in gate["clauses"] if c["failed"]] == ["R3.3.4"]

    refused = deploy(owner, draft_id, revision, run_id)
    assert refused.status_code == 422 and "override_reason" in refused.get_json()["fields"]
    assert active(owner) == [1]
    answer = deploy(owner, draft_id, revision, run_id, override_reason="市安委会决定试行10个工作日")
    assert answer.status_code == 201
    version = answer.get_json()["version"]
    assert active(owner) == [version] == [2]

    listed = owner.get("/api/versions").get_json()["versions"][-1]
    assert listed["override_reason"] == "市安委会决定试行10个工作日"
    assert listed["regulation_ref"] == "巡查工作制度 R3.3.4（修订）"
    assert listed["gate"]["state"] == "failed" and listed["gate"]["clauses"]["R3.3.4"]["failed"] > 0
    assert listed["created_by"] == "owner" and len(listed["content_hash"]) == 64

    after = Inspection(desk).prepare().enter()
    before.implement()
    after.implement()                               # both end fieldwork on 2025-09-26
    assert desk.instance(before.id)["version"] == 1 and desk.instance(after.id)["version"] == 2
    old_due, new_due = report_due(owner, before), report_due(owner, after)
    assert _due(owner, 15) == old_due and _due(owner, 10) == new_due


def _due(client, working_days):
    """The deadline instant of N working days after the end of fieldwork (24:00 of the day)."""
    last = client.get(f"/api/calendar/deadline?start=2025-09-26&working_days={working_days}").get_json()
    return (date.fromisoformat(last["due"]) + timedelta(days=1)).isoformat() + "T00:00:00+08:00"


def test_a_draft_changed_and_changed_back_passes_without_override(app, desk, owner):
    draft_id, revision = edit_draft(owner, (FIFTEEN, TEN), (TEN, FIFTEEN))
    run_id, gate = run_gate(app, owner, draft_id)
    assert gate["state"] == "passed" and gate["failed"] == []
    assert all(c["failed"] == 0 for c in gate["clauses"])
    answer = deploy(owner, draft_id, revision, run_id)
    assert answer.status_code == 201 and answer.get_json()["version"] == 1   # same content
    assert active(owner) == [1]


def test_a_gate_run_of_an_older_revision_does_not_count(app, desk, owner):
    draft_id, revision = edit_draft(owner, (FIFTEEN, TEN))
    run_id, _gate = run_gate(app, owner, draft_id)
    xml = owner.get(f"/api/drafts/{draft_id}").get_json()["files"][REPORT]
    saved = owner.put(f"/api/drafts/{draft_id}", json={
        "revision": revision, "files": {REPORT: xml.replace(TEN, "fieldwork_end, 11))")}}).get_json()
    stale = deploy(owner, draft_id, saved["revision"], run_id, override_reason="理由")
    assert stale.status_code == 409 and active(owner) == [1]


def test_versions_diff_download_and_rollback(app, desk, owner):
    files = _deployed_files(app, 1)
    changed = files[REPORT].replace(FIFTEEN.encode(), TEN.encode())
    _deploy_directly(app, {**files, REPORT: changed})
    assert active(owner) == [2]

    diff = owner.get("/api/versions/1/diff/2").get_json()
    assert diff["files"] == [{"path": REPORT, "change": "changed"}]
    assert [(e["id"], e["change"]) for e in diff["elements"]] == [("report_deadline", "changed")]
    assert owner.get("/api/versions/1/diff/1").get_json() == {"files": [], "elements": []}

    answer = owner.get("/api/versions/2/download")
    assert answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert archive.read(REPORT) == changed
    assert set(archive.namelist()) == set(files) | {"VERSION.json"}
    assert json.loads(archive.read("VERSION.json"))["id"] == 2

    web = Web(app, "owner")
    page = web.get("/editor/versions/diff?old=1&new=2")
    assert 'data-element="report_deadline" data-change="changed"' in page
    assert "修改：processes/inspection_report.bpmn" in text(page)
    web.post("/editor/versions/1/activate", {"note": "回退"})
    assert active(owner) == [1]
    assert desk.instance(Inspection(desk).id)["version"] == 1     # new inspections use it again
    assert "回退到此版本" in web.get("/editor/versions")
    rolled = owner.post("/api/versions/2/activate", json={"note": "再试"})
    assert rolled.status_code == 200 and active(owner) == [2]
    assert owner.post("/api/versions/99/activate", json={}).status_code == 404
    assert _audited(app, "version.rolled_back") == [{"version": 1, "previous": 2, "note": "回退"},
                                                    {"version": 2, "previous": 1, "note": "再试"}]
    assert _audited(app, "version.downloaded") == [{"version": 2}]


def _audited(app, action):
    from sqlalchemy import select

    from server.services.context import unit_of_work
    from server.store import schema
    t = schema.audit_events
    with unit_of_work(app.extensions["xuncha"]) as uow:
        return [r.detail for r in uow.conn.execute(
            select(t.c.detail).where(t.c.action == action).order_by(t.c.id))]


def _deployed_files(app, version):
    from server.services.context import unit_of_work
    from server.services.versions import version_files
    with unit_of_work(app.extensions["xuncha"]) as uow:
        return version_files(uow, version)


def _deploy_directly(app, files):
    from server.services.context import SYSTEM, unit_of_work
    from server.services.versions import deploy_version
    with unit_of_work(app.extensions["xuncha"]) as uow:
        return deploy_version(uow, SYSTEM, files, note="测试")
