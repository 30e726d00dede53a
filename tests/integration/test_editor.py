"""The process owners' drafts over HTTP: only process owners, a draft copies every file of a
version, saves are optimistic (409 when stale) and validated every time with each problem
pinned to its element; invalid content is never deployed and the active version stays."""
import pytest
from sqlalchemy import select

from server.services.context import unit_of_work
from server.services.versions import active_version
from server.store import schema
from tests.conftest import Desk

from tests.integration.web_client import Api, Web, text

REPORT = "processes/inspection_report.bpmn"


@pytest.fixture
def api(app):
    desk = Desk(app)
    desk.add_user("owner", "process_owner")
    desk.add_user("office", "office")
    return Api(app)


def new_draft(api, name="报告期限调整"):
    answer = api.as_("owner").post("/api/drafts", json={"name": name})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def draft(api, draft_id):
    return api.as_("owner").get(f"/api/drafts/{draft_id}").get_json()


def save(api, draft_id, files, revision=None):
    revision = draft(api, draft_id)["revision"] if revision is None else revision
    return api.as_("owner").put(f"/api/drafts/{draft_id}", json={"revision": revision, "files": files})


def audit_actions(app):
    with unit_of_work(app.extensions["xuncha"]) as uow:
        return [r.action for r in uow.conn.execute(select(schema.audit_events.c.action))]


def test_only_process_owners_reach_drafts_and_versions(app, api):
    draft_id = new_draft(api)
    office = api.as_("office")
    for method, url in (("get", "/api/drafts"), ("post", "/api/drafts"), ("get", f"/api/drafts/{draft_id}"),
                        ("put", f"/api/drafts/{draft_id}"), ("post", f"/api/drafts/{draft_id}/deploy"),
                        ("get", "/api/versions"), ("get", "/api/versions/1/download"),
                        ("post", "/api/versions/1/activate")):
        answer = getattr(office, method)(url, json={})
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert api.anonymous().open(url, method=method.upper(), json={}).status_code == 401
    Web(app, "office").get("/editor", status=403)
    Web(app, "office").get(f"/editor/drafts/{draft_id}", status=403)
    assert "流程编辑" not in Web(app, "office").get("/instances")
    assert "流程编辑" in Web(app, "owner").get("/editor")


def test_a_draft_copies_every_file_and_saves_are_optimistic(app, api):
    draft_id = new_draft(api)
    found = draft(api, draft_id)
    with unit_of_work(app.extensions["xuncha"]) as uow:
        version = active_version(uow)
        stored = {r.path for r in uow.conn.execute(select(schema.version_files.c.path).where(
            schema.version_files.c.version_id == version))}
    assert set(found["files"]) == stored and len(stored) > 40
    assert (found["revision"], found["base_version"], found["valid"]) == (1, version, True)

    changed = found["files"][REPORT].replace("fieldwork_end, 15", "fieldwork_end, 10")
    answer = save(api, draft_id, {REPORT: changed}, revision=1)
    assert answer.status_code == 200 and answer.get_json()["revision"] == 2
    assert answer.get_json()["problems"] == []
    assert "fieldwork_end, 10" in draft(api, draft_id)["files"][REPORT]

    stale = save(api, draft_id, {REPORT: found["files"][REPORT]}, revision=1)
    assert stale.status_code == 409 and "revision" in stale.get_json()["fields"]
    assert "fieldwork_end, 10" in draft(api, draft_id)["files"][REPORT]     # nothing lost
    assert save(api, draft_id, {"../etc/passwd": "x"}).status_code == 422
    assert {"draft.created", "draft.saved"} <= set(audit_actions(app))


def mini_edit(old, new):
    return lambda files: {REPORT: files[REPORT].replace(old, new, 1)}


SCRIPT = 'report_channel_open = False'
# (what is wrong, edit of the draft files, element the problem is pinned to or None, words)
INVALID = [
    ("malformed XML", lambda f: {REPORT: f[REPORT][:-200]}, None, "XML"),
    ("external entity", lambda f: {REPORT: f[REPORT].replace(
        "?>", '?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)}, None, "DOCTYPE"),
    ("billion laughs", lambda f: {REPORT: f[REPORT].replace(
        "?>", '?><!DOCTYPE d [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', 1)},
     None, "DOCTYPE"),
    ("sandbox escape in a script", mini_edit(SCRIPT, "x = ().__class__.__base__.__subclasses__()"),
     "set_status_reporting", "不安全"),
    ("timer that does not compile", mini_edit("fieldwork_end, 15))", "fieldwork_end, 15)"),
     "report_deadline", "语法错误"),
    ("unknown lane role", mini_edit('name="巡查组组长"', 'name="保洁员"'), "submit_report", "保洁员"),
    ("user task without a form", mini_edit('<spiffworkflow:property name="formJsonSchemaFilename" '
                                           'value="report_submit.json" />', ""),
     "submit_report", "未指定表单"),
    ("unreachable element", mini_edit('targetRef="consolidate_merge" />', 'targetRef="end_report" />'),
     "consolidate_merge", "不可达"),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_content_is_pinned_to_its_element_and_never_deployed(app, api, case):
    _name, edit, element, words = case
    draft_id = new_draft(api)
    answer = save(api, draft_id, edit(draft(api, draft_id)["files"]))
    assert answer.status_code == 200                # the draft keeps the work, with its problems
    problems = answer.get_json()["problems"]
    assert not answer.get_json()["valid"]
    assert any(p["file"] == REPORT and p["element"] == element and words in p["message"]
               for p in problems), problems
    assert draft(api, draft_id)["problems"] == problems
    assert api.as_("owner").post(f"/api/drafts/{draft_id}/validate").get_json()["problems"] == problems

    deploy = api.as_("owner").post(f"/api/drafts/{draft_id}/deploy", json={
        "revision": 2, "note": "改", "regulation_ref": "R3.3.4", "run_id": 1,
        "override_reason": "试试"})
    assert deploy.status_code == 422
    key = f"{REPORT}#{element}" if element else REPORT
    assert words in deploy.get_json()["fields"][key]
    assert [v["id"] for v in api.as_("owner").get("/api/versions").get_json()["versions"]
            if v["active"]] == [1]


def test_deploy_needs_a_note_a_regulation_reference_and_a_gate_run(api):
    draft_id = new_draft(api)
    answer = api.as_("owner").post(f"/api/drafts/{draft_id}/deploy", json={"revision": 1})
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"note", "regulation_ref"}
    answer = api.as_("owner").post(f"/api/drafts/{draft_id}/deploy", json={
        "revision": 1, "note": "改", "regulation_ref": "R3.3.4"})
    assert answer.status_code == 422 and "run_id" in answer.get_json()["fields"]


def test_editor_pages_for_a_process_owner(app, api):
    draft_id = new_draft(api)
    web = Web(app, "owner")
    page = web.get(f"/editor/drafts/{draft_id}")
    assert "bpmn-modeler.production.min.js" in page and 'value="processes/inspection_report.bpmn"' in page
    assert "team_leader" in page and "report_submit.json" in page        # roles and forms offered
    assert "运行场景门禁" in text(web.get(f"/editor/drafts/{draft_id}/deploy"))
    assert "报告期限调整" in text(web.get("/editor"))
    created = web.post("/editor/drafts", {"name": "新草稿"})
    assert "/editor/drafts/" in created.headers["Location"]
    web.post(f"/editor/drafts/{draft_id}/delete")
    assert draft_id not in [d["id"] for d in api.as_("owner").get("/api/drafts").get_json()["drafts"]]
    web.post("/editor/drafts", {"name": "x"}, csrf=False, status=400)
