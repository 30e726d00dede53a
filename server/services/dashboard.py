"""What the office oversees at a glance: inspections by status and by stage, overdue work,
interviews, and the two-year coverage of the counties (R3.1a)."""
from sqlalchemy import Integer, func, select

from ..store import schema
from . import access, coverage
from .inbox import STAGE_ORDER

I, T, O = schema.instances, schema.human_tasks, schema.organisations
SEES_DASHBOARD = ("office", "commission_leader", "commission_director", "reviewer", "admin")
MAIN_PROCESS = "safety_inspection"
INTERVIEW = "组织约谈"
DONE_STAGE = "已办结"


def overview(uow, actor):
    access.require_role(actor, *SEES_DASHBOARD)
    by_state = dict(uow.conn.execute(
        select(I.c.state, func.count()).where(I.c.process_id == MAIN_PROCESS)
        .group_by(I.c.state)).all())
    open_by_stage = uow.conn.execute(
        select(T.c.stage, func.count(), func.sum(T.c.overdue.cast(Integer)))
        .where(T.c.state == "open", T.c.process_id.like("inspection_%"))
        .group_by(T.c.stage)).all()
    cycle = coverage.current_cycle(uow)
    counties = coverage.county_coverage(uow, cycle)
    interviews = interviews_by_organisation(uow)
    return {
        "instances": by_state,
        "by_stage": inspections_by_stage(uow),
        "stages": sorted(({"stage": stage, "open": count, "overdue": int(late or 0)}
                          for stage, count, late in open_by_stage),
                         key=lambda row: stage_rank(row["stage"])),
        "overdue": sum(int(late or 0) for _stage, _count, late in open_by_stage),
        "interviews": sum(row["count"] for row in interviews),
        "interviews_by_organisation": interviews,
        "cycle": cycle.label,
        "warning_day": coverage.warning_day(uow, cycle).isoformat(),
        "counties": counties,
        "covered": sum(1 for c in counties if c["covered"]),
    }


def stage_rank(stage):
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def current_stages(uow, instance_ids=None):
    """Per running inspection, the furthest stage with open work (parallel branches may
    leave work open in an earlier stage too)."""
    query = (select(T.c.instance_id, T.c.stage)
             .where(T.c.state == "open", T.c.process_id.like("inspection_%")).distinct())
    if instance_ids is not None:
        query = query.where(T.c.instance_id.in_(list(instance_ids)))
    stages = {}
    for instance_id, stage in uow.conn.execute(query):
        if instance_id not in stages or stage_rank(stage) > stage_rank(stages[instance_id]):
            stages[instance_id] = stage
    return stages


def inspections_by_stage(uow):
    """How many running inspections are in each stage, in the procedure's order, and how many
    are finished."""
    running = uow.conn.execute(select(I.c.id).where(
        I.c.process_id == MAIN_PROCESS, I.c.state == "running")).scalars().all()
    stages = current_stages(uow, running)
    counts = {stage: 0 for stage in STAGE_ORDER}
    for instance_id in running:
        stage = stages.get(instance_id, "其他")
        counts[stage] = counts.get(stage, 0) + 1
    done = uow.conn.execute(select(func.count()).where(
        I.c.process_id == MAIN_PROCESS, I.c.state == "completed")).scalar()
    return [{"stage": stage, "count": count} for stage, count in counts.items()] + \
        [{"stage": DONE_STAGE, "count": done}]


def interviews_by_organisation(uow):
    """Interviews (约谈, R3.3.5b) held or due, per inspected organisation."""
    rows = uow.conn.execute(
        select(O.c.name, func.count()).select_from(
            T.join(I, I.c.id == T.c.instance_id).join(O, O.c.code == I.c.organisation))
        .where(T.c.name == INTERVIEW, T.c.state != "cancelled")
        .group_by(O.c.name).order_by(func.count().desc(), O.c.name)).all()
    return [{"organisation": name, "count": count} for name, count in rows]
