"""Deadlines through the services with the shared fake clock (clauses.md §2 D1, design §3)."""
from datetime import datetime

from sqlalchemy import select

from server.store import schema

BEIJING_DUE = datetime.fromisoformat("2025-10-24T00:00:00+08:00")


def finish_fieldwork(desk, end="2025-09-26"):
    instance_id = desk.start(process="mini")
    desk.complete("office", "确认巡查结束", {
        "fieldwork_end": end, "members": [{"username": "leader", "role": "leader"}]})
    return instance_id


def notifications(desk, instance_id):
    with desk.services.engine.connect() as conn:
        return conn.execute(select(schema.notifications.c.kind, schema.notifications.c.message)
                            .where(schema.notifications.c.instance_id == instance_id)).all()


def test_report_due_at_the_instant_after_the_fifteenth_working_day(mini_desk):
    finish_fieldwork(mini_desk)
    task = mini_desk.task("leader", "提交巡查工作报告")
    assert task["due_at"] == BEIJING_DUE           # 2025-10-23 is the 15th working day
    assert task["provisional"] is False and task["overdue"] is False
    assert task["clauses"] == ["R3.3.4"]


def test_escalation_happens_at_the_deadline_instant_and_not_a_second_before(mini_desk):
    instance_id = finish_fieldwork(mini_desk)
    mini_desk.set_clock("2025-10-23T23:59:59+08:00")
    assert [t["name"] for t in mini_desk.inbox("office")] == []
    assert mini_desk.task("leader", "提交巡查工作报告")["overdue"] is False

    mini_desk.set_clock("2025-10-24T00:00:00+08:00")
    assert [t["name"] for t in mini_desk.inbox("office")] == ["督办逾期巡查报告"]
    late = mini_desk.task("leader", "提交巡查工作报告")
    assert late["overdue"] is True                  # still open, flagged 逾期
    assert ("deadline", "已逾期：提交巡查工作报告") in notifications(mini_desk, instance_id)


def test_reminder_appears_once(mini_desk):
    instance_id = finish_fieldwork(mini_desk)
    mini_desk.set_clock("2025-10-21T00:00:00+08:00")   # after the 12th working day (10-20)
    mini_desk.set_clock("2025-10-22T00:00:00+08:00")
    mini_desk.set_clock("2025-10-23T12:00:00+08:00")
    reminders = [n for n in notifications(mini_desk, instance_id) if n.kind == "reminder"]
    assert reminders == [("reminder", "即将到期：提交巡查工作报告")]


def test_report_submitted_on_the_last_day_is_on_time(mini_desk):
    instance_id = finish_fieldwork(mini_desk)
    mini_desk.set_clock("2025-10-23T23:30:00+08:00")
    mini_desk.complete("leader", "提交巡查工作报告", {"summary": "按期提交"})
    mini_desk.set_clock("2025-10-25T00:00:00+08:00")
    assert mini_desk.inbox("office") == []          # no escalation after submission
    with mini_desk.services.engine.connect() as conn:
        row = conn.execute(select(schema.human_tasks.c.overdue, schema.human_tasks.c.state).where(
            schema.human_tasks.c.instance_id == instance_id,
            schema.human_tasks.c.name == "提交巡查工作报告")).one()
    assert tuple(row) == (False, "completed")
    assert mini_desk.task("shanxian", "签收反馈意见书")["organisation"] == "shanxian"


def test_corrected_fieldwork_end_recomputes_the_deadline(mini_desk):
    from server.services import instances
    from server.services.context import unit_of_work
    instance_id = finish_fieldwork(mini_desk)
    office = mini_desk.actor("office")
    with unit_of_work(mini_desk.services) as uow:
        instances.correct_dates(uow, office, instance_id,
                                {"fieldwork_end": "2025-09-30"})
    assert mini_desk.task("leader", "提交巡查工作报告")["due_at"] == datetime.fromisoformat(
        "2025-10-29T00:00:00+08:00")                # D1: 2025-09-30 -> 2025-10-28
    mini_desk.set_clock("2025-10-24T00:00:00+08:00")
    assert mini_desk.inbox("office") == []          # the old deadline no longer fires


def test_deadline_in_a_year_without_schedule_is_provisional_until_loaded(mini_desk):
    from server.services import calendar
    from server.services.context import unit_of_work
    finish_fieldwork(mini_desk, end="2026-12-25")
    task = mini_desk.task("leader", "提交巡查工作报告")
    assert task["provisional"] is True
    assert task["due_at"] == datetime.fromisoformat("2027-01-16T00:00:00+08:00")  # weekends only
    admin = mini_desk.actor("admin")
    with unit_of_work(mini_desk.services) as uow:
        recomputed = calendar.load_year_schedule(uow, admin, {
            "year": 2027, "holidays": ["2027-01-01", "2027-01-04"], "workdays": [],
            "source": "测试通知"})
    assert recomputed == 1
    task = mini_desk.task("leader", "提交巡查工作报告")
    assert task["provisional"] is False
    assert task["due_at"] == datetime.fromisoformat("2027-01-20T00:00:00+08:00")
