"""Loading and saving an instance's workflow, and keeping its projections in step.

Saving writes the state with the revision check in the UPDATE itself, then brings what the inbox
and the timer worker read up to date: open human tasks, `next_due_at`, fired timers (audit and
notifications). The projection of the state as loaded is known (cached with the workflow, or
computed on load), so the task rows are changed by difference, without reading them back.
Statements are built once: building one costs more than running it on SQLite.
"""
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, insert, select, update

from ..engine.projection import Projection, acknowledge, project
from ..engine.serialization import dump_state, load_state
from ..store import schema
from .errors import Conflict, NotFound
from .notify import record_fired
from .versions import bundle_for

I, T = schema.instances, schema.human_tasks
EMPTY = Projection((), (), ())

SELECT_INSTANCE = select(I.c.id, I.c.process_id, I.c.version_id, I.c.state, I.c.revision,
                         I.c.organisation, I.c.title).where(I.c.id == bindparam("instance_id"))
SELECT_STATE = select(I.c.workflow_state).where(I.c.id == bindparam("instance_id"))
UPDATE_INSTANCE = update(I).where(and_(
    I.c.id == bindparam("b_id"), I.c.revision == bindparam("b_revision"))).values(
    workflow_state=bindparam("b_state"), revision=bindparam("b_new_revision"),
    state=bindparam("b_new_state"), next_due_at=bindparam("b_next_due_at"),
    updated_at=bindparam("b_now"))
COMPLETE_TASK = update(T).where(T.c.id == bindparam("b_id")).values(
    state="completed", completed_at=bindparam("b_now"), completed_by=bindparam("b_user"))
INSERT_TASK = insert(T)


@dataclass
class Loaded:
    """An instance as loaded for a change: its row, bundle, workflow, and what the rows show."""
    row: object
    bundle: object
    workflow: object
    projection: Projection


def get_instance_row(uow, instance_id):
    row = uow.conn.execute(SELECT_INSTANCE, {"instance_id": str(instance_id)}).first()
    if row is None:
        raise NotFound(f"巡查实例 {instance_id} 不存在")
    return row


def load(uow, row):
    """The instance's workflow; from this process's cache when still current."""
    bundle = bundle_for(uow, row.version_id)
    cached = uow.services.workflows.take(row.id, row.revision)
    if cached is not None:
        workflow, projection = cached
        workflow.script_engine = uow.script_engine
        return Loaded(row, bundle, workflow, projection)
    spec, subprocess_specs = bundle.spec_for(row.process_id)
    state = uow.conn.execute(SELECT_STATE, {"instance_id": row.id}).scalar_one()
    workflow = load_state(state, spec, subprocess_specs, uow.script_engine)
    return Loaded(row, bundle, workflow, project(bundle, workflow))


def keep(uow, loaded):
    """Put an unchanged workflow back in the cache (after a read)."""
    uow.services.workflows.put(loaded.row.id, loaded.row.revision,
                               (loaded.workflow, loaded.projection))


def save(uow, loaded, *, state=None, completed=None):
    """Persist after a change. `completed` = (task id, username) of a task just completed."""
    row, workflow = loaded.row, loaded.workflow
    projection = project(loaded.bundle, workflow)
    acknowledge(workflow, projection.fired)
    state = state or ("completed" if workflow.completed else row.state)
    if state in ("completed", "cancelled"):
        projection = Projection((), (), projection.fired)
    new_revision = row.revision + 1
    result = uow.conn.execute(UPDATE_INSTANCE, {
        "b_id": row.id, "b_revision": row.revision, "b_state": dump_state(workflow),
        "b_new_revision": new_revision, "b_new_state": state, "b_now": uow.now,
        "b_next_due_at": projection.next_due_at if state == "running" else None})
    if result.rowcount != 1:
        raise Conflict("该巡查已被他人更新，请刷新后重试")
    sync_tasks(uow, row, loaded.projection, projection, completed)
    record_fired(uow, row.id, projection)
    uow.after_commit.append(
        lambda: uow.services.workflows.put(row.id, new_revision, (workflow, projection)))
    return projection


def sync_tasks(uow, row, before, after, completed=None):
    """Change the task rows by the difference between two projections."""
    old = {t.id: t for t in before.open_tasks}
    new = {t.id: t for t in after.open_tasks}
    if completed:
        task_id, username = completed
        uow.conn.execute(COMPLETE_TASK, {"b_id": task_id, "b_now": uow.now, "b_user": username})
        old.pop(task_id, None)
    gone = [task_id for task_id in old if task_id not in new]
    if gone:
        uow.conn.execute(update(T).where(T.c.id.in_(gone)).values(
            state="cancelled", completed_at=uow.now))
    added = [_task_row(row, task, uow.now) for task_id, task in new.items() if task_id not in old]
    if added:
        uow.conn.execute(INSERT_TASK, added)
    for task_id, task in new.items():
        if task_id in old and old[task_id] != task:
            uow.conn.execute(update(T).where(T.c.id == task_id).values(
                due_at=task.due_at, overdue=task.overdue, provisional=task.provisional,
                organisation=task.organisation))


def _task_row(row, task, now):
    return {"id": task.id, "instance_id": row.id, "bpmn_id": task.bpmn_id, "name": task.name,
            "process_id": task.process_id, "stage": task.stage, "role": task.role,
            "organisation": task.organisation, "form": task.form,
            "clauses": " ".join(task.clauses), "state": "open", "due_at": task.due_at,
            "provisional": task.provisional, "overdue": task.overdue, "claimed_by": None,
            "created_at": now}
