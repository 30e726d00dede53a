"""Drafts: what someone typed into a task's form, kept without validation until it is submitted.

One draft per task (whoever works on it next starts from it). Only the form's own fields that the
actor may read and write are kept; the engine never sees a draft.
"""
from sqlalchemy import delete, insert, select, update

from ..store import schema
from .attachments import workable_task
from .errors import InvalidInput
from .tasks import hidden_fields
from .versions import bundle_for

D = schema.task_drafts
MAX_FIELDS = 500


def writable_fields(uow, actor, task):
    """The form fields of `task` (a workable_task row) the actor may fill in."""
    form = bundle_for(uow, task.version_id).forms[task.form]
    properties = form.schema.get("properties", {})
    read_only = form.read_only_fields() | {
        name for name, hints in (form.ui.get("fields") or {}).items() if hints.get("readonly")}
    return set(properties) - read_only - hidden_fields([form], actor)


def save_draft(uow, actor, task_id, data):
    """Keep `data` as the task's draft; answers what was kept."""
    if not isinstance(data, dict):
        raise InvalidInput("草稿数据须为对象", {"data": "须为 JSON 对象"})
    if len(data) > MAX_FIELDS:
        raise InvalidInput("草稿字段过多", {"data": f"最多 {MAX_FIELDS} 个字段"})
    task = workable_task(uow, actor, task_id)
    allowed = writable_fields(uow, actor, task)
    kept = {k: v for k, v in data.items() if k in allowed}
    values = {"username": actor.username, "data": kept, "saved_at": uow.now}
    changed = uow.conn.execute(update(D).where(D.c.task_id == task.id).values(values)).rowcount
    if not changed:
        uow.conn.execute(insert(D).values(task_id=task.id, **values))
    return {"task_id": task.id, "data": kept, "saved_at": uow.now, "username": actor.username}


def load_draft(uow, actor, task_id):
    """The task's draft ({data, username, saved_at}) or None; only for who may work on it."""
    task = workable_task(uow, actor, task_id, change=False)
    row = uow.conn.execute(select(D.c.data, D.c.username, D.c.saved_at)
                           .where(D.c.task_id == task.id)).first()
    if row is None:
        return None
    allowed = writable_fields(uow, actor, task)
    return {"data": {k: v for k, v in (row.data or {}).items() if k in allowed},
            "username": row.username, "saved_at": row.saved_at}


def discard(uow, task_id):
    uow.conn.execute(delete(D).where(D.c.task_id == str(task_id)))
