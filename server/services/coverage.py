"""Two-year coverage (R3.1a, D3): every county inspected once in each fixed biennium.

The biennium starts at a configurable year (2024 -> 2024-25, 2026-27, ...). A county is covered
by the first inspection in the cycle that the `coverage_counts` decision table counts: a
completed on-site inspection of the city (its fieldwork ended in the cycle) or an inspection of
the State Council's or the province's commission the city joined. On a configurable day of the
cycle's second year the office is warned, once, about the counties not yet covered.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update

from ..engine.calendar import BEIJING
from ..engine.decisions import DecisionError, decide
from ..store import schema
from . import access, instances, registers
from .context import SYSTEM
from .errors import EngineFailure, InvalidInput
from .versions import active_version, bundle_for

DEFAULTS = {"cycle_start_year": 2024, "warning_date": "10-01"}   # warning_date: MM-DD, 2nd year
S, W = schema.planning_settings, schema.coverage_warnings


@dataclass(frozen=True)
class Cycle:
    first_year: int
    last_year: int

    @property
    def label(self):
        return f"{self.first_year}—{self.last_year}年"

    def __contains__(self, year):
        return self.first_year <= year <= self.last_year


def biennium(year, start_year):
    """The fixed two-year cycle holding `year`, cycles counted from `start_year`."""
    first = start_year + 2 * ((year - start_year) // 2)
    return Cycle(first, first + 1)


# ---------------------------------------------------------------- settings
def settings(uow):
    stored = {r.key: r.value for r in uow.conn.execute(select(S.c.key, S.c.value))}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def configure(uow, actor, cycle_start_year=None, warning_date=None):
    access.require_role(actor, "office", "admin")
    changes = {}
    if cycle_start_year is not None:
        changes["cycle_start_year"] = registers.parse_year(cycle_start_year, "cycle_start_year")
    if warning_date is not None:
        changes["warning_date"] = _month_day(warning_date)
    before = settings(uow)
    for key, value in changes.items():
        if uow.conn.execute(update(S).where(S.c.key == key).values(
                value=value, updated_by=actor.username, updated_at=uow.now)).rowcount == 0:
            uow.conn.execute(insert(S).values(key=key, value=value, updated_by=actor.username,
                                              updated_at=uow.now))
    uow.audit(actor, "coverage.configured", **{k: [before[k], v] for k, v in changes.items()})
    return settings(uow)


def _month_day(value):
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2024, month, day)            # a leap year accepts every real MM-DD
    except ValueError:
        raise InvalidInput("预警日期不正确", {"warning_date": "请使用 MM-DD 格式，如 10-01"}) from None
    return f"{month:02d}-{day:02d}"


def today(uow):
    return uow.now.astimezone(BEIJING).date()


def current_cycle(uow, year=None):
    return biennium(year or today(uow).year, settings(uow)["cycle_start_year"])


def warning_day(uow, cycle):
    month, day = (int(part) for part in settings(uow)["warning_date"].split("-"))
    return date(cycle.last_year, month, min(day, 28) if (month, day) == (2, 29) else day)


# ---------------------------------------------------------------- coverage
def county_coverage(uow, cycle):
    """Per county: covered or not in `cycle`, and the inspection that covers it."""
    engine = bundle_for(uow, active_version(uow)).decisions["coverage_counts"]
    records = {}
    for row in registers.list_history(uow, first_year=cycle.first_year - 1,
                                      last_year=cycle.last_year):
        if row["fieldwork_end"] is not None and row["fieldwork_end"].year in cycle:
            records.setdefault(row["organisation"], []).append((row["fieldwork_end"], {
                "source": "city", "inspection_type": row["inspection_type"],
                "joint_with_city": True, "date": row["fieldwork_end"].isoformat(),
                "instance_id": row["instance_id"], "entry": row["id"]}))
    for year in (cycle.first_year, cycle.last_year):
        for row in registers.list_external_inspections(uow, year=year):
            records.setdefault(row["organisation"], []).append((date(year, 12, 31), {
                "source": "external", "body": row["body"], "inspection_type": None,
                "joint_with_city": row["joint_with_city"], "date": str(year), "entry": row["id"]}))
    result = []
    for county in (c for c in registers.candidates(uow) if c["kind"] == "county"):
        covering = None
        for _when, record in sorted(records.get(county["code"], []), key=lambda r: r[0]):
            verdict = _counts(uow, engine, record)
            if verdict.get("counts"):
                covering = record | {"basis": verdict.get("basis", "")}
                break
        result.append({"code": county["code"], "name": county["name"],
                       "covered": covering is not None, "by": covering})
    return result


def _counts(uow, engine, record):
    try:
        return decide(engine, record, uow.script_engine)
    except DecisionError as exc:
        raise EngineFailure(f"决策表 coverage_counts 出错：{exc}") from exc


def uncovered(uow, cycle):
    return [c for c in county_coverage(uow, cycle) if not c["covered"]]


# ---------------------------------------------------------------- early warning
def issue_warning_if_due(uow):
    """On or after the warning day of the current cycle, once per cycle: the counties not yet
    covered go to the office as a task (两年全覆盖预警) with a notification. None when not due
    or already given; else {"cycle", "uncovered", "instance_id"}."""
    cycle = current_cycle(uow)
    if today(uow) < warning_day(uow, cycle):
        return None
    if uow.conn.execute(select(W.c.cycle_start_year).where(
            W.c.cycle_start_year == cycle.first_year)).first() is not None:
        return None
    missing = uncovered(uow, cycle)
    names = [c["name"] for c in missing]
    instance_id = None
    if missing:
        instance_id = instances.create_instance(uow, SYSTEM, "coverage_warning", {
            "cycle_label": cycle.label, "cycle_start_year": cycle.first_year,
            "warning_counties": names, "warning_codes": [c["code"] for c in missing]},
            None, cycle.label)
        _notify_office(uow, instance_id, cycle, names)
    uow.conn.execute(insert(W).values(cycle_start_year=cycle.first_year, issued_at=uow.now,
                                      uncovered=names, instance_id=instance_id))
    uow.audit(SYSTEM, "coverage.warning", instance_id, cycle=cycle.label, uncovered=names)
    return {"cycle": cycle.label, "uncovered": names, "instance_id": instance_id}


def _notify_office(uow, instance_id, cycle, names):
    t = schema.human_tasks
    task_id = uow.conn.execute(select(t.c.id).where(t.c.instance_id == instance_id)).scalar()
    uow.conn.execute(insert(schema.notifications).values(
        created_at=uow.now, kind="warning", instance_id=instance_id, task_id=task_id,
        role="office", organisation=None,
        message=f"两年全覆盖预警：{cycle.label}尚有{len(names)}个县区未巡查（{'、'.join(names)}）"))
