"""Firing due timers: deadlines escalate, reminders notify. Each instance in its own transaction."""
from sqlalchemy import and_, func, insert, select

from ..engine import runtime
from ..store import schema
from .context import SYSTEM, unit_of_work
from .state import load_workflow, save_workflow

KIND_MESSAGES = {"reminder": "即将到期：{name}", "deadline": "已逾期：{name}"}


def earliest_due_at(uow):
    i = schema.instances
    return uow.conn.execute(select(func.min(i.c.next_due_at))
                            .where(i.c.state == "running")).scalar()


def claim_due_instance(uow):
    """The next running instance with a due timer, row-locked so other workers skip it."""
    i = schema.instances
    query = (select(i).where(and_(i.c.state == "running", i.c.next_due_at <= uow.now))
             .order_by(i.c.next_due_at).limit(1))
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return uow.conn.execute(query).first()


def fire_instance_timers(uow, row):
    bundle, workflow = load_workflow(uow, row)
    open_before = {t.id: t for t in runtime.open_tasks(bundle, workflow)}
    fired = runtime.tick(bundle, workflow)
    save_workflow(uow, row, bundle, workflow)
    for timer in fired:
        uow.audit(SYSTEM, f"timer.{timer.kind or 'fired'}", row.id, timer.attached_task,
                  timer=timer.bpmn_id)
        task = open_before.get(timer.attached_task)
        if task is not None and timer.kind in KIND_MESSAGES:
            uow.conn.execute(insert(schema.notifications).values(
                created_at=uow.now, kind=timer.kind, instance_id=row.id, task_id=task.id,
                role=task.role, organisation=task.organisation,
                message=KIND_MESSAGES[timer.kind].format(name=task.name)))
    return len(fired)


def fire_due_timers(services, limit=1000):
    """Fire what is due now, one instance per transaction; returns how many timers fired."""
    fired = 0
    for _ in range(limit):
        with unit_of_work(services) as uow:
            row = claim_due_instance(uow)
            if row is None:
                break
            fired += fire_instance_timers(uow, row)
    return fired
