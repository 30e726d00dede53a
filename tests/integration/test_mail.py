"""Mail of new, due-soon and overdue work: queued in the transaction that made the work, to the
people who would see the task, delivered by the worker to a real SMTP server on loopback
(aiosmtpd); retried when the server fails, given up after the configured attempts; nothing at
all without a mail server."""
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update

from server.services import mail
from server.services.mail import MailSettings
from server.services.worker import run_worker
from server.store import schema
from tests.conftest import MINI, Desk, build_app
from tests.subprocesses import free_port
from tests.integration.test_inspection_lifecycle import Inspection, office_desk  # noqa: F401

O, U = schema.mail_outbox, schema.users
WITH_EMAIL = ("office", "office_off", "leader", "shanxian", "caoxian", "yingji", "team_leader",
              "outsider")




class Mailbox:
    """aiosmtpd handler keeping what it receives; answers 451 to the first `failures` messages."""

    def __init__(self, failures=0):
        self.failures = failures
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        if self.failures:
            self.failures -= 1
            return "451 4.3.0 暂时无法投递"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def received(self):
        return sorted((m["To"], str(m["Subject"])) for m in self.messages)


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def configure(desk, port, **options):
    desk.services.mail = MailSettings(host="127.0.0.1", port=port, sender="xuncha@heze.gov.cn",
                                      base_url="https://xuncha.heze.gov.cn", **options)


@pytest.fixture
def people(office_desk):  # noqa: F811
    desk = office_desk
    desk.add_user("office_off", "office")          # will be deactivated
    desk.add_user("office_nomail", "office")
    desk.add_user("caoxian", "target", org="caoxian")
    desk.add_user("outsider", "team_leader")        # on no roster
    with desk.services.engine.begin() as conn:
        for username in WITH_EMAIL:
            conn.execute(update(U).where(U.c.username == username)
                         .values(email=f"{username}@example.cn"))
        conn.execute(update(U).where(U.c.username == "office_off").values(active=False))
    return desk


def outbox(desk):
    with desk.services.engine.connect() as conn:
        return conn.execute(select(O).order_by(O.c.id)).all()


def queued_since(desk, first_id):
    return sorted((r.to_address, r.subject) for r in outbox(desk) if r.id > first_id)


def last_id(desk):
    rows = outbox(desk)
    return rows[-1].id if rows else 0


def run_worker_until(desk, done, seconds=10):
    """Run the worker until `done()`; returns when that was first seen (UTC)."""
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(desk.services, stop, 0.1))
    worker.start()
    try:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        return datetime.now(timezone.utc)
    finally:
        stop.set()
        worker.join(timeout=10)


def test_new_work_is_mailed_to_those_who_would_see_it(people, smtp):
    box, port = smtp
    configure(people, port)
    case = Inspection(people)
    assert queued_since(people, 0) == [("office@example.cn", "【巡查】新待办：制定巡查工作方案")]
    case.do("office", "制定巡查工作方案")
    case.do("office", "拟定巡查组名单")
    mark = last_id(people)
    case.do("leader", "审批巡查组名单")
    case.do("office", "发送巡查告知书")
    assert queued_since(people, mark) == [
        ("office@example.cn", "【巡查】新待办：发送巡查告知书"),
        ("office@example.cn", "【巡查】新待办：组织集中培训"),
        ("shanxian@example.cn", "【巡查】新待办：签收巡查告知书")]     # not 曹县's, not 市应急局's
    case.do("shanxian", "签收巡查告知书")
    mark = last_id(people)
    case.do("office", "组织集中培训")
    assert queued_since(people, mark) == [("team_leader@example.cn", "【巡查】新待办：发布巡查公告")]
    expected = sorted((r.to_address, r.subject) for r in outbox(people))
    run_worker_until(people, lambda: len(box.messages) >= len(expected))
    assert box.received() == expected
    assert all(r.sent_at is not None and r.attempts == 1 for r in outbox(people))
    notice = next(m for m in box.messages if "签收巡查告知书" in str(m["Subject"]))
    body = notice.get_content()
    task_id = next(t["id"] for t in people.inbox("shanxian", state="completed")
                   if t["name"] == "签收巡查告知书")
    assert f"https://xuncha.heze.gov.cn/tasks/{task_id}" in body and "您有一项新的待办任务" in body
    assert "任务：签收巡查告知书" in body and "单县" in body
    assert "菏泽市安全生产巡查工作系统" in str(notice["From"])


def test_due_soon_and_overdue_work_is_mailed(people, smtp):
    box, port = smtp
    configure(people, port)
    case = Inspection(people)
    case.prepare()
    case.enter()
    case.implement(fieldwork_end="2025-09-26")         # the report is due 2025-10-23
    mark = last_id(people)
    people.set_clock("2025-10-24T00:00:00+08:00")
    queued = queued_since(people, mark)
    assert ("team_leader@example.cn", "【巡查】即将到期：提交巡查工作报告") in queued
    assert ("team_leader@example.cn", "【巡查】已逾期：提交巡查工作报告") in queued
    assert ("office@example.cn", "【巡查】新待办：督办逾期巡查报告") in queued
    assert not [to for to, _ in queued if to.startswith(("outsider", "caoxian", "office_off"))]
    overdue = next(r for r in outbox(people) if r.subject == "【巡查】已逾期：提交巡查工作报告")
    assert "已超过办理期限（逾期）" in overdue.body and "办理期限：2025年10月23日" in overdue.body
    assert mail.send_pending(people.services) == (len(outbox(people)), 0)
    assert ("team_leader@example.cn", "【巡查】已逾期：提交巡查工作报告") in box.received()


def test_nothing_is_queued_without_a_mail_server(people):
    assert people.services.mail is None              # the test app configures no SMTP_HOST
    case = Inspection(people)
    case.prepare()
    assert outbox(people) == []
    assert mail.send_pending(people.services) == (0, 0)


def test_a_failing_server_leads_to_retries_not_loss(people, smtp):
    box, port = smtp
    configure(people, port, max_attempts=3)
    Inspection(people)                                 # one mail to office@
    box.failures = 1
    assert mail.send_pending(people.services) == (0, 1)
    [row] = outbox(people)
    assert (row.attempts, row.sent_at) == (1, None) and "451" in row.last_error
    assert mail.send_pending(people.services) == (1, 0)
    [row] = outbox(people)
    assert row.attempts == 2 and row.sent_at is not None and row.last_error is None
    assert box.received() == [("office@example.cn", "【巡查】新待办：制定巡查工作方案")]


def test_an_unreachable_server_is_given_up_after_the_attempts(people):
    configure(people, free_port(), max_attempts=2)    # nothing listens there
    Inspection(people)
    assert mail.send_pending(people.services) == (0, 1)
    assert mail.send_pending(people.services) == (0, 1)
    assert mail.send_pending(people.services) == (0, 0)     # given up: not tried again
    [row] = outbox(people)
    assert row.attempts == 2 and row.sent_at is None and "Connection" in row.last_error


def test_a_stalled_mail_server_does_not_delay_timers(database_url, tmp_path):
    app = build_app(database_url, MINI, tmp_path, clock_mode="system")
    desk = Desk(app)
    desk.add_user("office", "office")
    with socket.socket() as stalled:                   # accepts connections, never greets
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(8)
        configure(desk, stalled.getsockname()[1], timeout_seconds=3)
        with app.extensions["xuncha"].engine.begin() as conn:   # mail waiting to be sent
            conn.execute(insert(O).values(created_at=datetime.now(timezone.utc), attempts=0,
                                          to_address="x@example.cn", subject="s", body="b"))
        desk.start(process="wait")                     # a timer due in about two seconds
        with app.extensions["xuncha"].engine.connect() as conn:
            due = conn.execute(select(schema.instances.c.next_due_at)).scalar()
        fired_at = run_worker_until(desk, lambda: bool(desk.inbox("office")), seconds=8)
    assert [t["name"] for t in desk.inbox("office")] == ["计时后办理"]
    assert fired_at - due < timedelta(seconds=1)
    [row] = outbox(desk)
    assert row.sent_at is None and row.attempts == 1      # the stalled attempt, counted
