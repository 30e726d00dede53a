"""The task page on the real forms: every widget kind rendered accessibly, errors beside the
fields with the input kept, valid submissions completing the task, drafts, repeating groups
without JavaScript, file uploads, and fields hidden by their form's read_roles."""
import copy
import hashlib
import re

import pytest

from server.engine.forms import parse_form
from server.services import instances, tasks
from server.services.context import Actor, unit_of_work
from server.services.samples import ROSTER, SAMPLES
from server.web import forms_render
from tests.conftest import ROOT, Desk
from tests.integration.web_client import Web, element, inner, text

STAFF = [("office", "office", None), ("leader", "commission_leader", None), ("admin", "admin", None),
         ("shanxian", "target", "shanxian"), ("caoxian", "target", "caoxian")]
TEAM = {"leader": "team_leader", "deputy": "team_deputy", "expert": "expert"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def staff(app):
    desk = Desk(app)
    for username, role, org in STAFF:
        desk.add_user(username, role, org=org)
    for member in ROSTER:
        desk.add_user(member["username"], TEAM.get(member["role"], "team_member"))
    desk.set_clock("2025-06-02T09:00:00+08:00")
    return desk


class Case:
    """One inspection of 单县 moved on with the sample data."""

    def __init__(self, desk):
        self.desk = desk
        self.id = desk.start("office", "单县")

    def do(self, username, name, **values):
        task = self.desk.task(username, name, self.id)
        self.desk.complete(username, name, copy.deepcopy(SAMPLES[task["form"]]) | values, self.id)

    def task(self, username, name):
        return self.desk.task(username, name, self.id)

    def to_roster(self):
        self.do("office", "制定巡查工作方案")
        return self

    def to_notice_receipt(self):
        self.to_roster()
        for username, name in (("office", "拟定巡查组名单"), ("leader", "审批巡查组名单"),
                               ("office", "发送巡查告知书")):
            self.do(username, name)
        return self

    def to_announcement(self):
        self.to_notice_receipt()
        self.do("shanxian", "签收巡查告知书")
        self.do("office", "组织集中培训")
        return self

    def to_fieldwork(self):
        self.to_announcement()
        self.do("team_leader", "发布巡查公告")
        return self

    def to_report(self):
        self.to_fieldwork()
        self.do("team_member1", "登记巡查工作记录")
        self.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
        return self

    def public_report(self, **values):
        office = self.desk.actor("office")
        with unit_of_work(self.desk.services) as uow:
            instances.receive_public_report(uow, office, self.id, {
                "report_channel": "phone", "report_anonymous": False,
                "report_subject": "某化工企业", "report_content": "夜间违规生产", **values})


def labelled(page, field_id):
    """The input has a <label for> (or is a group with a legend) and its help is tied to it."""
    return f'for="{field_id}"' in page


# -- rendering --------------------------------------------------------------------------------

def test_team_roster_renders_a_repeating_group_with_selects_and_checkboxes(app, staff):
    case = Case(staff).to_roster()
    task = case.task("office", "拟定巡查组名单")
    page = Web(app, "office").get(f"/tasks/{task['id']}")
    # The task's facts: clause IDs, stage, due date; the form's Chinese title.
    facts = text(page[page.index('id="facts-title"'):])
    for clause in task["clauses"]:
        assert clause in facts
    assert "准备" in facts and "拟定巡查组名单" in text(page)
    # The group, its help tied to it, the required mark, an empty row template and the add button.
    group = element(page, "f-members")
    assert 'data-group="members"' in group and 'aria-describedby="f-members-help"' in group
    assert "R2.1" in inner(page, "f-members-help")
    assert 'id="f-members-template"' in page and 'name="members-__i__-role"' in page
    assert 'value="add:members"' in page and "增加一行" in page
    assert re.search(r'<option value="leader"\s*>组长</option>', page)
    assert 'name="members-__i__-declared" value="true"' in page       # a boolean checkbox
    assert labelled(page, "f-size_exception_reason") and "<textarea" in page
    assert 'class="req"' in page                                        # required marks


def test_announcement_renders_text_email_date_select_multiselect_and_file(app, staff):
    case = Case(staff).to_announcement()
    task = case.task("team_leader", "发布巡查公告")
    page = Web(app, "team_leader").get(f"/tasks/{task['id']}")
    assert 'type="email"' in element(page, "f-mailbox")
    assert 'type="date"' in element(page, "f-entry_date")
    hotline = element(page, "f-hotline")                   # a phone keypad; not the user's own
    assert 'type="tel"' in hotline and 'inputmode="tel"' in hotline   # number to autofill
    assert 'autocomplete="off"' in hotline
    assert "aria-describedby=\"f-hotline-help\"" in element(page, "f-hotline")
    assert inner(page, "f-hotline-help") == "设立并公布的举报电话"
    # A select with its default chosen, labels from x-enumNames.
    assert re.search(r'<option value="onsite_posting" selected>现场张贴</option>', page)
    # A multi-select as checkboxes, defaults checked.
    assert re.search(r'name="work_methods" value="listen_report" checked> 听取汇报', page)
    assert re.search(r'name="work_methods" value="covert_visit" > 暗查暗访', page)
    # A file field: an upload input with the allowed types.
    upload = element(page, "f-announcement_file")
    assert 'type="file"' in upload and 'name="announcement_file-upload"' in upload
    assert ".pdf" in upload and "multiple" in upload


def test_work_record_renders_rows_nested_lists_and_a_boolean(app, staff):
    case = Case(staff).to_fieldwork()
    task = case.task("team_member1", "登记巡查工作记录")
    page = Web(app, "team_member1").get(f"/tasks/{task['id']}")
    for group in ("records", "findings", "clues"):
        assert f'data-group="{group}"' in page
    assert 'name="findings-__i__-severity"' in page and "重大隐患" in page
    assert 'name="records-__i__-evidence"' in page          # a list inside a row: one per line
    assert 'type="date"' in page
    assert 'type="checkbox"' in element(page, "f-obstruction")
    assert element(page, "f-obstruction_type").startswith("<select")
    assert "R4.2.1" in inner(page, "f-obstruction-help")


def test_the_liaison_phone_is_a_telephone_input_checked_only_by_its_schema(app, staff):
    case = Case(staff).to_notice_receipt()
    task = case.task("shanxian", "签收巡查告知书")
    web = Web(app, "shanxian")
    phone = element(web.get(f"/tasks/{task['id']}"), "f-notice_liaison_phone")
    assert 'type="tel"' in phone and 'inputmode="tel"' in phone and 'autocomplete="tel"' in phone
    # The schema has no pattern for it: what is typed is kept as typed.
    web.post(f"/tasks/{task['id']}", {
        "notice_received_date": "2025-06-05", "notice_receiver_name": "刘洋",
        "notice_receiver_post": "县应急局局长", "notice_liaison_phone": "0530-4620000 转 8",
        "action": "submit"})
    case.do("office", "组织集中培训")                        # the preparation stage ends
    assert staff.instance(case.id)["data"]["notice_liaison_phone"] == "0530-4620000 转 8"


def test_a_receipt_shows_what_it_signs_for_before_the_form(app, staff):
    case = Case(staff).to_notice_receipt()
    task = case.task("shanxian", "签收巡查告知书")
    page = Web(app, "shanxian").get(f"/tasks/{task['id']}")
    context = page[page.index('<aside class="card task-context"'):page.index('id="task-form"')]
    # The notice first, open, in the notice's words; the rest of the data folded below it.
    first = text(context[:context.index("<details")])
    assert first.startswith("办理前请阅读 印发日期 2025-09-01")
    assert "巡查内容 全面巡查安全生产八个方面工作" in first and "需提供的材料清单" in first
    assert "巡查组成员" not in first
    rest = context[context.index("<details"):]
    assert rest.startswith("<details>") and "巡查组成员" in text(rest)   # folded, not open
    assert re.search(r"其他已有信息（\d+ 项）", text(rest))
    assert 'href="#task-form"' in context                       # on a phone: on to the form
    # A task without anything to read first keeps the data folded, beside the form.
    task = case.task("office", "组织集中培训")
    page = Web(app, "office").get(f"/tasks/{task['id']}")
    assert "办理前请阅读" not in page and re.search(r"<details>\s*<summary>巡查已有信息", page)


def test_long_texts_in_rows_are_textareas_and_keep_their_lines(app, staff):
    case = Case(staff).to_fieldwork()
    task = case.task("team_member1", "登记巡查工作记录")
    web = Web(app, "team_member1")
    page = web.get(f"/tasks/{task['id']}")
    template = page[page.index('id="f-findings-template"'):]
    for name in ("description", "recommendation"):
        found = re.search(rf'<textarea id="f-findings-__i__-{name}" name="findings-__i__-{name}"'
                          rf' rows="(\d)"', template)
        assert found and found.group(1) == "3"            # a few lines in a row, not a page
    assert re.search(r'<div class="form-field wide">\s*<label for="f-findings-__i__-description"',
                     template)                           # the full width of the row
    assert '<input type="text" id="f-findings-__i__-subject"' not in template   # short ones stay
    assert re.search(r'<input type="text" id="f-clues-__i__-subject"', page)
    form = {"findings-0-category": "C5", "findings-0-severity": "general",
            "findings-0-description": "隐患排查台账不全\r\n部分企业未建档", "action": "draft"}
    web.post(f"/tasks/{task['id']}", form, status=302)
    page = web.get(f"/tasks/{task['id']}")
    assert element(page, "f-findings-0-description").startswith("<textarea")
    assert inner(page, "f-findings-0-description") == "隐患排查台账不全\n部分企业未建档"


def test_a_long_string_is_a_textarea_unless_its_hints_say_else():
    schema = {"type": "object", "properties": {
        "note": {"type": "string", "title": "说明", "maxLength": 500},
        "code": {"type": "string", "title": "编号", "maxLength": 500},
        "name": {"type": "string", "title": "名称", "maxLength": 50}}}
    built = forms_render.build(schema, {"fields": {"code": {"widget": "text"}}}, {})
    assert [f.kind for f in built.fields] == ["textarea", "text", "text"]


def test_report_submit_renders_textareas_and_a_required_file_field(app, staff):
    case = Case(staff).to_report()
    task = case.task("team_leader", "提交巡查工作报告")
    page = Web(app, "team_leader").get(f"/tasks/{task['id']}")
    for name in ("report_situation", "report_problems", "report_causes"):
        assert element(page, f"f-{name}").startswith("<textarea")
    assert 'aria-required="true"' in element(page, "f-report_situation")
    assert 'type="file"' in element(page, "f-report_file")
    # The deadline of R3.3.4: due 2025-10-24T00:00+08:00, shown as its last day.
    assert "2025-10-23" in text(page[page.index('id="facts-title"'):])
    assert "R3.3.4" in text(page)


# -- submitting -------------------------------------------------------------------------------

ANNOUNCEMENT = {"announcement_content": "市安全生产巡查组进驻单县", "hotline": "0530-5310000",
                "mailbox": "xuncha@heze.gov.cn", "entry_date": "2025-09-08",
                "announcement_channel": "website", "report_hours": "工作日 8:30—17:30",
                "work_methods": ["listen_report", "accept_reports"], "action": "submit"}


def test_errors_are_shown_beside_the_fields_and_the_input_is_kept(app, staff):
    case = Case(staff).to_announcement()
    task = case.task("team_leader", "发布巡查公告")
    web = Web(app, "team_leader")
    bad = dict(ANNOUNCEMENT, hotline="abc", mailbox="", announcement_content="进驻<单县>")
    answer = web.post(f"/tasks/{task['id']}", bad, status=422)
    page = answer.get_data(as_text=True)
    assert inner(page, "f-hotline-error") == "格式不正确"
    assert inner(page, "f-mailbox-error") == "此项为必填项"
    hotline = element(page, "f-hotline")
    assert 'value="abc"' in hotline and 'aria-invalid="true"' in hotline
    assert "f-hotline-error" in hotline                       # aria-describedby names the error
    assert "进驻&lt;单县&gt;" in page                          # kept, and escaped
    assert re.search(r'name="work_methods" value="accept_reports" checked', page)
    assert re.search(r'name="work_methods" value="review_documents" >', page)  # unticked stays so
    assert 'href="#f-hotline"' in page                        # the summary links to the field
    assert staff.task("team_leader", "发布巡查公告")["id"] == task["id"]   # still open


def test_nested_errors_map_to_their_row(app, staff):
    case = Case(staff).to_roster()
    task = case.task("office", "拟定巡查组名单")
    web = Web(app, "office")
    form = {"action": "submit"}
    for i, member in enumerate(ROSTER):
        for key, value in member.items():
            form[f"members-{i}-{key}"] = "true" if value is True else value
    form["members-2-home_unit"] = ""                                  # row 3 misses a required cell
    page = web.post(f"/tasks/{task['id']}", form, status=422).get_data(as_text=True)
    assert inner(page, "f-members-2-home_unit-error") == "此项为必填项"
    assert 'value="王强"' in element(page, "f-members-2-name")         # the row kept its values
    assert "巡查组成员 第 3 项 · 所在单位" in text(page)                # and the summary names it


def test_a_valid_submission_completes_the_task(app, staff):
    case = Case(staff).to_announcement()
    task = case.task("team_leader", "发布巡查公告")
    web = Web(app, "team_leader")
    page = web.follow(web.post(f"/tasks/{task['id']}", ANNOUNCEMENT))
    assert "已提交：发布巡查公告" in page
    assert all(t["id"] != task["id"] for t in staff.inbox("team_leader"))
    data = staff.instance(case.id)["data"]
    assert data["work_methods"] == ["listen_report", "accept_reports"]
    assert (data["hotline"], data["entry_date"], data["announcement_channel"]) == (
        "0530-5310000", "2025-09-08", "website")
    assert data["report_channel_open"] is True                     # the process went on


def test_a_roster_typed_into_rows_completes_and_the_leader_gets_the_approval(app, staff):
    case = Case(staff).to_roster()
    task = case.task("office", "拟定巡查组名单")
    form = {"action": "submit"}
    # Rows may come with gaps in their numbers (rows removed in the browser); order is kept.
    for i, member in zip(range(0, 3 * len(ROSTER), 3), ROSTER):
        for key, value in member.items():
            form[f"members-{i}-{key}"] = "true" if value is True else value
    Web(app, "office").post(f"/tasks/{task['id']}", form)
    members = staff.instance(case.id)["data"]["members"]
    assert [m["username"] for m in members] == [m["username"] for m in ROSTER]
    assert members[0]["declared"] is True and members[0]["kinship_conflict"] is False
    assert staff.task("leader", "审批巡查组名单")


def test_rows_are_added_and_removed_without_javascript(app, staff):
    case = Case(staff).to_roster()
    task = case.task("office", "拟定巡查组名单")
    web = Web(app, "office")
    url = f"/tasks/{task['id']}"
    web.post(url, {"action": "add:members"})
    web.post(url, {"action": "add:members", "members-0-name": "张明"})
    page = web.get(url)
    assert 'value="张明"' in element(page, "f-members-0-name")
    assert 'id="f-members-1-name"' in page and 'id="f-members-2-name"' not in page
    web.post(url, {"action": "remove:members:0", "members-0-name": "张明",
                   "members-1-name": "李华"})
    page = web.get(url)
    assert 'value="李华"' in element(page, "f-members-0-name")
    assert 'id="f-members-1-name"' not in page


def test_drafts_save_and_reload_and_are_dropped_on_completion(app, staff):
    case = Case(staff).to_announcement()
    task = case.task("team_leader", "发布巡查公告")
    web = Web(app, "team_leader")
    url = f"/tasks/{task['id']}"
    page = web.follow(web.post(url, {"action": "draft", "hotline": "not checked yet",
                                     "work_methods": ["spot_check"]}))
    assert "草稿已保存" in page
    page = web.get(url)
    assert 'value="not checked yet"' in element(page, "f-hotline")
    assert re.search(r'name="work_methods" value="spot_check" checked', page)
    assert re.search(r'name="work_methods" value="listen_report" >', page)
    assert "team_leader" in text(page) and "保存的草稿" in text(page)
    # The API's draft is the same draft.
    api = app.test_client()
    api.post("/api/session", json={"username": "team_leader", "password": "secret"})
    assert api.get(f"/api/tasks/{task['id']}/draft").get_json()["data"]["hotline"] == \
        "not checked yet"
    assert api.put(f"/api/tasks/{task['id']}/draft",
                   json={"data": {"hotline": "0530-1", "not_a_field": 1}}).status_code == 200
    assert 'value="0530-1"' in element(web.get(url), "f-hotline")
    web.post(url, ANNOUNCEMENT)
    assert api.get(f"/api/tasks/{task['id']}/draft").get_json()["data"] is None
    assert api.put(f"/api/tasks/{task['id']}/draft", json={"data": {}}).status_code == 409
    with staff.services.engine.connect() as conn:
        from server.store.schema import task_drafts
        assert conn.execute(task_drafts.select()).all() == []


def test_uploading_a_report_file_and_submitting_in_one_go(app, staff):
    case = Case(staff).to_report()
    task = case.task("team_leader", "提交巡查工作报告")
    web = Web(app, "team_leader")
    url = f"/tasks/{task['id']}"
    form = {key: value for key, value in SAMPLES["report_submit.json"].items()
            if key != "report_file"}
    # First without the file: the required file field is reported beside it.
    page = web.post(url, dict(form, action="submit"), status=422).get_data(as_text=True)
    assert inner(page, "f-report_file-error") == "此项为必填项"
    # A wrong type is refused beside the field; the rest is kept.
    page = web.post(url, dict(form, action="submit", **{
        "report_file-upload": (__import__("io").BytesIO(b"MZ..."), "report.exe")}),
        status=422, content_type="multipart/form-data").get_data(as_text=True)
    assert "report.exe：仅允许上传" in inner(page, "f-report_file-error")
    assert "总体情况" in page
    # With a PDF it completes, and the report links the stored file.
    web.post(url, dict(form, action="submit", **{
        "report_file-upload": (__import__("io").BytesIO(PDF), "巡查报告.pdf")}),
        content_type="multipart/form-data")
    data = staff.instance(case.id)["data"]
    (attachment_id,) = data["report_file"]
    answer = web.client.get(f"/api/attachments/{attachment_id}")
    assert answer.status_code == 200 and answer.data == PDF
    assert answer.headers["ETag"].strip('"') == hashlib.sha256(PDF).hexdigest()
    # The next task's page links the report among the inspection's data.
    office = Web(app, "office")
    consolidate = staff.task("office", "汇总巡查报告", case.id)
    page = office.get(f"/tasks/{consolidate['id']}")
    assert f'href="/api/attachments/{attachment_id}"' in page and "巡查报告.pdf" in page


def test_a_task_claimed_by_someone_else_is_shown_but_not_workable(app, staff):
    case = Case(staff).to_roster()
    task = case.task("office", "拟定巡查组名单")
    staff.add_user("office2", "office")
    Web(app, "office2").post(f"/tasks/{task['id']}/claim", {"next": f"/tasks/{task['id']}"})
    page = Web(app, "office").get(f"/tasks/{task['id']}")
    assert "该任务已由 office2 认领" in page
    assert '<fieldset class="plain" disabled>' in page
    answer = Web(app, "office").post(f"/tasks/{task['id']}", {"action": "submit"}, status=409)
    assert "office2" in answer.get_data(as_text=True)


def test_out_of_scope_task_pages_answer_404(app, staff):
    case = Case(staff).to_announcement()
    task = case.task("team_leader", "发布巡查公告")
    assert Web(app, "caoxian").client.get(f"/tasks/{task['id']}").status_code == 404
    assert Web(app, "shanxian").client.get(f"/tasks/{task['id']}").status_code == 403
    assert Web(app, "office").client.get("/tasks/nope").status_code == 404


# -- visibility by read_roles -----------------------------------------------------------------

def test_reporter_identity_is_shown_only_to_the_roles_the_form_names(app, staff):
    case = Case(staff).to_fieldwork()
    case.public_report(reporter_name="李四", reporter_contact="13800000000")
    triage = case.task("team_leader", "处理群众举报")
    page = Web(app, "team_leader").get(f"/tasks/{triage['id']}")
    # The team leader (named in read_roles) reads them, as read-only values, not inputs.
    assert inner(page, "f-reporter_name") == "李四"
    assert element(page, "f-reporter_name").startswith("<div")
    assert 'name="reporter_name"' not in page and 'name="report_content"' not in page
    assert inner(page, "f-report_channel") == "电话"
    # A team member working on the same inspection never sees them, on the page or in the API.
    record = case.task("team_member1", "登记巡查工作记录")
    member = Web(app, "team_member1")
    page = member.get(f"/tasks/{record['id']}")
    assert "李四" not in page and "13800000000" not in page
    assert "夜间违规生产" in page                       # the rest of the report is not secret
    api = app.test_client()
    api.post("/api/session", json={"username": "team_member1", "password": "secret"})
    shown = api.get(f"/api/tasks/{record['id']}").get_json()
    assert "reporter_name" not in shown["data"] and shown["data"]["report_content"] == "夜间违规生产"
    assert shown["stage"] == "实施" and "R3.3.3" in shown["clauses"]   # the task's own facts


def test_hidden_fields_are_neither_rendered_nor_accepted():
    form = parse_form("report_triage.json", (ROOT / "forms" / "report_triage.json").read_bytes())
    deputy = Actor("deputy", frozenset({"team_deputy"}))
    office = Actor("office", frozenset({"office"}))
    assert tasks.hidden_fields([form], deputy) == {"reporter_name", "reporter_contact"}
    assert tasks.hidden_fields([form], office) == set()
    data = {"reporter_name": "李四", "report_content": "夜间违规生产", "triage": "verify"}
    hidden = tasks.hidden_fields([form], deputy)
    built = forms_render.build(form.schema, form.ui, data, hidden=hidden)
    names = [f.name for f in built.fields]
    assert "reporter_name" not in names and "reporter_contact" not in names
    assert "report_content" in names and "triage" in names
    from werkzeug.datastructures import MultiDict
    posted = MultiDict({"reporter_name": "伪造", "triage": "verify", "triage_result": "已核查"})
    parsed = forms_render.parse(form.schema, form.ui, posted,
                                hidden | forms_render.read_only_names(form.schema, form.ui))
    assert parsed == {"triage": "verify", "triage_result": "已核查"}


def test_posted_forms_are_typed_by_the_schema():
    from werkzeug.datastructures import MultiDict
    schema = {"type": "object", "required": ["files", "rows"], "properties": {
        "count": {"type": "integer", "title": "数量"},
        "ratio": {"type": "number", "title": "比例"},
        "done": {"type": "boolean", "title": "结论", "enum": [False, True],
                 "x-enumNames": ["继续", "结束"]},
        "flag": {"type": "boolean", "title": "标记"},
        "names": {"type": "array", "title": "名单", "items": {"type": "string"}},
        "methods": {"type": "array", "title": "方式",
                    "items": {"type": "string", "enum": ["a", "b"]}},
        "files": {"type": "array", "title": "附件", "items": {"type": "string"}},
        "at": {"type": "string", "format": "date-time", "title": "时间"},
        "note": {"type": "string", "title": "说明"},
        "rows": {"type": "array", "title": "条目", "items": {"type": "object", "properties": {
            "n": {"type": "integer", "title": "序号"}, "ok": {"type": "boolean", "title": "可"}}}},
    }}
    ui = {"fields": {"files": {"widget": "file"}, "note": {"widget": "textarea"}}}
    posted = MultiDict([("count", "12"), ("ratio", "0.5"), ("done", "true"), ("flag", "true"),
                        ("names", "张明\r\n\r\n 李华 "), ("methods", "b"), ("methods", "a"),
                        ("at", "2025-09-01T09:30"), ("note", "第一行\r\n第二行"),
                        ("rows-4-n", "x"), ("rows-7-ok", "true"), ("rows-9-n", "")])
    assert forms_render.parse(schema, ui, posted) == {
        "count": 12, "ratio": 0.5, "done": True, "flag": True, "names": ["张明", "李华"],
        "methods": ["b", "a"], "at": "2025-09-01T09:30:00+08:00", "note": "第一行\n第二行",
        "rows": [{"n": "x", "ok": False}, {"ok": True}]}            # "x" stays for the schema to refuse
    # Empty inputs are left out; an unticked checkbox is false; empty rows are dropped on submit.
    assert forms_render.parse(schema, ui, MultiDict([("rows-0-n", "")])) == {
        "flag": False, "names": [], "methods": []}
    assert forms_render.parse(schema, ui, MultiDict([("rows-0-n", "")]),
                              keep_empty_rows=True)["rows"] == [{"ok": False}]
    built = forms_render.build(schema, ui, {"done": True, "rows": [{"n": 1}]},
                               {"rows/0/n": "类型不正确", "methods/3": "取值不在允许范围内"})
    fields = {f.name: f for f in built.fields}
    assert fields["done"].kind == "radio" and fields["done"].selected("true")
    assert fields["rows"].rows[0].fields[0].error == "类型不正确"
    assert fields["methods"].error == "取值不在允许范围内" and built.unplaced == {}
