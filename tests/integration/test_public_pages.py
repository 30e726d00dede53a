"""The public pages (Flask test client, no login): announcements and the report form (R3.3.2),
throttling, the reporter's identity kept out of the audit log, and results shown only after the
commission leader's approval and their publication (R3.3.6, R4.3)."""
import json
import re

import pytest
from sqlalchemy import select

from server.services import instances
from server.services.context import unit_of_work
from server.store import schema
from server.web.public import Throttle
from tests.browser.drive import Inspection, staff_desk

REPORT = {"report_subject": "某化工企业", "report_content": "夜间违规生产，未落实安全措施",
          "reporter_name": "李四", "reporter_contact": "13800000000"}


@pytest.fixture
def desk(app):
    return staff_desk(app)


@pytest.fixture
def on_site(desk):
    """An inspection whose announcement is published: the hotline is open."""
    return Inspection(desk).prepare().enter()


class Visitor:
    """One member of the public: a browser session at one address."""

    def __init__(self, app, address="198.51.100.7"):
        self.client = app.test_client()
        self.address = address

    def get(self, path):
        return self.client.get(path, environ_base={"REMOTE_ADDR": self.address})

    def report(self, instance_id, **fields):
        path = f"/public/inspections/{instance_id}"
        page = self.get(path).get_data(as_text=True)
        if 'name="csrf_token"' not in page:          # no form shown: a token from elsewhere
            page = self.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = {**REPORT, **fields, "csrf_token": token}
        return self.client.post(path, data={k: v for k, v in data.items() if v is not None},
                                environ_base={"REMOTE_ADDR": self.address})


def text_of(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_data(as_text=True)


def audit_text(desk, instance_id):
    with desk.services.engine.connect() as conn:
        rows = conn.execute(select(schema.audit_events.c.actor, schema.audit_events.c.action,
                                   schema.audit_events.c.detail)
                            .where(schema.audit_events.c.instance_id == instance_id)).all()
    return rows, json.dumps([list(r) for r in rows], ensure_ascii=False)


def test_an_announcement_is_public_only_once_published(app, desk):
    case = Inspection(desk).prepare()
    visitor = Visitor(app)
    assert case.id not in text_of(visitor.get("/public/"))
    assert visitor.get(f"/public/inspections/{case.id}").status_code == 404
    case.enter()
    assert f"/public/inspections/{case.id}" in text_of(visitor.get("/public/"))
    page = text_of(visitor.get(f"/public/inspections/{case.id}"))
    assert "市安全生产巡查组进驻单县开展全面巡查" in page          # content (R3.3.2)
    assert "0530-5310000" in page and "xuncha@heze.gov.cn" in page   # hotline and mailbox
    assert "受理举报" in page and 'name="report_content"' in page
    # Nothing else of the instance is public: the work plan, the roster, the notice.
    assert "team_leader" not in page and "菏安办巡" not in page and "张明" not in page


def test_a_report_reaches_the_team_leader_and_the_identity_stays_out_of_the_audit_log(
        app, desk, on_site):
    visitor = Visitor(app)
    page = text_of(visitor.report(on_site.id))
    assert "感谢您的举报" in page
    task = desk.task("team_leader", "处理群众举报", on_site.id)
    data = desk.instance(on_site.id)["data"]
    assert (data["reporter_name"], data["reporter_contact"]) == ("李四", "13800000000")
    assert (data["report_channel"], data["report_subject"]) == ("online", "某化工企业")
    assert task["name"] == "处理群众举报"
    rows, text = audit_text(desk, on_site.id)
    assert ("public", "instance.public_report", {"channel": "online"}) in [tuple(r) for r in rows]
    assert "李四" not in text and "13800000000" not in text
    # The staff timeline names the channel, never the reporter.
    office = app.test_client()
    office.post("/api/session", json={"username": "office", "password": "secret"})
    timeline = text_of(office.get(f"/instances/{on_site.id}"))
    timeline = timeline[timeline.index('id="timeline"'):timeline.index('id="data-heading"')]
    assert "收到群众举报（网上举报）" in timeline and "李四" not in timeline


def test_an_anonymous_report_keeps_no_identity(app, desk, on_site):
    text_of(Visitor(app).report(on_site.id, report_anonymous="1"))
    data = desk.instance(on_site.id)["data"]
    assert data["report_anonymous"] is True
    assert data["reporter_name"] == "" and data["reporter_contact"] == ""


def test_a_report_needs_csrf_subject_and_content(app, desk, on_site):
    visitor = Visitor(app)
    answer = visitor.client.post(f"/public/inspections/{on_site.id}", data=REPORT,
                                 environ_base={"REMOTE_ADDR": visitor.address})
    assert answer.status_code == 400                                   # no CSRF token
    page = text_of(visitor.report(on_site.id, report_content="  ", report_subject=""), 422)
    assert "请填写举报内容" in page and "请填写被举报单位或事项" in page
    page = text_of(visitor.report(on_site.id, report_content="长" * 5001), 422)
    assert "不能超过 5000 个字" in page
    assert desk.inbox("team_leader") == []


def test_reports_are_throttled_per_address_and_overall(app, desk, on_site):
    first = Visitor(app, "198.51.100.7")
    for _ in range(5):
        text_of(first.report(on_site.id))
    page = text_of(first.report(on_site.id), 429)
    assert "提交过于频繁" in page and "10分钟内最多提交5次" in page
    assert len(desk.inbox("team_leader")) == 5
    text_of(Visitor(app, "203.0.113.9").report(on_site.id))           # another address
    app.config["PUBLIC_REPORTS_TOTAL"] = 6
    page = text_of(Visitor(app, "192.0.2.1").report(on_site.id), 429)  # the global cap
    assert "当前举报提交量过大" in page
    assert len(desk.inbox("team_leader")) == 6


def test_the_throttle_window_slides():
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    assert [throttle.check("a", 2, 10, 600) for _ in range(3)] == [None, None, "key"]
    now[0] += 599
    assert throttle.check("a", 2, 10, 600) == "key"
    now[0] += 2
    assert throttle.check("a", 2, 10, 600) is None
    assert [throttle.check(key, 5, 3, 600) for key in "bcd"] == [None, None, "total"]


def test_no_reports_once_fieldwork_ends_or_while_suspended(app, desk, on_site):
    visitor = Visitor(app)
    office = desk.actor("office")
    with unit_of_work(desk.services) as uow:
        instances.set_state(uow, office, on_site.id, "suspended")
    page = text_of(visitor.get(f"/public/inspections/{on_site.id}"))
    assert "该巡查当前不受理举报" in page and 'name="report_content"' not in page
    assert "该巡查当前不受理举报" in text_of(visitor.report(on_site.id), 409)
    assert on_site.id not in text_of(visitor.get("/public/"))
    with unit_of_work(desk.services) as uow:
        instances.set_state(uow, office, on_site.id, "running")
    on_site.implement()                                     # fieldwork ends: the hotline closes
    assert on_site.id not in text_of(visitor.get("/public/"))
    page = text_of(visitor.get(f"/public/inspections/{on_site.id}"))
    assert "0530-5310000" in page and "该巡查当前不受理举报" in page
    assert "该巡查当前不受理举报" in text_of(visitor.report(on_site.id), 409)
    assert [t["name"] for t in desk.inbox("team_leader")] == ["提交巡查工作报告"]
    with unit_of_work(desk.services) as uow:
        instances.set_state(uow, office, on_site.id, "cancelled")
    assert visitor.get(f"/public/inspections/{on_site.id}").status_code == 404


def test_results_are_public_only_after_approval_and_publication(app, desk):
    case = Inspection(desk).to_disclosure()
    visitor = Visitor(app)

    def public():
        listing = text_of(visitor.get("/public/results"))
        detail = visitor.get(f"/public/results/{case.id}")
        return (f"/public/results/{case.id}" in listing), detail.status_code

    assert public() == (False, 404)
    case.draft_results()
    assert public() == (False, 404)                          # drafted, not approved
    case.do("leader", "审定巡查结果", decision="return", return_reason="公开范围需调整")
    case.draft_results()
    assert public() == (False, 404)                          # returned, drafted again
    case.approve_results()
    assert public() == (False, 404)                          # approved, not yet published
    case.publish_results()
    assert public() == (True, 200)
    page = text_of(visitor.get(f"/public/results/{case.id}"))
    assert "公布摘要" in page and "2026-03-20" in page and "政府网站" in page
    assert "https://www.heze.gov.cn/xuncha/2025-3" in page
    # Only the published fields: not the internal results, nor the draft for publication.
    assert "拟公开内容" not in page and "巡查结果</dd>" not in page
    for name, user in [("通报市委组织部", "office"), ("签收巡查结果通报", "orgdept"),
                       ("归档巡查资料", "office")]:
        case.do(user, name)
    assert desk.instance(case.id)["state"] == "completed"
    assert public() == (True, 200)                           # still public once archived


def test_a_published_link_must_be_a_web_address_to_be_a_link(app, desk):
    case = Inspection(desk).to_disclosure().draft_results().approve_results()
    case.publish_results(publish_channel="other", publish_url="javascript:alert(1)")
    page = text_of(Visitor(app).get(f"/public/results/{case.id}"))
    assert 'href="javascript' not in page
