"""Who may see and do what: role and organisation scoping for every read and write (design §9).

Out-of-scope reads answer NotFound (the thing's existence is not revealed); a visible task of
another role answers Forbidden.
"""
from sqlalchemy import and_, exists, false, or_, select, true

from ..engine.roles import effective_roles
from ..store import schema
from .errors import Forbidden, NotFound
from .roster import is_member

SEE_ALL = ("office", "commission_leader", "commission_director", "reviewer", "admin",
           "process_owner")
TEAM_ROLES = ("team_leader", "team_deputy", "team_member", "expert")


def instance_filter(actor):
    """A WHERE clause over `instances` selecting what the actor may see."""
    i, m, t = schema.instances, schema.instance_members, schema.human_tasks
    if actor.has(*SEE_ALL):
        return true()
    clauses = []
    if actor.has(*TEAM_ROLES):
        clauses.append(exists().where(and_(m.c.instance_id == i.c.id,
                                           m.c.username == actor.username)))
    if actor.has("target") and actor.organisation:
        # Only its own inspections: a unit that receives another inspection's clues works on
        # that task alone and sees no more of the inspection (tasks.get_task, outside_view).
        clauses.append(i.c.organisation == actor.organisation)
    for role in ("discipline", "org_dept"):
        if actor.has(role):
            clauses.append(exists().where(and_(t.c.instance_id == i.c.id, t.c.role == role)))
    return or_(*clauses) if clauses else false()


def task_filter(actor, table=None):
    """A WHERE clause over `human_tasks` selecting the tasks the actor may work on.

    `table` may be another table with the task's `role`, `organisation` and `instance_id`
    (notifications carry them), to scope its rows the same way without a join.
    """
    t, m = schema.human_tasks if table is None else table, schema.instance_members
    roles = effective_roles(actor.roles)
    clauses = []
    for role in sorted(roles):
        if role == "target" and actor.organisation:
            clauses.append(and_(t.c.role == "target", t.c.organisation == actor.organisation))
        elif role == "target":
            continue
        elif role in TEAM_ROLES:
            clauses.append(and_(t.c.role == role, exists().where(and_(
                m.c.instance_id == t.c.instance_id, m.c.username == actor.username))))
        else:
            clauses.append(t.c.role == role)
    return or_(*clauses) if clauses else false()


def is_outsider(actor, instance_organisation):
    """A liaison working on a task of another organisation's inspection (a clue's receiver)."""
    return (actor.has("target") and not actor.has(*SEE_ALL, *TEAM_ROLES, "discipline", "org_dept")
            and actor.organisation != instance_organisation)


def may_work_on(uow, actor, role, organisation, instance_id):
    """The task_filter rule for one task, decided in Python (the hot path of completing)."""
    if role not in effective_roles(actor.roles):
        return False
    if role == "target":
        return organisation is not None and organisation == actor.organisation
    if role in TEAM_ROLES:
        return is_member(uow, instance_id, actor.username)
    return True


def require_instance_visible(uow, actor, instance_id):
    found = uow.conn.execute(select(schema.instances.c.id).where(and_(
        schema.instances.c.id == str(instance_id), instance_filter(actor)))).first()
    if found is None:
        raise NotFound(f"巡查实例 {instance_id} 不存在")


def require_task_workable(uow, actor, task_row):
    """The actor may work on this task, or gets NotFound / Forbidden."""
    if may_work_on(uow, actor, task_row.role, task_row.organisation, task_row.instance_id):
        return
    require_instance_visible(uow, actor, task_row.instance_id)
    raise Forbidden("您的角色或单位无权办理该任务", {"role": task_row.role})


def require_role(actor, *roles):
    if not actor.has(*roles):
        raise Forbidden("您的角色无权执行此操作")
