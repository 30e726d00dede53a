"""The decision-table and form editors over HTTP: the form preview renders what the task page
renders or answers 422 with where the text is wrong (JSON line and column, schema paths, our
conventions); only process owners reach the editors; a sandbox escape in a table cell is kept
in the draft with its problem pinned to the rule, never deployed, and the active version stays."""
import json

import pytest

from server.engine.form_lint import lint_form
from server.engine.roles import ROLES
from server.services.form_preview import decision_ids
from server.services.versions import read_source_tree
from tests.conftest import ROOT, Desk

from tests.integration.test_editor import new_draft
from tests.integration.web_client import Api, Web, text

TABLE = "processes/team_composition.dmn"
FORM = "forms/report_submit.json"


@pytest.fixture
def api(app):
    desk = Desk(app)
    desk.add_user("owner", "process_owner")
    desk.add_user("office", "office")
    desk.add_user("reviewer", "reviewer")
    return Api(app)


@pytest.fixture
def draft_id(api):
    return new_draft(api, "组成规则调整")


def preview(api, draft_id, text, path=FORM, user="owner"):
    return api.as_(user).post(f"/api/drafts/{draft_id}/form-preview", json={"path": path, "text": text})


def files_of(api, draft_id):
    return api.as_("owner").get(f"/api/drafts/{draft_id}").get_json()["files"]


def test_a_valid_form_previews_as_the_task_page_renders_it(api, draft_id):
    form = json.loads(files_of(api, draft_id)[FORM])
    form["schema"]["properties"]["report_contact"] = {"type": "string", "title": "报告联系人"}
    answer = preview(api, draft_id, json.dumps(form, ensure_ascii=False, indent=2))
    assert answer.status_code == 200, answer.get_json()
    html = answer.get_json()["html"]
    for title in ("报告联系人", *(s["title"] for s in form["schema"]["properties"].values())):
        assert title in html
    assert 'name="report_situation"' in html and "<textarea" in html       # the ui's widget
    assert answer.get_json()["problems"] == []


def test_invalid_json_answers_422_with_line_and_column(api, draft_id):
    broken = files_of(api, draft_id)[FORM].replace('"title"', '"title" ', 1).replace(
        '": "', '" "', 1)
    answer = preview(api, draft_id, broken)
    assert answer.status_code == 422
    body = answer.get_json()
    [problem] = body["problems"]
    line = broken.splitlines().index(next(x for x in broken.splitlines() if '" "' in x)) + 1
    assert (problem["path"], problem["line"]) == ("json", line) and problem["column"] > 1
    assert f"第 {line} 行" in body["fields"]["json"] and "缺少冒号" in body["fields"]["json"]
    assert body["html"] is None


def test_schema_errors_answer_422_with_their_paths(api, draft_id):
    form = json.loads(files_of(api, draft_id)[FORM])
    form["schema"]["properties"]["report_situation"]["type"] = "strin"
    form["schema"]["required"] = "report_situation"
    text_ = json.dumps(form, ensure_ascii=False, indent=2)
    answer = preview(api, draft_id, text_)
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert "type 须为 string" in fields["schema/properties/report_situation/type"]
    assert "schema/required" in fields
    located = {p["path"]: p["line"] for p in answer.get_json()["problems"]}
    lines = text_.splitlines()
    assert '"strin"' in lines[located["schema/properties/report_situation/type"] - 1]


def test_our_own_rules_are_checked_as_you_type(api, draft_id):
    form = json.loads(files_of(api, draft_id)["forms/team_roster.json"])
    form["ui"]["fields"]["members"]["widget"] = "spreadsheet"
    form["ui"]["fields"]["size_exception_reason"]["read_roles"] = ["office", "janitor"]
    form["rules"].append({"decision": "team_size"})
    form["rules"].append({"assert": "().__class__", "message": "x", "field": "nope"})
    answer = preview(api, draft_id, json.dumps(form, ensure_ascii=False), path="forms/team_roster.json")
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert "未知的控件 spreadsheet" in fields["ui/fields/members/widget"]
    assert "未知的角色 janitor" in fields["ui/fields/size_exception_reason/read_roles/1"]
    assert "决策表 team_size 不存在" in fields["rules/1/decision"]
    assert "不安全" in fields["rules/2/assert"] and "nope" in fields["rules/2/field"]
    assert "巡查组成员" in answer.get_json()["html"]        # still previewed: the schema is fine


def test_a_decision_the_draft_no_longer_has_is_reported(api, draft_id):
    roster = files_of(api, draft_id)["forms/team_roster.json"]
    assert preview(api, draft_id, roster, path="forms/team_roster.json").status_code == 200
    revision = api.as_("owner").get(f"/api/drafts/{draft_id}").get_json()["revision"]
    api.as_("owner").put(f"/api/drafts/{draft_id}", json={"revision": revision, "files": {},
                                                          "remove": [TABLE]})
    answer = preview(api, draft_id, roster, path="forms/team_roster.json")
    assert "决策表 team_composition 不存在" in answer.get_json()["fields"]["rules/0/decision"]


def test_every_form_of_the_procedure_passes_the_editor_checks():
    files = read_source_tree(ROOT)
    decisions = decision_ids(files)
    assert {"team_composition", "leave_approver"} <= decisions
    for path, content in files.items():
        if path.startswith("forms/"):
            assert lint_form(content.decode(), decisions, ROLES)[1] == [], path


@pytest.mark.parametrize("body", [{"path": "processes/x.bpmn", "text": "{}"},
                                  {"path": "forms/../x.json", "text": "{}"},
                                  {"path": FORM, "text": 5}, {"text": "{}"}])
def test_a_preview_request_must_name_a_form_and_give_its_text(api, draft_id, body):
    answer = api.as_("owner").post(f"/api/drafts/{draft_id}/form-preview", json=body)
    assert answer.status_code == 422 and set(answer.get_json()["fields"]) <= {"path", "text"}


def test_only_process_owners_reach_the_table_and_form_editors(app, api, draft_id):
    for user in ("office", "reviewer"):
        assert preview(api, draft_id, "{}", user=user).status_code == 403
        Web(app, user).get(f"/editor/drafts/{draft_id}/tables/team_composition.dmn", status=403)
        Web(app, user).get(f"/editor/drafts/{draft_id}/forms/report_submit.json", status=403)
    assert api.anonymous().post(f"/api/drafts/{draft_id}/form-preview",
                                json={"path": FORM, "text": "{}"}).status_code == 401
    assert preview(api, 999, "{}").status_code == 404
    owner = Web(app, "owner")
    owner.get(f"/editor/drafts/{draft_id}/tables/nothing.dmn", status=404)
    owner.get(f"/editor/drafts/{draft_id}/forms/nothing.json", status=404)
    owner.get(f"/editor/drafts/999/forms/report_submit.json", status=404)


def test_the_draft_page_links_every_table_and_form(app, api, draft_id):
    owner = Web(app, "owner")
    page = owner.get(f"/editor/drafts/{draft_id}")
    assert f"/editor/drafts/{draft_id}/tables/team_composition.dmn" in page
    assert f"/editor/drafts/{draft_id}/forms/team_roster.json" in page
    assert "编辑决策表" in text(page) and "编辑表单" in text(page)
    table = owner.get(f"/editor/drafts/{draft_id}/tables/team_composition.dmn")
    assert "dmn-modeler.production.min.js" in table and 'data-path="processes/team_composition.dmn"' in table
    form = owner.get(f"/editor/drafts/{draft_id}/forms/report_submit.json")
    assert "提交巡查工作报告" in text(form) and "form-preview" in form
    assert owner.client.get("/vendor/dmn-js/dmn-modeler.production.min.js").status_code == 200


ESCAPES = [("attribute escape", "().__class__.__base__.__subclasses__()", "不安全"),
           ("import", "__import__('os').system('true')", "不安全"),
           ("syntax error", "!= (1", "语法错误")]


@pytest.mark.parametrize("case", ESCAPES, ids=[c[0] for c in ESCAPES])
def test_a_bad_table_cell_is_kept_as_a_draft_and_never_deployed(api, draft_id, case):
    _name, cell, words = case
    xml = files_of(api, draft_id)[TABLE].replace("<text>!= 1</text>", f"<text>{cell}</text>", 1)
    saved = api.as_("owner").put(f"/api/drafts/{draft_id}", json={"revision": 1, "files": {TABLE: xml}})
    assert saved.status_code == 200 and not saved.get_json()["valid"]
    problems = [p for p in saved.get_json()["problems"] if p["file"] == TABLE]
    assert [p["element"] for p in problems] == ["team_composition/rule_1"], problems
    assert words in problems[0]["message"]
    assert files_of(api, draft_id)[TABLE] == xml                       # the work is kept

    deploy = api.as_("owner").post(f"/api/drafts/{draft_id}/deploy", json={
        "revision": 2, "note": "改", "regulation_ref": "R2.1", "run_id": 1, "override_reason": "试"})
    assert deploy.status_code == 422
    assert words in deploy.get_json()["fields"][f"{TABLE}#team_composition/rule_1"]
    versions = api.as_("owner").get("/api/versions").get_json()["versions"]
    assert [v["id"] for v in versions if v["active"]] == [1] and len(versions) == 1


def test_a_stale_table_save_is_refused(api, draft_id):
    xml = files_of(api, draft_id)[TABLE]
    first = api.as_("owner").put(f"/api/drafts/{draft_id}", json={
        "revision": 1, "files": {TABLE: xml.replace("&lt; 6", "&lt; 5")}})
    assert first.status_code == 200
    stale = api.as_("owner").put(f"/api/drafts/{draft_id}", json={"revision": 1, "files": {TABLE: xml}})
    assert stale.status_code == 409
    assert "&lt; 5" in files_of(api, draft_id)[TABLE]
