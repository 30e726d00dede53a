"""Writes sent together (store.writes): on PostgreSQL queued and pipelined, on SQLite at once.
Either way a unit of work reads what it wrote, and a failed row-count check rolls it all back."""
import orjson
import pytest
from sqlalchemy import func, select

from server.services.context import INSERT_AUDIT, unit_of_work
from server.services.errors import Conflict
from server.services.state import (INSERT_TASK, TASK_COLUMNS, UPDATE_INSTANCE,
                                   get_instance_row, load)
from server.store import schema


def audit_row(action):
    return {"at": None, "actor": "office", "action": action, "instance_id": None,
            "task_id": None, "detail": {}}


def count_audit(conn, action):
    a = schema.audit_events
    return conn.execute(select(func.count()).select_from(a).where(a.c.action == action)).scalar()


def stale_update(instance_id):
    """The save of an instance read at a revision it no longer has: changes no row."""
    return {"id": instance_id, "revision": 999, "state": "{}", "new_revision": 1000,
            "new_state": "running", "now": None}


def task_row(task_id, instance_id):
    return dict.fromkeys(TASK_COLUMNS) | {
        "id": task_id, "instance_id": instance_id, "bpmn_id": "b", "name": "n",
        "process_id": "mini", "stage": "s", "role": "office", "form": "f", "clauses": "",
        "state": "open", "provisional": False, "overdue": False}


def test_queued_writes_are_seen_by_the_next_statement_and_committed(mini_desk):
    with unit_of_work(mini_desk.services) as uow:
        for _ in range(3):
            uow.writes.execute(INSERT_AUDIT, audit_row("test.write") | {"at": uow.now})
        assert count_audit(uow.conn, "test.write") == 3        # read after the queued writes
        uow.writes.execute(INSERT_AUDIT, audit_row("test.last") | {"at": uow.now})
        uow.writes.execute(INSERT_AUDIT, audit_row("test.last") | {"at": uow.now})
    with mini_desk.services.engine.connect() as conn:           # sent before the commit
        assert count_audit(conn, "test.write") == 3
        assert count_audit(conn, "test.last") == 2


def test_a_failed_row_count_check_rolls_back_the_whole_unit_of_work(mini_desk):
    instance_id = mini_desk.start(process="mini")
    with pytest.raises(Conflict, match="已被他人更新"), \
            unit_of_work(mini_desk.services) as uow:
        uow.writes.execute(INSERT_AUDIT, audit_row("test.before") | {"at": uow.now})
        uow.writes.execute(UPDATE_INSTANCE, stale_update(instance_id) | {"now": uow.now},
                           expect=1, error=Conflict("该巡查已被他人更新"))
        uow.writes.execute(INSERT_AUDIT, audit_row("test.after") | {"at": uow.now})
    with mini_desk.services.engine.connect() as conn:
        assert count_audit(conn, "test.before") == count_audit(conn, "test.after") == 0
    assert mini_desk.instance(instance_id)["revision"] == 1


def test_a_key_violation_after_a_failed_check_is_reported_as_that_check(mini_desk):
    """The loser of a race inserts the next task's row again: the conflict it met first is what
    the caller hears, not the database's duplicate key."""
    instance_id = mini_desk.start(process="mini")
    existing = mini_desk.task("office", "确认巡查结束")["id"]
    with pytest.raises(Conflict, match="已被他人更新"), \
            unit_of_work(mini_desk.services) as uow:
        uow.writes.execute(UPDATE_INSTANCE, stale_update(instance_id) | {"now": uow.now},
                           expect=1, error=Conflict("该巡查已被他人更新"))
        uow.writes.execute_many(INSERT_TASK, [task_row(existing, instance_id)])
        uow.writes.execute(INSERT_AUDIT, audit_row("test.after") | {"at": uow.now})
    assert mini_desk.task("office", "确认巡查结束")["id"] == existing


def test_a_key_violation_with_no_failed_check_is_raised_as_it_is(mini_desk):
    instance_id = mini_desk.start(process="mini")
    existing = mini_desk.task("office", "确认巡查结束")["id"]
    engine = mini_desk.services.engine
    with pytest.raises(engine.dialect.loaded_dbapi.IntegrityError), \
            unit_of_work(mini_desk.services) as uow:
        uow.writes.execute(INSERT_AUDIT, audit_row("test.before") | {"at": uow.now})
        uow.writes.execute_many(INSERT_TASK, [task_row(existing, instance_id)])
        uow.writes.execute(INSERT_AUDIT, audit_row("test.after") | {"at": uow.now})
    with engine.connect() as conn:
        assert count_audit(conn, "test.before") == 0


def test_postgresql_sends_the_writes_of_a_completion_together(mini_desk):
    """Queued on PostgreSQL until the connection is next used; run at once on SQLite."""
    with unit_of_work(mini_desk.services) as uow:
        now = uow.now
        uow.writes.execute(INSERT_AUDIT, audit_row("test.queued") | {"at": now})
        postgres = uow.writes.deferred
        assert len(uow.writes.pending) == (1 if postgres else 0)
        assert postgres == (mini_desk.services.engine.dialect.name == "postgresql")


def test_a_saved_state_is_stored_as_text_and_reads_back(mini_desk):
    """SQLite is given the state as UTF-8 bytes (state.stored_state); the column still holds
    text, from which the workflow that was saved is restored."""
    instance_id = mini_desk.start(process="mini")
    mini_desk.complete("office", "确认巡查结束", {"fieldwork_end": "2025-09-26"})
    i = schema.instances
    with mini_desk.services.engine.connect() as conn:
        stored = conn.execute(select(i.c.workflow_state).where(i.c.id == instance_id)).scalar()
        if conn.dialect.name == "sqlite":
            assert conn.execute(select(func.typeof(i.c.workflow_state))
                                .where(i.c.id == instance_id)).scalar() == "text"
    assert isinstance(stored, str) and orjson.loads(stored)["spec"] == "mini"
    mini_desk.services.workflows.discard(instance_id)      # restored from the row
    with unit_of_work(mini_desk.services) as uow:
        loaded = load(uow, get_instance_row(uow, instance_id))
    assert [t.name for t in loaded.projection.open_tasks] == ["提交巡查工作报告"]
