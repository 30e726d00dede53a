"""Claiming, reassigning, suspending and cancelling; the audit log that records them."""
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from server.services import instances, tasks
from server.services.context import unit_of_work
from server.services.errors import Conflict, Forbidden
from server.store import schema


def act(desk, username, fn, *args):
    actor = desk.actor(username)
    with unit_of_work(desk.services) as uow:
        return fn(uow, actor, *args)


@pytest.fixture
def started(mini_desk):
    mini_desk.add_user("office2", "office")
    instance_id = mini_desk.start(process="mini")
    return mini_desk, instance_id, mini_desk.task("office", "确认巡查结束")["id"]


def test_a_claimed_task_belongs_to_its_claimant_until_unclaimed(started):
    desk, _instance, task_id = started
    act(desk, "office", tasks.claim_task, task_id)
    assert desk.task("office2", "确认巡查结束")["claimed_by"] == "office"
    with pytest.raises(Conflict):
        act(desk, "office2", tasks.claim_task, task_id)
    with pytest.raises(Conflict):
        act(desk, "office2", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})
    act(desk, "office", tasks.unclaim_task, task_id)
    act(desk, "office2", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})


def test_the_office_reassigns_a_task(started):
    desk, _instance, task_id = started
    act(desk, "office", tasks.reassign_task, task_id, "office2")
    assert desk.task("office", "确认巡查结束")["claimed_by"] == "office2"
    with pytest.raises(Forbidden):
        act(desk, "shanxian", tasks.reassign_task, task_id, "office2")


def test_suspended_instances_take_no_work_until_resumed(started):
    desk, instance_id, task_id = started
    act(desk, "office", instances.set_state, instance_id, "suspended")
    with pytest.raises(Conflict):
        act(desk, "office", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})
    act(desk, "office", instances.set_state, instance_id, "running")
    act(desk, "office", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})
    assert desk.instance(instance_id)["state"] == "running"


def test_cancelling_closes_the_open_tasks_and_stops_the_timers(started):
    desk, instance_id, task_id = started
    act(desk, "office", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})
    act(desk, "office", instances.set_state, instance_id, "cancelled")
    detail = desk.instance(instance_id)
    assert detail["state"] == "cancelled"
    assert desk.inbox("leader") == [] and desk.inbox("office") == []
    with desk.services.engine.connect() as conn:
        assert conn.execute(select(schema.instances.c.next_due_at)).scalar() is None
    with pytest.raises(Conflict):
        act(desk, "office", instances.set_state, instance_id, "running")


def test_every_change_is_audited_and_the_log_is_append_only(started):
    desk, instance_id, task_id = started
    act(desk, "office", tasks.claim_task, task_id)
    act(desk, "office", tasks.complete_task, task_id, {"fieldwork_end": "2025-09-26"})
    with desk.services.engine.connect() as conn:
        actions = conn.execute(select(schema.audit_events.c.actor, schema.audit_events.c.action)
                               .where(schema.audit_events.c.instance_id == instance_id)
                               .order_by(schema.audit_events.c.id)).all()
    assert actions == [("office", "instance.started"), ("office", "task.claimed"),
                       ("office", "task.completed")]
    for statement in (update(schema.audit_events).values(actor="mallory"),
                      delete(schema.audit_events)):
        with pytest.raises(DBAPIError, match="append-only"):
            with desk.services.engine.begin() as conn:
                conn.execute(statement)
