"""The decision-table and form editors in a real browser.

- Every decision table of the procedure survives dmn-js: opened and saved unchanged, the file
  is the same XML (comments, hit policy, Python-expression cells) and the draft still loads.
- Issue #6 "done means": a process owner lowers the minimum team size from 6 to 5 in the
  team-composition table, saves, deploys over the gate (R2.1 scenarios only, GATE_TAGS), and a
  new inspection accepts a roster of 5 and refuses one of 4 with the table's message — no code
  change.
- A sandbox escape typed into a cell is listed with its decision and rule and marks the row.
- The form editor: a field added shows in the live preview, an invalid type is reported while
  typing, the form is saved into the draft.
"""
import json
import re

import pytest
from lxml import etree

from server.engine.bundle import load_bundle
from tests.conftest import ROOT
from tests.integration.test_decisions import FIVE, roster_answer
from tests.integration.web_client import Api

from .conftest import log_in, missing

DMN_JS = ROOT / "node_modules" / "dmn-js" / "dist" / "dmn-modeler.production.min.js"
TABLE = "processes/team_composition.dmn"
# dmn-js's bundle carries Inferno's development build, which says so with console.error.
INFERNO = r"minified copy of the development build of Inferno"


@pytest.fixture
def dmn_assets():
    if not DMN_JS.exists():
        missing(f"dmn-js ({DMN_JS.relative_to(ROOT)})", "npm ci  (or: make install)")


@pytest.fixture
def owner_desk(live_app, desk):
    live_app.config["GATE_TAGS"] = "R2.1"
    desk.add_user("owner", "process_owner")
    return desk


def new_draft(page, server, name):
    log_in(page, server, "owner")
    page.goto(f"{server.url}/editor")
    page.fill("input[name=name]", name)
    page.click("button:has-text('新建草稿')")
    page.wait_for_selector("#editor[data-state=ready]")
    return int(re.search(r"/editor/drafts/(\d+)", page.url).group(1))


def open_table(page, path):
    page.click(f"a[data-file='{path}']")
    page.wait_for_selector("#dmn-editor[data-state=ready]")


def replace_text(page, selector, text):
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def canonical(xml):
    """The document as C14N with comments, whitespace-only text between elements dropped."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(remove_blank_text=True))
    return etree.tostring(root.getroottree(), method="c14n", with_comments=True)


def test_every_decision_table_survives_a_round_trip_through_dmn_js(page, console, live_server,
                                                                     owner_desk, dmn_assets):
    console.allow(INFERNO)
    draft_id = new_draft(page, live_server, "决策表往返")
    api = Api(live_server.app).as_("owner")
    original = api.get(f"/api/drafts/{draft_id}").get_json()["files"]
    tables = sorted(p for p in original if p.endswith(".dmn"))
    assert len(tables) == 5
    for number, path in enumerate(tables, start=2):
        page.goto(f"{live_server.url}/editor/drafts/{draft_id}")
        open_table(page, path)
        page.click("#save")                          # nothing edited: the export is saved
        page.wait_for_selector(f"#dmn-editor[data-revision='{number}']")
        assert "校验通过" in page.inner_text("#status")
        saved = api.get(f"/api/drafts/{draft_id}").get_json()["files"][path]
        assert saved.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!--')   # the notes
        assert canonical(saved) == canonical(original[path]), path
    files = {p: c.encode() for p, c in api.get(f"/api/drafts/{draft_id}").get_json()["files"].items()}
    assert load_bundle(files).decisions.keys() >= {"team_composition", "leave_approver"}


def test_owner_lowers_the_minimum_team_size_and_new_inspections_follow_it(page, console, live_server,
                                                                          owner_desk, dmn_assets):
    console.allow(INFERNO)
    console.allow(r"status of 422 .*/deploy")          # the deploy refused without a reason
    assert roster_answer(owner_desk, FIVE) == {"size_exception_reason": "不足6人须填写例外理由"}
    new_draft(page, live_server, "巡查组最少5人")
    open_table(page, TABLE)

    page.dblclick("th[data-col-id=in_small] .input-label")     # the column "不足6人（专家不计）"
    page.click(".context-menu [aria-label='输入表达式']")
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("5")
    replace_text(page, ".context-menu [aria-label='输入标签']", "不足5人（专家不计）")
    page.keyboard.press("Escape")
    for rule, message in (("rule_5", "不足5人须填写例外理由"), ("rule_6", "巡查组不足5人，须明确批准例外")):
        replace_text(page, f"td[data-element-id={rule}_out_2] [contenteditable]", f'"{message}"')
    page.click("h1")                                   # leave the cell: the edit is committed
    page.wait_for_selector("th[data-col-id=in_small]:has-text('不足5人（专家不计）')")
    edited = page.inner_text("td[data-element-id=rule_6_out_2]")
    assert "巡查组不足5人" in edited
    page.click("#undo")                                # dmn-js's command stack
    assert page.inner_text("td[data-element-id=rule_6_out_2]") != edited
    page.click("#redo")
    assert page.inner_text("td[data-element-id=rule_6_out_2]") == edited
    page.click("#save")
    page.wait_for_selector("#dmn-editor[data-revision='2']")
    assert "校验通过" in page.inner_text("#status")

    page.click("#deploy-link")
    page.click("#run-gate")
    page.wait_for_selector("#deploy[data-gate-state=passed], #deploy[data-gate-state=failed]",
                           timeout=180_000)
    page.fill("#note", "巡查组成员（不含专家）最少5人")
    page.fill("#regulation_ref", "巡查工作制度 R2.1（修订）")
    if page.get_attribute("#deploy", "data-gate-state") == "failed":     # the 6-person scenarios
        page.fill("#override_reason", "市安委会决定巡查组最少5人")
    page.click("#deploy-button")
    page.wait_for_url("**/editor/versions?deployed=2")
    assert "当前" in page.inner_text("#version-2")

    assert roster_answer(owner_desk, FIVE) == {}                          # 5 counted: accepted
    four = [m for m in FIVE if m["username"] != "team_member3"]             # 4 counted: refused
    assert roster_answer(owner_desk, four) == {"size_exception_reason": "不足5人须填写例外理由"}


def test_a_sandbox_escape_in_a_cell_is_listed_with_its_rule_and_marks_the_row(page, console,
                                                                              live_server, owner_desk,
                                                                              dmn_assets):
    console.allow(INFERNO)
    draft_id = new_draft(page, live_server, "单元格检查")
    open_table(page, TABLE)
    replace_text(page, "td[data-element-id=rule_1_in_0] [contenteditable]", "__import__('os')")
    page.click("#save")
    page.wait_for_selector("#dmn-editor[data-revision='2']")
    problem = page.inner_text("#problems li[data-element='team_composition/rule_1']")
    assert "第 1 条规则（须有且仅有1名组长）" in problem and "不安全" in problem
    marked = page.eval_on_selector_all("#table tr.has-problem [data-row-id]",
                                       "cells => [...new Set(cells.map(c => c.dataset.rowId))]")
    assert marked == ["rule_1"]
    # On the draft page the same problem is listed; choosing it opens the table's editor.
    page.goto(f"{live_server.url}/editor/drafts/{draft_id}")
    page.wait_for_selector("#editor[data-state=ready]")
    page.click(f"#problems li[data-file='{TABLE}'] button")
    page.wait_for_selector("#dmn-editor[data-state=ready]")
    assert f"/editor/drafts/{draft_id}/tables/team_composition" in page.url


def test_the_form_editor_previews_reports_errors_as_you_type_and_saves(page, console, live_server,
                                                                       owner_desk):
    draft_id = new_draft(page, live_server, "报告表单加联系人")
    page.click("summary:has-text('表单')")
    page.click("a[data-file='forms/report_submit.json']")
    page.wait_for_selector("#form-editor[data-check=valid]")
    assert "巡查工作报告" in page.inner_text("#preview")
    form = json.loads(page.input_value("#form-text"))

    form["schema"]["properties"]["report_contact"] = {"type": "strin", "title": "报告联系人"}
    page.fill("#form-text", json.dumps(form, ensure_ascii=False, indent=2))
    page.wait_for_selector("#form-editor[data-check=invalid]")
    error = page.inner_text("#form-errors li[data-path='schema/properties/report_contact/type']")
    assert "type 须为 string" in error and "第 " in error
    console.allow(r"status of 422 .*/form-preview")

    page.press("#form-text", "Control+End")       # a JSON syntax error points at its line
    page.keyboard.type(",")
    page.wait_for_selector("#form-errors li[data-path=json]")
    assert "JSON 语法错误" in page.inner_text("#form-errors")

    form["schema"]["properties"]["report_contact"]["type"] = "string"
    page.fill("#form-text", json.dumps(form, ensure_ascii=False, indent=2))
    page.wait_for_selector("#form-editor[data-check=valid]")
    assert page.is_visible("#preview label:has-text('报告联系人')")
    assert page.inner_text("#form-error-count") == "（无）"

    page.click("#save")
    page.wait_for_selector("#form-editor[data-revision='2']")
    assert "校验通过" in page.inner_text("#status")
    saved = Api(live_server.app).as_("owner").get(f"/api/drafts/{draft_id}").get_json()
    assert json.loads(saved["files"]["forms/report_submit.json"])["schema"]["properties"][
        "report_contact"]["title"] == "报告联系人"
