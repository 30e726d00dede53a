"""Use cases on human tasks: the inbox, reading a task, claiming, completing, reassigning."""
from collections import namedtuple
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_, select, update

from ..engine import runtime
from ..engine.roles import effective_roles
from ..engine.projection import current_data
from ..store import schema
from ..store.fast import Statement
from . import access, attachments
from .errors import Conflict, EngineFailure, InvalidInput, NotFound
from .roster import sync_members
from .state import keep, load, save

T = schema.human_tasks
# The task and what completing it needs of its instance, in one read, with the settings row
# the unit of work needs for its clock and calendar (one statement fewer per request).
SELECT_TASK = Statement("""
    SELECT t.id, t.instance_id, t.name, t.role, t.organisation, t.state, t.claimed_by, t.overdue,
           t.form, i.state, i.process_id, i.version_id, i.revision, i.title, i.organisation,
           s.fake_now, s.calendar_revision
    FROM human_tasks t JOIN instances i ON i.id = t.instance_id
    LEFT JOIN settings s ON s.id = 1 WHERE t.id = :id""", [
    "id", "instance_id", "name", "role", "organisation", "state", "claimed_by", "overdue", "form",
    "instance_state", "process_id", "version_id", "revision", "title", "instance_organisation",
    "fake_now", "calendar_revision"])
INBOX_COLUMNS = (T.c.id, T.c.instance_id, T.c.name, T.c.stage, T.c.role, T.c.organisation,
                 T.c.process_id, T.c.due_at, T.c.provisional, T.c.overdue, T.c.claimed_by,
                 T.c.clauses, T.c.state, T.c.form, T.c.created_at, T.c.completed_by)
# What a task page shows beside the form (not needed to complete, so not in SELECT_TASK).
SELECT_TASK_DISPLAY = Statement(
    "SELECT stage, process_id, bpmn_id, clauses, due_at, provisional, created_at FROM human_tasks "
    "WHERE id = :id", ["stage", "process_id", "bpmn_id", "clauses", "due_at", "provisional",
                       "created_at"])


_InstanceRow = namedtuple("_InstanceRow", "id process_id version_id state revision organisation title")


def task_dict(row):
    task = dict(row._mapping)
    task["clauses"] = task["clauses"].split() if task.get("clauses") else []
    return task


def hidden_fields(forms, actor):
    """Field names the forms restrict (`ui.fields.<name>.read_roles`) to roles the actor lacks."""
    roles = effective_roles(actor.roles)
    return {name for form in forms for name, hints in (form.ui.get("fields") or {}).items()
            if hints.get("read_roles") and not roles.intersection(hints["read_roles"])}


def list_tasks(uow, actor, state="open", process=None, overdue=None, stage=None,
               limit=50, offset=0, organisation=None):
    """The actor's inbox: tasks of the actor's roles and scope, sorted by due date."""
    overdue = None if overdue is None else bool(overdue)
    rows_query, count_query = _listing(actor, state, process, overdue, stage, organisation,
                                       limit, offset)
    rows = [task_dict(r) for r in uow.conn.execute(rows_query)]
    # A page that is not full tells the total without counting (most inboxes fit on one page).
    if 0 < len(rows) < limit or (offset == 0 and not rows):
        total = offset + len(rows)
    else:
        total = uow.conn.execute(count_query).scalar()
    # The inspections' titles for this page of rows only (a join would cost on every row).
    titles = dict(uow.conn.execute(SELECT_TITLES, {"ids": list({r["instance_id"] for r in rows})})
                  .all()) if rows else {}
    for row in rows:
        row["instance_title"] = titles.get(row["instance_id"])
    return total, rows


SELECT_TITLES = select(schema.instances.c.id, schema.instances.c.title).where(
    schema.instances.c.id.in_(bindparam("ids", expanding=True)))


@lru_cache(maxsize=512)
def _listing(actor, state, process, overdue, stage, organisation, limit, offset):
    """The inbox's page and count statements for one actor and set of filters. Built once:
    building them costs about as much as running them on SQLite."""
    where = [access.task_filter(actor), T.c.state == state]
    if organisation:        # the task's (a liaison's) or the inspected organisation
        i = schema.instances
        where.append(or_(T.c.organisation == organisation, T.c.instance_id.in_(
            select(i.c.id).where(i.c.organisation == organisation))))
    if process:
        where.append(T.c.process_id == process)
    if overdue is not None:
        where.append(T.c.overdue.is_(overdue))
    if stage:
        where.append(T.c.stage == stage)
    condition = and_(*where)
    rows = (select(*INBOX_COLUMNS).where(condition)
            .order_by(T.c.due_at.is_(None), T.c.due_at, T.c.created_at).limit(limit).offset(offset))
    return rows, select(func.count()).select_from(T).where(condition)


def _task_row(uow, task_id):
    row = SELECT_TASK.first(uow.conn, {"id": str(task_id)}, datetimes=("fake_now",))
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在")
    uow.use_settings(row)
    return row


def _instance_of(row):
    """The instance columns of a SELECT_TASK row, shaped like state.SELECT_INSTANCE's."""
    return _InstanceRow(row.instance_id, row.process_id, row.version_id, row.instance_state,
                        row.revision, row.instance_organisation, row.title)


def get_task(uow, actor, task_id):
    """The task with its form and the data it starts from."""
    row = _task_row(uow, task_id)
    access.require_task_workable(uow, actor, row)
    loaded = load(uow, _instance_of(row))
    keep(uow, loaded)
    form = loaded.bundle.forms[row.form]
    task = {key: getattr(row, key) for key in ("id", "instance_id", "name", "role", "organisation",
                                                "state", "claimed_by")}
    task["overdue"] = bool(row.overdue)
    display = SELECT_TASK_DISPLAY.first(uow.conn, {"id": row.id}, datetimes=("due_at", "created_at"))
    task.update(display._asdict(), clauses=display.clauses.split(), provisional=bool(
        display.provisional), title=row.title, version_id=row.version_id, form_name=row.form)
    # Instance data is filtered by every form's read rules, not only this task's.
    hidden = hidden_fields(loaded.bundle.forms.values(), actor)
    data = current_data(loaded.workflow) if row.state == "open" else {}
    data = {k: v for k, v in data.items() if k not in hidden}
    if access.is_outsider(actor, row.instance_organisation):
        meta = loaded.bundle.tasks.get((display.process_id, display.bpmn_id))
        data = outside_view(data, form, meta.organisation_field if meta else "",
                            actor.organisation)
    task.update(form=form.schema, ui=form.ui, form_title=form.title, hidden=sorted(hidden),
                data=data)
    return task


def outside_view(data, form, organisation_field, organisation):
    """What a unit outside the inspected organisation sees of the inspection on its task: the
    task form's own fields and those it is asked to read first, and of lists only the rows
    addressed to it (e.g. the clues transferred to it, not those sent to others)."""
    shown = set(form.schema.get("properties", {})) | set(form.ui.get("read_first") or ())
    view = {}
    for key in shown & data.keys():
        value = data[key]
        if organisation_field and isinstance(value, list):
            value = [row for row in value if isinstance(row, dict)
                     and row.get(organisation_field) == organisation]
        view[key] = value
    return view


def claim_task(uow, actor, task_id):
    row = _open_task(uow, actor, task_id)
    if row.claimed_by and row.claimed_by != actor.username:
        raise Conflict(f"任务已由 {row.claimed_by} 认领")
    # Checked again in the UPDATE: on PostgreSQL two claims may both have read it unclaimed.
    claimed = uow.conn.execute(update(T).where(
        T.c.id == row.id, T.c.state == "open",
        or_(T.c.claimed_by.is_(None), T.c.claimed_by == actor.username),
    ).values(claimed_by=actor.username))
    if claimed.rowcount != 1:
        raise Conflict("任务已被他人认领或已办结，请刷新后重试")
    uow.audit(actor, "task.claimed", row.instance_id, row.id)


def unclaim_task(uow, actor, task_id):
    row = _open_task(uow, actor, task_id)
    if row.claimed_by != actor.username and not actor.has("office"):
        raise Conflict("只能退回自己认领的任务")
    _set_claim(uow, row, None)
    uow.audit(actor, "task.unclaimed", row.instance_id, row.id, previous=row.claimed_by)


def reassign_task(uow, actor, task_id, username):
    access.require_role(actor, "office")
    row = _open_task(uow, actor, task_id, check_workable=False)
    access.require_instance_visible(uow, actor, row.instance_id)
    user = uow.conn.execute(select(schema.users.c.id).where(
        schema.users.c.username == username)).first()
    if user is None:
        raise InvalidInput("用户不存在", {"user": f"未知用户：{username}"})
    _set_claim(uow, row, username)
    uow.audit(actor, "task.reassigned", row.instance_id, row.id, to=username,
              previous=row.claimed_by)


def _set_claim(uow, row, username):
    uow.conn.execute(update(T).where(T.c.id == row.id).values(claimed_by=username))


def _open_task(uow, actor, task_id, check_workable=True):
    row = _task_row(uow, task_id)
    if check_workable:
        access.require_task_workable(uow, actor, row)
    if row.state != "open":
        raise Conflict("任务已办结")
    return row


def complete_task(uow, actor, task_id, data, expected_revision=None):
    """Validate the form, run the task and what follows, save: all or nothing."""
    if not isinstance(data, dict):
        raise InvalidInput("表单数据须为对象", {"data": "须为 JSON 对象"})
    row = _open_task(uow, actor, task_id)
    if row.claimed_by and row.claimed_by != actor.username:
        raise Conflict(f"任务已由 {row.claimed_by} 认领")
    if row.instance_state != "running":
        raise Conflict(f"巡查当前状态为 {row.instance_state}，不能办理")
    if expected_revision is not None and expected_revision != row.revision:
        raise Conflict("该巡查已被他人更新，请刷新后重试")
    loaded = load(uow, _instance_of(row))
    form = loaded.bundle.forms[row.form]
    # Nobody writes a field they may not read; attachments must be this inspection's own.
    hidden = hidden_fields([form], actor)
    data = {k: v for k, v in data.items() if k not in hidden}
    attachments.check_links(uow, row.instance_id, form, data)
    try:
        runtime.complete(loaded.bundle, loaded.workflow, row.id, data)
    except runtime.InvalidTaskData as exc:
        raise InvalidInput("表单数据有误", exc.fields) from exc
    except runtime.TaskNotOpen as exc:
        raise Conflict("任务已办结") from exc
    except runtime.EngineError as exc:
        raise EngineFailure(f"流程运行出错：{exc}") from exc
    save(uow, loaded, completed=(row.id, actor.username))
    if "members" in data:
        sync_members(uow, row.instance_id, data)
    uow.audit(actor, "task.completed", row.instance_id, row.id, task=row.name, data=data,
              overdue=row.overdue)
