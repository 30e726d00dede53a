"""What the inbox shows around the task list: the open-task count, notifications of reminders and
deadlines (written by the timers, per role and organisation), and who a task may be given to."""
from sqlalchemy import func, insert, select, update

from ..engine.roles import ALSO_ACTS_AS
from ..store import schema
from . import access
from .versions import active_version, bundle_for

T, N, M = schema.human_tasks, schema.notifications, schema.notification_marks
U, R = schema.users, schema.user_roles


def count_open(uow, actor):
    """How many open tasks the actor may work on: one indexed count."""
    return uow.conn.execute(select(func.count()).select_from(T).where(
        T.c.state == "open", access.task_filter(actor))).scalar()


def _marks(uow, actor):
    row = uow.conn.execute(select(M.c.read_up_to, M.c.seen_at)
                           .where(M.c.username == actor.username)).first()
    return (row.read_up_to, row.seen_at) if row else (0, None)


def notifications(uow, actor, limit=10):
    """The latest notifications about tasks the actor may work on, and how many are unread.

    Answers {"items": [...], "unread": n, "seen_at": when the actor last marked them read}.
    A notification carries its task's role, organisation and instance, so it is scoped on its
    own columns (the index on role, organisation, id); the task is joined for its state only.
    """
    read_up_to, seen_at = _marks(uow, actor)
    visible = access.task_filter(actor, N)
    unread = uow.conn.execute(select(func.count()).select_from(N).where(
        visible, N.c.id > read_up_to)).scalar()
    rows = uow.conn.execute(
        select(N.c.id, N.c.created_at, N.c.kind, N.c.instance_id, N.c.task_id, N.c.message,
               T.c.state.label("task_state"))
        .select_from(N.outerjoin(T, T.c.id == N.c.task_id)).where(visible)
        .order_by(N.c.id.desc()).limit(limit))
    items = [dict(r._mapping, unread=r.id > read_up_to) for r in rows]
    return {"items": items, "unread": unread, "seen_at": seen_at}


def mark_read(uow, actor):
    """Everything visible now counts as read; tasks arriving later are flagged 新."""
    newest = uow.conn.execute(select(func.max(N.c.id))).scalar() or 0
    values = {"read_up_to": newest, "seen_at": uow.now}
    if not uow.conn.execute(update(M).where(M.c.username == actor.username)
                            .values(values)).rowcount:
        uow.conn.execute(insert(M).values(username=actor.username, **values))


def last_seen(uow, actor):
    return _marks(uow, actor)[1]


def candidates(uow, role, organisation=None, instance_id=None):
    """Active users (username, display name) who could work on a task of `role`: a liaison of
    the task's organisation, a team member named on the inspection's roster."""
    key = (role, organisation, instance_id)
    return candidates_for(uow, [key])[key]


def candidates_for(uow, keys):
    """`candidates` for many (role, organisation, instance id) keys (a page of tasks) in two
    statements: the active users with their roles, and the rosters of the keys' inspections."""
    people = {}                     # role -> [(username, display name, organisation)]
    for r in uow.conn.execute(select(U.c.username, U.c.display_name, U.c.organisation, R.c.role)
                              .join(R, R.c.user_id == U.c.id).where(U.c.active.is_(True))
                              .order_by(U.c.username)):
        people.setdefault(r.role, []).append(r)
    teams = {str(i) for role, _org, i in keys if role in access.TEAM_ROLES}
    members = schema.instance_members
    rosters = set(map(tuple, uow.conn.execute(
        select(members.c.instance_id, members.c.username)
        .where(members.c.instance_id.in_(teams))))) if teams else set()
    found = {}
    for role, organisation, instance_id in set(keys):
        holders = {role} | {r for r, also in ALSO_ACTS_AS.items() if role in also}
        chosen = {p.username: {"username": p.username, "display_name": p.display_name}
                  for holder in holders for p in people.get(holder, ())
                  if (role != "target" or p.organisation == organisation)
                  and (role not in access.TEAM_ROLES or (str(instance_id), p.username) in rosters)}
        found[(role, organisation, instance_id)] = [chosen[u] for u in sorted(chosen)]
    return found


STAGE_ORDER = ("准备", "进驻", "实施", "报告", "反馈", "公开")


def filter_choices(uow):
    """What the inbox can be filtered by: stages, processes of the active version, organisations."""
    bundle = bundle_for(uow, active_version(uow))
    stages = {meta.stage for meta in bundle.tasks.values() if meta.stage}
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    o = schema.organisations
    return {
        "stages": sorted(stages, key=lambda s: (order.get(s, len(order)), s)),
        "processes": sorted(bundle.process_names.items(), key=lambda p: p[1]),
        "organisations": [tuple(r) for r in uow.conn.execute(
            select(o.c.code, o.c.name).order_by(o.c.kind, o.c.code))],
    }


def organisation_name(uow, code):
    o = schema.organisations
    return uow.conn.execute(select(o.c.name).where(o.c.code == code)).scalar() or code
