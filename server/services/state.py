"""Loading and saving an instance's workflow, and keeping its projections in step.

Saving writes the state with the revision check in the UPDATE itself, then brings what the inbox
and the timer worker read up to date: open human tasks, `next_due_at`, fired timers (audit and
notifications). The projection of the state as loaded is known (cached with the workflow, or
computed on load), so the task rows are changed by difference, without reading them back.
Statements are built once: building one costs more than running it on SQLite.
"""
from dataclasses import dataclass

from sqlalchemy import update

from ..engine.projection import Projection, acknowledge, project
from ..engine.serialization import dump_state_utf8, load_state
from ..store import schema
from ..store.fast import Statement
from .errors import Conflict, NotFound
from .hooks import after_save
from .notify import record_fired, record_new_tasks
from .versions import bundle_for

T = schema.human_tasks
EMPTY = Projection((), (), ())

INSTANCE_COLUMNS = ["id", "process_id", "version_id", "state", "revision", "organisation", "title"]
SELECT_INSTANCE = Statement(f"SELECT {', '.join(INSTANCE_COLUMNS)} FROM instances WHERE id = :id",
                            INSTANCE_COLUMNS)
SELECT_STATE = Statement("SELECT workflow_state, next_due_at FROM instances WHERE id = :id",
                         ["workflow_state", "next_due_at"])
# next_due_at is set only when it changes: assigning it rewrites its index entry even when equal
# (one page more in the WAL of every completion, of about ten).
UPDATE_INSTANCE = Statement("""
    UPDATE instances SET workflow_state = CAST(:state AS TEXT), revision = :new_revision,
           state = :new_state, updated_at = :now
    WHERE id = :id AND revision = :revision""")
UPDATE_INSTANCE_DUE = Statement("""
    UPDATE instances SET workflow_state = CAST(:state AS TEXT), revision = :new_revision,
           state = :new_state, next_due_at = :next_due_at, updated_at = :now
    WHERE id = :id AND revision = :revision""")
# Open and not claimed by another, checked again here: a claim may have landed since the read.
COMPLETE_TASK = Statement("""
    UPDATE human_tasks SET state = 'completed', completed_at = :now, completed_by = :user
    WHERE id = :id AND state = 'open' AND (claimed_by IS NULL OR claimed_by = :user)""")
TASK_COLUMNS = ["id", "instance_id", "bpmn_id", "name", "process_id", "stage", "role",
                "organisation", "form", "clauses", "state", "due_at", "provisional", "overdue",
                "claimed_by", "created_at"]
INSERT_TASK = Statement(f"INSERT INTO human_tasks ({', '.join(TASK_COLUMNS)}) "
                        f"VALUES ({', '.join(':' + c for c in TASK_COLUMNS)})")


@dataclass
class Loaded:
    """An instance as loaded for a change: its row, bundle, workflow, and what the rows show."""
    row: object
    bundle: object
    workflow: object
    projection: Projection
    next_due_at: object = None      # the row's value (the cache keeps it with the workflow)


def get_instance_row(uow, instance_id):
    row = SELECT_INSTANCE.first(uow.conn, {"id": str(instance_id)})
    if row is None:
        raise NotFound(f"巡查实例 {instance_id} 不存在")
    return row


def load(uow, row):
    """The instance's workflow; from this process's cache when still current."""
    bundle = bundle_for(uow, row.version_id)
    cached = uow.services.workflows.take(row.id, row.revision)
    if cached is not None:
        workflow, projection, next_due_at = cached
        workflow.script_engine = uow.script_engine
        return Loaded(row, bundle, workflow, projection, next_due_at)
    spec, subprocess_specs = bundle.spec_for(row.process_id)
    stored = SELECT_STATE.first(uow.conn, {"id": row.id}, datetimes=("next_due_at",))
    workflow = load_state(stored.workflow_state, spec, subprocess_specs, uow.script_engine)
    return Loaded(row, bundle, workflow, project(bundle, workflow), stored.next_due_at)


def cache(uow, instance_id, revision, workflow, projection, next_due_at):
    """Keep a workflow as of `revision` (with what its row shows) for the next request."""
    uow.services.workflows.put(instance_id, revision, (workflow, projection, next_due_at))


def keep(uow, loaded):
    """Put an unchanged workflow back in the cache (after a read)."""
    cache(uow, loaded.row.id, loaded.row.revision, loaded.workflow, loaded.projection,
          loaded.next_due_at)


def stored_state(uow, workflow):
    """The workflow state as the row stores it: bound as `CAST(:state AS TEXT)`.

    On SQLite it stays UTF-8 bytes (the cast makes them text again without a copy through a
    Python str), padded with spaces (still JSON) to a multiple of 1 KiB: SQLite overwrites a
    row of unchanged size in place, while a row that changes size has its overflow pages freed
    and allocated again, which also rewrites the free-list page and the database header. A state
    grows by a few hundred bytes per step, so most saves keep the size: about one page fewer in
    the WAL of each save (of nine), and checkpoints copy that much less.
    """
    state = dump_state_utf8(workflow)
    if uow.conn.dialect.name == "sqlite":
        return state + b" " * (-len(state) % 1024)
    return state.decode()


def save(uow, loaded, *, state=None, completed=None):
    """Persist after a change. `completed` = (task id, username) of a task just completed."""
    row, workflow = loaded.row, loaded.workflow
    projection = project(loaded.bundle, workflow)
    acknowledge(workflow, projection.fired)
    state = state or ("completed" if workflow.completed else row.state)
    if state in ("completed", "cancelled"):
        projection = Projection((), (), projection.fired)
    new_revision = row.revision + 1
    values = {"id": row.id, "revision": row.revision, "state": stored_state(uow, workflow),
              "new_revision": new_revision, "new_state": state, "now": uow.now}
    next_due_at = projection.next_due_at if state == "running" else None
    if next_due_at == loaded.next_due_at:
        statement = UPDATE_INSTANCE
    else:
        statement, values = UPDATE_INSTANCE_DUE, values | {"next_due_at": next_due_at}
    uow.writes.execute(statement, values, expect=1,
                       error=Conflict("该巡查已被他人更新，请刷新后重试"))
    sync_tasks(uow, row, loaded.projection, projection, completed)
    record_fired(uow, row.id, projection)
    after_save(uow, loaded, state, completed)
    uow.after_commit.append(
        lambda: cache(uow, row.id, new_revision, workflow, projection, next_due_at))
    return projection


def sync_tasks(uow, row, before, after, completed=None):
    """Change the task rows by the difference between two projections."""
    old = {t.id: t for t in before.open_tasks}
    new = {t.id: t for t in after.open_tasks}
    if completed:
        task_id, username = completed
        uow.writes.execute(COMPLETE_TASK, {"id": task_id, "now": uow.now, "user": username},
                           expect=1, error=Conflict("任务已被他人认领或已办结，请刷新后重试"))
        old.pop(task_id, None)
    gone = [task_id for task_id in old if task_id not in new]
    if gone:
        uow.conn.execute(update(T).where(T.c.id.in_(gone)).values(
            state="cancelled", completed_at=uow.now))
    added = [_task_row(row, task, uow.now) for task_id, task in new.items() if task_id not in old]
    uow.writes.execute_many(INSERT_TASK, added)
    if added:
        record_new_tasks(uow, row, added)
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
