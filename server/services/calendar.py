"""The working-day calendar: deadline look-ups and loading a year's official schedule."""
from sqlalchemy import delete, insert, select, update

from ..engine import runtime
from ..engine.calendar import YearSchedule, parse_day
from ..store import schema
from . import access
from .errors import InvalidInput
from .state import get_instance_row, load, save

# Far beyond any deadline of the regulation (about 20 years).
MAX_WORKING_DAYS, MAX_MONTHS = 5000, 240


def compute_deadline(uow, start, working_days=None, months=None):
    try:
        day = parse_day(start)
    except ValueError as exc:
        raise InvalidInput("开始日期无效", {"start": str(exc)}) from exc
    if (working_days is None) == (months is None):
        raise InvalidInput("须且只能给出工作日数或月数之一",
                           {"working_days": "与 months 二选一", "months": "与 working_days 二选一"})
    field, bound = ("working_days", MAX_WORKING_DAYS) if months is None else ("months", MAX_MONTHS)
    try:
        count = int(working_days if months is None else months)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("天数或月数无效", {field: "须为整数"}) from exc
    if abs(count) > bound:      # the calendar walks year by year: bound the walk
        raise InvalidInput("天数或月数超出范围", {field: f"须在 -{bound} 至 {bound} 之间"})
    try:
        if months is None:
            result = uow.calendar.add_working_days(day, count)
        else:
            result = uow.calendar.add_months(day, count)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput("期限超出可计算的日期范围", {field: str(exc)}) from exc
    return {"due": result.day.isoformat(), "provisional": result.provisional}


def load_year_schedule(uow, actor, schedule_dict):
    """Store a year's official schedule and recompute the provisional deadlines it settles."""
    access.require_role(actor, "admin")
    try:
        schedule = YearSchedule.from_dict(schedule_dict)
    except ValueError as exc:
        raise InvalidInput("年度节假日安排无效", {"schedule": str(exc)}) from exc
    years = schema.calendar_years
    uow.conn.execute(delete(years).where(years.c.year == schedule.year))
    uow.conn.execute(insert(years).values(year=schedule.year, schedule=schedule.to_dict(),
                                          loaded_at=uow.now, loaded_by=actor.username))
    revision = uow.conn.execute(select(schema.settings.c.calendar_revision)).scalar() or 0
    uow.conn.execute(update(schema.settings).values(calendar_revision=revision + 1))
    uow.refresh_calendar(revision + 1)
    recomputed = _recompute_provisional(uow)
    uow.audit(actor, "calendar.loaded", year=schedule.year, source=schedule.source,
              recomputed_instances=recomputed)
    return recomputed


def _recompute_provisional(uow):
    i, t = schema.instances, schema.human_tasks
    ids = uow.conn.execute(select(i.c.id).where(i.c.state == "running").where(
        i.c.id.in_(select(t.c.instance_id).where(t.c.provisional.is_(True), t.c.state == "open")))
    ).scalars().all()
    for instance_id in ids:
        loaded = load(uow, get_instance_row(uow, instance_id))
        runtime.recompute_timers(loaded.workflow, provisional_only=True)
        save(uow, loaded)
    return len(ids)
