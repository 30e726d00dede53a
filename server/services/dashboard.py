"""What the office oversees at a glance: inspections by status, overdue work, interviews, and the
two-year coverage of the counties (R3.1a)."""
from sqlalchemy import Integer, func, select

from ..store import schema
from . import access, coverage

I, T = schema.instances, schema.human_tasks
SEES_DASHBOARD = ("office", "commission_leader", "commission_director", "reviewer", "admin")


def overview(uow, actor):
    access.require_role(actor, *SEES_DASHBOARD)
    by_state = dict(uow.conn.execute(
        select(I.c.state, func.count()).where(I.c.process_id == "safety_inspection")
        .group_by(I.c.state)).all())
    open_by_stage = uow.conn.execute(
        select(T.c.stage, func.count(), func.sum(T.c.overdue.cast(Integer)))
        .where(T.c.state == "open", T.c.process_id.like("inspection_%"))
        .group_by(T.c.stage)).all()
    interviews = uow.conn.execute(select(func.count()).where(
        T.c.name == "组织约谈")).scalar()
    cycle = coverage.current_cycle(uow)
    counties = coverage.county_coverage(uow, cycle)
    return {
        "instances": by_state,
        "stages": [{"stage": stage, "open": count, "overdue": int(late or 0)}
                   for stage, count, late in open_by_stage],
        "overdue": sum(int(late or 0) for _stage, _count, late in open_by_stage),
        "interviews": interviews,
        "cycle": cycle.label,
        "warning_day": coverage.warning_day(uow, cycle).isoformat(),
        "counties": counties,
        "covered": sum(1 for c in counties if c["covered"]),
    }
