"""The staff instance page (Flask test client): what it shows, who may see it, the office's
suspend/resume/cancel, the diagram XML of the instance's version, and the npm assets route."""
import re

import pytest
from sqlalchemy import select

from server.services import instances
from server.services.context import unit_of_work
from server.services.state import get_instance_row, load
from server.engine.progress import element_progress as progress
from server.store import schema
from tests.browser.drive import Inspection, staff_desk
from tests.conftest import REQUIRE_ALL, ROOT
from tests.integration.web_client import Api


@pytest.fixture
def desk(app):
    return staff_desk(app)


class Pages(Api):
    """Logged-in test clients per user (through the API session), reading the pages."""

    def csrf(self, username, path):
        page = self.as_(username).get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def pages(app, desk):
    return Pages(app)


def text_of(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def attribute(page, element_id, name):
    found = re.search(rf'id="{element_id}"[^>]*?{name}="([^"]*)"', page, re.S)
    return found.group(1).replace("&#34;", '"') if found else None


def test_the_page_shows_state_version_target_diagrams_timeline_and_data(pages, desk):
    case = Inspection(desk).prepare()
    page = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    assert "安全生产巡查：单县" in page and "进行中" in page and "第 1 版" in page
    assert "（进驻中）" in page
    assert attribute(page, "diagram-main", "data-xml") == \
        f"/instances/{case.id}/diagram/safety_inspection.bpmn"
    assert '"call_preparation"' in attribute(page, "diagram-main", "data-done")
    assert attribute(page, "diagram-main", "data-active") == '["call_entry"]'
    # The stage shown is the stage of the open task.
    assert attribute(page, "diagram-stage", "data-process") == "inspection_entry"
    assert attribute(page, "diagram-stage", "data-active") == '["publish_announcement"]'
    assert "巡查公开（未开始）" in page
    # The timeline, in Chinese, with who did what.
    timeline = page[page.index('id="timeline"'):]
    assert "发起巡查" in timeline and "办结任务“审批巡查组名单”" in timeline
    # The data collected so far, under form and field titles with Chinese labels.
    assert "制定巡查工作方案" in page and "巡查类型" in page and "全面巡查" in page
    assert "印发日期" in page and "2025-09-01" in page
    # bpmn-js and our viewer script, no inline script.
    assert "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "diagram.js" in page and "<script>" not in page


def test_another_stage_is_shown_on_request(pages, desk):
    case = Inspection(desk).prepare()
    page = text_of(pages.as_("office").get(f"/instances/{case.id}?stage=inspection_preparation"))
    assert attribute(page, "diagram-stage", "data-process") == "inspection_preparation"
    done = attribute(page, "diagram-stage", "data-done")
    assert '"draft_work_plan"' in done and '"sign_notice"' in done
    assert attribute(page, "diagram-stage", "data-active") == "[]"
    unknown = text_of(pages.as_("office").get(f"/instances/{case.id}?stage=nope"))
    assert attribute(unknown, "diagram-stage", "data-process") == "inspection_entry"


def test_progress_marks_loops_active_and_waiting_boundary_events_not(desk):
    case = Inspection(desk)
    case.do("office", "制定巡查工作方案")
    case.do("office", "拟定巡查组名单")
    case.do("leader", "审批巡查组名单", decision="return", return_reason="组员专业结构需调整")
    with unit_of_work(desk.services) as uow:
        workflow = load(uow, get_instance_row(uow, case.id)).workflow
    marks = progress(workflow)["inspection_preparation"]
    assert marks["active"] == ["draft_team_roster"]           # drafted once, now again
    assert "approve_team_roster" in marks["done"] and "draft_team_roster" not in marks["done"]
    case.do("office", "拟定巡查组名单")
    case.do("leader", "审批巡查组名单")
    for name, user in [("发送巡查告知书", "office"), ("签收巡查告知书", "shanxian"),
                       ("组织集中培训", "office"), ("发布巡查公告", "team_leader"),
                       ("登记巡查工作记录", "team_member1")]:
        case.do(user, name)
    case.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
    with unit_of_work(desk.services) as uow:
        workflow = load(uow, get_instance_row(uow, case.id)).workflow
    report = progress(workflow)["inspection_report"]
    # The report's deadline and reminder timers wait beside the task: only the task is active.
    assert report["active"] == ["submit_report"]


def test_access_follows_the_instance_scope(pages, desk):
    case = Inspection(desk)
    for path in (f"/instances/{case.id}", f"/instances/{case.id}/diagram/safety_inspection.bpmn"):
        assert pages.as_("caoxian").get(path).status_code == 404        # another county
        assert pages.as_("shanxian").get(path).status_code == 200       # its own county
    anonymous = pages.app.test_client().get(f"/instances/{case.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert case.id not in text_of(pages.as_("caoxian").get("/instances"))
    assert case.id in text_of(pages.as_("shanxian").get("/instances"))
    assert pages.as_("office").get("/instances/no-such-id").status_code == 404


def test_only_the_office_sees_the_admin_actions(pages, desk):
    case = Inspection(desk)
    office = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    assert "暂停巡查" in office and "撤销巡查" in office and "恢复巡查" not in office
    for username in ("shanxian", "leader"):
        page = text_of(pages.as_(username).get(f"/instances/{case.id}"))
        assert "管理操作" not in page and "暂停巡查" not in page


def test_the_office_suspends_resumes_and_cancels_from_the_page(pages, desk):
    case = Inspection(desk)
    path = f"/instances/{case.id}"
    office = pages.as_("office")
    assert office.post(f"{path}/suspend").status_code == 400          # no CSRF token
    assert desk.instance(case.id)["state"] == "running"
    token = pages.csrf("office", path)
    answer = office.post(f"{path}/suspend", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(path)
    assert desk.instance(case.id)["state"] == "suspended"
    page = text_of(office.get(path))
    assert "巡查已暂停" in page and "已暂停" in page and "恢复巡查" in page
    assert "暂停巡查</button>" not in page
    # Suspending again is a conflict, flashed as a message rather than an error page.
    again = office.post(f"{path}/suspend", data={"csrf_token": token})
    assert again.status_code == 302 and desk.instance(case.id)["state"] == "suspended"
    assert "不能执行此操作" in text_of(office.get(path))
    office.post(f"{path}/resume", data={"csrf_token": token})
    assert desk.instance(case.id)["state"] == "running"
    # Cancelling needs the confirmation box.
    office.post(f"{path}/cancel", data={"csrf_token": token})
    assert desk.instance(case.id)["state"] == "running"
    office.post(f"{path}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert desk.instance(case.id)["state"] == "cancelled"
    page = text_of(office.get(path))
    assert "已撤销" in page and "管理操作" not in page
    timeline = page[page.index('id="timeline"'):]
    assert "暂停巡查" in timeline and "恢复巡查" in timeline and "撤销巡查" in timeline
    with desk.services.engine.connect() as conn:
        actions = conn.execute(select(schema.audit_events.c.action).where(
            schema.audit_events.c.instance_id == case.id)).scalars().all()
    assert {"instance.suspended", "instance.resumed", "instance.cancelled"} <= set(actions)


def test_others_cannot_change_the_state(pages, desk):
    case = Inspection(desk)
    path = f"/instances/{case.id}"
    token = pages.csrf("shanxian", "/login")
    assert pages.as_("shanxian").post(f"{path}/suspend", data={"csrf_token": token}
                                      ).status_code == 403
    token = pages.csrf("caoxian", "/login")
    # The role is checked first (as in the API): the same answer for any instance id.
    assert pages.as_("caoxian").post(f"{path}/cancel", data={"csrf_token": token, "confirm": "yes"}
                                     ).status_code == 403
    assert desk.instance(case.id)["state"] == "running"


def test_the_diagram_xml_is_the_instances_own_version(pages, desk):
    case = Inspection(desk)
    answer = pages.as_("office").get(f"/instances/{case.id}/diagram/inspection_entry.bpmn")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert answer.data == (ROOT / "processes" / "inspection_entry.bpmn").read_bytes()
    for missing in ("nope", "..%2Fforms%2Fannouncement.json"):
        assert pages.as_("office").get(f"/instances/{case.id}/diagram/{missing}.bpmn"
                                       ).status_code == 404


def test_deadlines_show_the_last_day_and_working_days_left(pages, desk):
    case = Inspection(desk).prepare().enter().implement()
    desk.set_clock("2025-10-20T09:00:00+08:00")
    page = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    deadlines = page[page.index('id="deadlines"'):page.index('id="timeline-heading"')]
    assert "提交巡查工作报告" in deadlines and "2025-10-23" in deadlines
    assert "3 个工作日" in deadlines and "暂定" not in deadlines
    desk.set_clock("2025-10-24T00:00:00+08:00")                   # 24:00 of the last day
    page = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    deadlines = page[page.index('id="deadlines"'):page.index('id="timeline-heading"')]
    assert "已逾期" in deadlines
    timeline = page[page.index('id="timeline"'):]
    assert "定时提醒：“提交巡查工作报告”即将到期" in timeline
    assert "逾期：“提交巡查工作报告”已过办理期限" in timeline and "系统" in timeline


def test_a_deadline_in_a_year_without_an_official_schedule_is_provisional(pages, desk):
    case = Inspection(desk).prepare().enter()
    desk.set_clock("2026-12-21T09:00:00+08:00")
    case.do("team_member1", "登记巡查工作记录")
    case.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end="2026-12-18")
    page = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    deadlines = page[page.index('id="deadlines"'):page.index('id="timeline-heading"')]
    assert "2027-01-" in deadlines and "暂定" in deadlines


def test_reporter_identity_is_kept_from_the_timeline_and_from_other_roles(pages, desk):
    case = Inspection(desk).prepare().enter()
    office_actor = desk.actor("office")
    with unit_of_work(desk.services) as uow:
        instances.receive_public_report(uow, office_actor, case.id, {
            "report_channel": "phone", "report_content": "某企业夜间违规生产",
            "reporter_name": "王五", "reporter_contact": "13900000000"})
    office = text_of(pages.as_("office").get(f"/instances/{case.id}"))
    timeline = office[office.index('id="timeline"'):office.index('id="data-heading"')]
    assert "收到群众举报（电话）" in timeline and "王五" not in timeline
    assert "王五" in office                         # the office may read the identity
    member = text_of(pages.as_("team_member1").get(f"/instances/{case.id}"))
    assert "某企业夜间违规生产" in member and "王五" not in member and "13900000000" not in member


def test_vendor_assets_are_served_from_node_modules(app, desk, caplog):
    client = app.test_client()
    bundle = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
    if bundle.exists():
        answer = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
        assert answer.status_code == 200 and b"BpmnJS" in answer.data
        assert client.get("/vendor/bpmn-js/assets/bpmn-js.css").status_code == 200
        assert client.get("/vendor/bpmn-js/../package.json").status_code == 404
    elif REQUIRE_ALL:
        pytest.fail("bpmn-js is missing: run `npm ci` (make install)")
    app.config["NODE_MODULES"] = str(ROOT / "no-such-folder")
    answer = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert answer.status_code == 404
    assert "npm ci" in caplog.text
    if not bundle.exists():
        pytest.skip("bpmn-js is missing: run `npm ci` (make install)")
