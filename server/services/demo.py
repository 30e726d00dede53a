"""`flask --app server demo`: demo users (password `demo`) and inspections in several stages,
made by driving the real process through the services, as people would."""
import copy
from datetime import timedelta

from sqlalchemy import select

from ..engine.calendar import BEIJING
from ..store import schema
from . import instances, planning, registers, tasks, users
from .context import unit_of_work
from .samples import ROSTER, SAMPLES
from .seed import ORGANISATIONS

PASSWORD = "demo"
STAFF = [("office", "市安委会办公室 周丽", ("office",), None),
         ("commission_leader", "市安委会副主任 郑凯", ("commission_leader",), None),
         ("commission_director", "市安委会主任 韩斌", ("commission_director",), None),
         ("discipline", "市纪委监委 冯洁", ("discipline",), None),
         ("org_dept", "市委组织部 吴刚", ("org_dept",), None),
         ("process_owner", "流程管理员 许晴", ("process_owner",), None),
         ("reviewer", "合规审查员 高远", ("reviewer",), None),
         ("admin", "系统管理员", ("admin",), None)]
TEAM_ROLES = {"leader": "team_leader", "deputy": "team_deputy", "expert": "expert"}

# Where each demo inspection stops: the tasks completed in order, as (user, task name).
PREPARED = [("office", "制定巡查工作方案"), ("office", "拟定巡查组名单"),
            ("commission_leader", "审批巡查组名单"), ("office", "发送巡查告知书"),
            ("target_{org}", "签收巡查告知书"), ("office", "组织集中培训")]
ON_SITE = PREPARED + [("team_leader", "发布巡查公告"), ("team_member1", "登记巡查工作记录")]
REPORTING = ON_SITE + [("team_leader", "审核巡查记录")]
DEMO_INSPECTIONS = [("shanxian", PREPARED[:2]), ("caoxian", ON_SITE), ("yuncheng", REPORTING)]


def demo_users():
    for username, name, roles, org in STAFF:
        yield username, name, roles, org
    for member in ROSTER:
        role = TEAM_ROLES.get(member["role"], "team_member")
        yield member["username"], member["name"], (role,), None
    for code, name, _kind in ORGANISATIONS:
        yield f"target_{code}", f"{name}联络员", ("target",), code


def load_demo(services):
    """Idempotent: users that exist are kept; inspections are added only to an empty database."""
    created = {"users": 0, "instances": 0}
    with unit_of_work(services) as uow:
        have = set(uow.conn.execute(select(schema.users.c.username)).scalars())
        for username, name, roles, org in demo_users():
            if username not in have:
                users.create_user(uow, username, PASSWORD, list(roles), org, name)
                created["users"] += 1
        has_instances = uow.conn.execute(select(schema.instances.c.id).limit(1)).first()
    if not has_instances:
        for org, steps in DEMO_INSPECTIONS:
            drive(services, org, steps)
            created["instances"] += 1
        demo_plan(services)
    return created


def demo_plan(services):
    """This year's plan for the office to draft: the province inspected 东明县 this year, so it
    is excluded by default (R3.1b); 郓城县 is under inspection (full) and stays a candidate."""
    office = _actor(services, "office")
    with unit_of_work(services) as uow:
        year = uow.now.astimezone(BEIJING).year
        registers.add_external_inspection(uow, office, "dongming", "province", year,
                                          note="省安委会延伸巡查（演示数据）")
        return planning.start_plan(uow, office, year)


def drive(services, org, steps):
    office = _actor(services, "office")
    with unit_of_work(services) as uow:
        instance_id = instances.start_instance(uow, office, data={"target": org})
    for username, name in steps:
        actor = _actor(services, username.format(org=org))
        with unit_of_work(services) as uow:
            _, inbox = tasks.list_tasks(uow, actor, limit=500)
            task = next(t for t in inbox if t["instance_id"] == instance_id and t["name"] == name)
            data = copy.deepcopy(SAMPLES[task["form"]]) | _dates_around(uow.now, task["form"])
            tasks.complete_task(uow, actor, task["id"], data)
    return instance_id


def _dates_around(now, form):
    """Dates near the clock's today, so demo deadlines lie ahead rather than years behind."""
    today = now.astimezone(BEIJING).date()
    if form == "work_plan.json":
        return {"planned_onsite_start": today.isoformat(),
                "planned_onsite_end": (today + timedelta(days=18)).isoformat()}
    if form == "fieldwork_review.json":
        return {"fieldwork_end": (today - timedelta(days=1)).isoformat()}
    return {}


def _actor(services, username):
    with unit_of_work(services) as uow:
        return users.actor_for(uow, username)
