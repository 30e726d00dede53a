"""What must hold of a database after races and crashes, read straight from the tables."""
import re
import uuid
from collections import Counter

from datetime import datetime, timezone

from sqlalchemy import func, insert, select, update

from server.engine.projection import project
from server.engine.serialization import load_state
from server.services.context import unit_of_work
from server.services.versions import bundle_for
from server.store import schema
from tests.conftest import Desk

I, T, A = schema.instances, schema.human_tasks, schema.audit_events


def audit_counts(conn, action_like, key="task_id"):
    """How many audit events matching `action_like` each task (or instance) has."""
    column = A.c[key]
    return Counter(dict(conn.execute(select(column, func.count()).where(
        A.c.action.like(action_like)).group_by(column)).all()))


def fired_timers(engine):
    """How many timers have fired so far (one audit event each)."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(A).where(
            A.c.action.like("timer.%"))).scalar()


def open_task_counts(conn):
    return Counter(dict(conn.execute(select(T.c.instance_id, func.count()).where(
        T.c.state == "open").group_by(T.c.instance_id)).all()))


def check_completions(services, task_ids, acknowledged, seen):
    """Every task completed exactly once; each acknowledged one by the client told so.

    `seen` is what the clients saw besides 200s (load.finish): only a retry of a request left
    in doubt may find its task already done (409).
    """
    assert set(seen["refused"]) <= set(seen["in_doubt"])
    assert len(acknowledged) + len(seen["refused"]) == len(task_ids)
    with services.engine.connect() as conn:
        rows = {r.id: (r.state, r.completed_by) for r in conn.execute(
            select(T.c.id, T.c.state, T.c.completed_by).where(T.c.id.in_(task_ids)))}
        assert audit_counts(conn, "task.completed") == Counter(task_ids)
    for task_id, username in acknowledged:
        assert rows[task_id] == ("completed", username)
    assert {state for state, _ in rows.values()} == {"completed"}


def check_instances(services):
    """Every instance's stored workflow deserializes; what it shows matches the rows.

    - the open human_tasks rows are exactly the workflow's ready user tasks;
    - `next_due_at` is the earliest pending timer (none once the instance has ended);
    - no fired timer is left unreported (each one was audited in the save that fired it);
    - the revision counts the saves: one per completed task, at most one per fired timer.
    Returns the number of instances checked.
    """
    with unit_of_work(services) as uow:
        rows = uow.conn.execute(select(I)).all()
        open_tasks = _grouped(uow.conn.execute(
            select(T.c.instance_id, T.c.id).where(T.c.state == "open")))
        completed = Counter(dict(uow.conn.execute(select(T.c.instance_id, func.count()).where(
            T.c.state == "completed").group_by(T.c.instance_id)).all()))
        fired = audit_counts(uow.conn, "timer.%", "instance_id")
        problems = [p for row in rows for p in _problems(uow, row, open_tasks.get(row.id, set()),
                                                         completed[row.id], fired[row.id])]
    assert not problems, "\n".join(problems[:20])
    return len(rows)


def _problems(uow, row, task_ids, completions, timers):
    bundle = bundle_for(uow, row.version_id)
    spec, subprocess_specs = bundle.spec_for(row.process_id)
    try:
        workflow = load_state(row.workflow_state, spec, subprocess_specs, uow.script_engine)
    except Exception as exc:       # noqa: BLE001 - any failure to restore is the finding
        return [f"{row.id}: state does not deserialize: {exc!r}"]
    projection = project(bundle, workflow)
    running = row.state == "running"
    shown = {t.id for t in projection.open_tasks} if running else set()
    due = projection.next_due_at if running else None
    found = []
    if shown != task_ids:
        found.append(f"{row.id}: open tasks {sorted(task_ids)}, workflow has {sorted(shown)}")
    if due != row.next_due_at:
        found.append(f"{row.id}: next_due_at {row.next_due_at}, workflow says {due}")
    if projection.fired:
        found.append(f"{row.id}: fired timers never recorded: {projection.fired}")
    if not 1 + completions <= row.revision <= 1 + completions + timers:
        found.append(f"{row.id}: revision {row.revision} after {completions} completions "
                     f"and {timers} timers")
    return found


def _grouped(rows):
    grouped = {}
    for instance_id, task_id in rows:
        grouped.setdefault(instance_id, set()).add(task_id)
    return grouped


UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def clone_instance(engine, instance_id, copies, batch=1000):
    """`copies` more instances exactly like `instance_id`, each with its own task ids.

    For instances that have no task rows yet (waiting on a timer): the copies differ from the
    original only in their ids, so what the worker later does to them is the real thing, while
    creating thousands takes seconds instead of minutes of start_instance calls.
    """
    with engine.begin() as conn:
        original = dict(conn.execute(select(I).where(I.c.id == instance_id)).one()._mapping)
        assert not conn.execute(select(T.c.id).where(T.c.instance_id == instance_id)).first()
        ids = []
        for start in range(0, copies, batch):
            rows = [_copy(original) for _ in range(start, min(copies, start + batch))]
            conn.execute(insert(I), rows)
            ids += [row["id"] for row in rows]
    return ids


def due_timer_instances(app, count):
    """`count` instances of `wait` whose timer is due and not fired (the fake clock moved on)."""
    first = Desk(app).start("office1", process="wait")     # a 2-second timer
    engine = app.extensions["xuncha"].engine
    instance_ids = [first] + clone_instance(engine, first, count - 1)
    with engine.begin() as conn:
        conn.execute(update(schema.settings).values(
            fake_now=datetime(2025, 1, 2, tzinfo=timezone.utc)))
    return instance_ids


def _copy(original):
    fresh = {}
    state = UUID_PATTERN.sub(
        lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), original["workflow_state"])
    return original | {"id": str(uuid.uuid4()), "workflow_state": state}
