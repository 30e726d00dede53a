"""The registers the planning rules read (R1.2, R3.1a-c).

- External inspections: the State Council's or the province's commission inspected a target in
  a year (R3.1b), possibly jointly with the city (counts for coverage, R3.1a). Typed in by the
  office.
- The city's own inspections (`inspection_history`): one row per inspection, written when the team
  enters (on-site start) and completed when its fieldwork ends, by hooks on those two tasks; the
  office registers the inspections made before the system the same way.

Why a table and not a view over `instances`: the facts sit inside each instance's serialized
workflow (type in the work plan, entry date, end of fieldwork), so reading them means loading and
walking every inspection's state; a row per inspection is one indexed query, and it also holds
inspections the system never ran (the 2024-25 cycle began before it).
"""
from datetime import date
from uuid import UUID

from sqlalchemy import and_, delete, insert, or_, select, update

from ..store import schema
from . import access
from .context import SYSTEM
from .errors import InvalidInput, NotFound

BODIES = {"state_council": "国务院安委会", "province": "省政府安委会"}
TYPES = {"full": "全面巡查", "special": "专项巡查"}
O, X, H = schema.organisations, schema.external_inspections, schema.inspection_history
# How far back the plan's facts reach: the table compares years, and may be changed to look back.
FACT_YEARS = 2


def candidates(uow):
    """R1.2: every county and every municipal department with supervision duties, by code."""
    rows = uow.conn.execute(select(O.c.code, O.c.name, O.c.kind).where(or_(
        O.c.kind == "county", and_(O.c.kind == "department", O.c.has_supervision_duty.is_(True))))
        .order_by(O.c.kind.desc(), O.c.code))
    return [dict(r._mapping) for r in rows]


def _organisation(uow, code, field="organisation"):
    row = uow.conn.execute(select(O.c.code, O.c.name, O.c.kind).where(
        or_(O.c.code == str(code), O.c.name == str(code)))).first()
    if row is None:
        raise InvalidInput("单位不存在", {field: f"未知的单位：{code}"})
    return row


def parse_year(value, field="year"):
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度不正确", {field: "请填写四位年度，如 2025"})
    return year


def _day(value, field):
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("日期不正确", {field: "请使用 YYYY-MM-DD 格式"}) from None


# ---------------------------------------------------------------- external inspections
def add_external_inspection(uow, actor, organisation, body, year, joint_with_city=False, note=""):
    access.require_role(actor, "office", "admin")
    org = _organisation(uow, organisation)
    if body not in BODIES:
        raise InvalidInput("巡查机关不正确", {"body": "须为 state_council 或 province"})
    year = parse_year(year)
    entry_id = uow.conn.execute(insert(X).values(
        organisation=org.code, body=body, year=year, joint_with_city=bool(joint_with_city),
        note=note or "", registered_by=actor.username, registered_at=uow.now
    ).returning(X.c.id)).scalar_one()
    uow.audit(actor, "register.external_added", entry=entry_id, organisation=org.code,
              body=body, year=year, joint_with_city=bool(joint_with_city))
    _refresh_plans(uow, actor, year)
    return entry_id


def remove_external_inspection(uow, actor, entry_id):
    """Correct a mistaken entry (audited with what it said)."""
    access.require_role(actor, "office", "admin")
    row = uow.conn.execute(select(X).where(X.c.id == int(entry_id))).first()
    if row is None:
        raise NotFound(f"登记 {entry_id} 不存在")
    uow.conn.execute(delete(X).where(X.c.id == row.id))
    uow.audit(actor, "register.external_removed", entry=row.id, organisation=row.organisation,
              body=row.body, year=row.year)
    _refresh_plans(uow, actor, row.year)


def list_external_inspections(uow, year=None, organisation=None):
    query = (select(X, O.c.name.label("organisation_name")).join(O, O.c.code == X.c.organisation)
             .order_by(X.c.year.desc(), X.c.organisation, X.c.id))
    if year is not None:
        query = query.where(X.c.year == int(year))
    if organisation:
        query = query.where(X.c.organisation == organisation)
    return [dict(r._mapping) for r in uow.conn.execute(query)]


# ---------------------------------------------------------------- the city's own inspections
def add_past_inspection(uow, actor, organisation, inspection_type, onsite_start,
                        fieldwork_end=None, joint_with_province=False, note=""):
    """An inspection the city made outside the system (before it, or on paper)."""
    access.require_role(actor, "office", "admin")
    org = _organisation(uow, organisation)
    if inspection_type not in TYPES:
        raise InvalidInput("巡查类型不正确", {"inspection_type": "须为 full 或 special"})
    start = _day(onsite_start, "onsite_start")
    end = _day(fieldwork_end, "fieldwork_end") if fieldwork_end else None
    if end is not None and end < start:
        raise InvalidInput("日期不正确", {"fieldwork_end": "现场巡查结束日期不得早于进驻日期"})
    entry_id = uow.conn.execute(insert(H).values(
        organisation=org.code, inspection_type=inspection_type, onsite_start=start,
        fieldwork_end=end, joint_with_province=bool(joint_with_province), instance_id=None,
        note=note or "", registered_by=actor.username, registered_at=uow.now
    ).returning(H.c.id)).scalar_one()
    uow.audit(actor, "register.inspection_added", entry=entry_id, organisation=org.code,
              inspection_type=inspection_type, onsite_start=start.isoformat(),
              fieldwork_end=end.isoformat() if end else None)
    _refresh_plans(uow, actor, start.year)
    return entry_id


def list_history(uow, organisation=None, first_year=None, last_year=None):
    query = (select(H, O.c.name.label("organisation_name"), O.c.kind)
             .join(O, O.c.code == H.c.organisation).order_by(H.c.onsite_start, H.c.id))
    if organisation:
        query = query.where(H.c.organisation == organisation)
    if first_year is not None:
        query = query.where(H.c.onsite_start >= date(first_year, 1, 1))
    if last_year is not None:
        query = query.where(H.c.onsite_start <= date(last_year, 12, 31))
    return [dict(r._mapping) for r in uow.conn.execute(query)]


def record_entry(uow, loaded, task, username):
    """Hook: the team has entered (发布巡查公告): the inspection is on record from its entry date."""
    data = _task_data(loaded, task)
    start = _optional_day(data.get("entry_date") or data.get("planned_onsite_start"))
    if start is None:
        return
    values = {"inspection_type": data.get("inspection_type") or "full", "onsite_start": start,
              "joint_with_province": bool(data.get("joint_with_province"))}
    _upsert(uow, loaded.row, values, username)


def record_fieldwork_end(uow, loaded, task, username):
    """Hook: the team leader closed the fieldwork (审核巡查记录, fieldwork_done)."""
    data = _task_data(loaded, task)
    end = _optional_day(data.get("fieldwork_end"))
    if not data.get("fieldwork_done") or end is None:
        return
    start = _optional_day(data.get("entry_date") or data.get("planned_onsite_start")) or end
    values = {"inspection_type": data.get("inspection_type") or "full", "onsite_start": start,
              "fieldwork_end": end, "joint_with_province": bool(data.get("joint_with_province"))}
    _upsert(uow, loaded.row, values, username)


def _task_data(loaded, task):
    found = loaded.workflow.get_task_from_id(UUID(task.id))
    return found.data if found is not None else {}


def _optional_day(value):
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _upsert(uow, row, values, username):
    found = uow.conn.execute(select(H.c.id).where(H.c.instance_id == row.id)).scalar()
    if found is None:
        found = uow.conn.execute(insert(H).values(
            organisation=row.organisation, instance_id=row.id, note="", registered_by=username,
            registered_at=uow.now, **values).returning(H.c.id)).scalar_one()
    else:
        uow.conn.execute(update(H).where(H.c.id == found).values(**values))
    detail = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
    uow.audit(SYSTEM, "register.inspection_recorded", row.id, entry=found, by=username, **detail)


# ---------------------------------------------------------------- facts for the rules
def target_facts(uow, year):
    """Per candidate target, what the exclusion table reads: its kind, the external inspections
    and the on-site starts of the city's special inspections of the last FACT_YEARS years."""
    facts = {c["code"]: {"target_name": c["name"], "kind": c["kind"], "external_inspections": [],
                         "special_onsite_starts": []} for c in candidates(uow)}
    first = year - FACT_YEARS
    for row in uow.conn.execute(select(X.c.organisation, X.c.body, X.c.year, X.c.joint_with_city)
                                .where(X.c.year.between(first, year)).order_by(X.c.year, X.c.id)):
        if row.organisation in facts:
            facts[row.organisation]["external_inspections"].append(
                {"body": row.body, "year": row.year, "joint_with_city": row.joint_with_city})
    for row in uow.conn.execute(select(H.c.organisation, H.c.onsite_start).where(and_(
            H.c.inspection_type == "special",
            H.c.onsite_start.between(date(first, 1, 1), date(year, 12, 31))))
            .order_by(H.c.onsite_start)):
        if row.organisation in facts:
            facts[row.organisation]["special_onsite_starts"].append(row.onsite_start.isoformat())
    return facts


def _refresh_plans(uow, actor, year):
    from .planning import refresh_drafts      # planning reads these registers
    refresh_drafts(uow, actor, year)
