"""What fired timers leave behind: an audit entry each, and a notification for the people whose
task a reminder or a deadline concerns (shown in their inbox). New, due-soon and overdue work is
also mailed when a mail server is configured (mail.py)."""
from sqlalchemy import insert

from ..store import schema
from .context import SYSTEM
from .mail import queue_task_mail

MESSAGES = {"reminder": "即将到期：{name}", "deadline": "已逾期：{name}"}
INSERT_NOTIFICATION = insert(schema.notifications)


def record_fired(uow, instance_id, projection):
    for timer in projection.fired:
        uow.audit(SYSTEM, f"timer.{timer.kind or 'fired'}", instance_id, timer.attached_task,
                  timer=timer.bpmn_id)
        task = projection.task(timer.attached_task) if timer.attached_task else None
        if task is not None and timer.kind in MESSAGES:
            uow.conn.execute(INSERT_NOTIFICATION, {
                "created_at": uow.now, "kind": timer.kind, "instance_id": instance_id,
                "task_id": task.id, "role": task.role, "organisation": task.organisation,
                "message": MESSAGES[timer.kind].format(name=task.name)})
            queue_task_mail(uow, timer.kind, [vars(task) | {"instance_id": instance_id}])


def record_new_tasks(uow, row, added):
    """New work (task rows just inserted for instance `row`): mail, when configured."""
    queue_task_mail(uow, "new", added, title=getattr(row, "title", None))
