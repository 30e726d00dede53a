"""Loading and saving an instance's workflow, and keeping its projections in step.

Saving writes the state with the revision check in the UPDATE itself, then projects what the
inbox and the timer worker read: open human tasks, `next_due_at`, roster members, notifications.
"""
from sqlalchemy import and_, delete, insert, select, update

from ..engine import runtime
from ..engine.serialization import dump_state, load_state
from ..store import schema
from .errors import Conflict, NotFound
from .versions import bundle_for

TEAM_ROLES = ("team_leader", "team_deputy", "team_member", "expert")


def get_instance_row(uow, instance_id):
    row = uow.conn.execute(select(schema.instances)
                           .where(schema.instances.c.id == str(instance_id))).first()
    if row is None:
        raise NotFound(f"巡查实例 {instance_id} 不存在")
    return row


def load_workflow(uow, row):
    """The instance's workflow and bundle; from this process's cache when still current."""
    bundle = bundle_for(uow, row.version_id)
    workflow = uow.services.workflows.take(row.id, row.revision)
    spec, subprocess_specs = bundle.spec_for(row.process_id)
    if workflow is None:
        workflow = load_state(row.workflow_state, spec, subprocess_specs, uow.script_engine)
    else:
        workflow.script_engine = uow.script_engine
    return bundle, workflow


def save_workflow(uow, row, bundle, workflow, *, state=None, completed=None):
    """Persist after a change. `completed` = (task id, username) of a task just completed."""
    new_revision = row.revision + 1
    state = state or ("completed" if workflow.completed else row.state)
    next_due = runtime.next_due_at(bundle, workflow) if state == "running" else None
    result = uow.conn.execute(update(schema.instances).where(and_(
        schema.instances.c.id == row.id, schema.instances.c.revision == row.revision)).values(
        workflow_state=dump_state(workflow), revision=new_revision, state=state,
        next_due_at=next_due, updated_at=uow.now))
    if result.rowcount != 1:
        raise Conflict("该巡查已被他人更新，请刷新后重试")
    # A suspended instance keeps its open tasks (they cannot be completed) but its timers wait.
    sync_tasks(uow, row, bundle, workflow, completed, running=state in ("running", "suspended"))
    uow.after_commit.append(lambda: uow.services.workflows.put(row.id, new_revision, workflow))
    return new_revision


def sync_tasks(uow, row, bundle, workflow, completed, running=True):
    t = schema.human_tasks
    open_now = {task.id: task for task in runtime.open_tasks(bundle, workflow)} if running else {}
    stored = {r.id: r for r in uow.conn.execute(
        select(t.c.id, t.c.due_at, t.c.overdue, t.c.provisional, t.c.organisation)
        .where(and_(t.c.instance_id == row.id, t.c.state == "open")))}
    if completed:
        task_id, username = completed
        uow.conn.execute(update(t).where(t.c.id == task_id).values(
            state="completed", completed_at=uow.now, completed_by=username))
        stored.pop(task_id, None)
    gone = [task_id for task_id in stored if task_id not in open_now]
    if gone:
        uow.conn.execute(update(t).where(t.c.id.in_(gone)).values(state="cancelled",
                                                                   completed_at=uow.now))
    new = [_task_row(row, task, uow.now) for tid, task in open_now.items() if tid not in stored]
    if new:
        uow.conn.execute(insert(t), new)
    for task_id, task in open_now.items():
        old = stored.get(task_id)
        if old and (old.due_at, old.overdue, old.provisional, old.organisation) != (
                task.due_at, task.overdue, task.provisional, task.organisation):
            uow.conn.execute(update(t).where(t.c.id == task_id).values(
                due_at=task.due_at, overdue=task.overdue, provisional=task.provisional,
                organisation=task.organisation))


def _task_row(row, task, now):
    return {"id": task.id, "instance_id": row.id, "bpmn_id": task.bpmn_id, "name": task.name,
            "process_id": task.process_id, "stage": task.stage, "role": task.role,
            "organisation": task.organisation, "form": task.form,
            "clauses": " ".join(task.clauses), "state": "open", "due_at": task.due_at,
            "provisional": task.provisional, "overdue": task.overdue, "claimed_by": None,
            "created_at": now}


def sync_members(uow, instance_id, data):
    """The roster's usernames: team members see only inspections whose roster names them."""
    wanted = {m.get("username") for m in data.get("members") or () if isinstance(m, dict)}
    wanted.discard(None)
    wanted.discard("")
    m = schema.instance_members
    have = set(uow.conn.execute(select(m.c.username).where(m.c.instance_id == instance_id)).scalars())
    if wanted - have:
        uow.conn.execute(insert(m), [{"instance_id": instance_id, "username": u}
                                     for u in sorted(wanted - have)])
    if have - wanted:
        uow.conn.execute(delete(m).where(and_(m.c.instance_id == instance_id,
                                              m.c.username.in_(have - wanted))))
