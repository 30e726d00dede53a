"""The annual inspection plan (R1.2, R3.1a-c, R4.1.1): an `annual_plan` instance per year.

The services start it with what the office needs to draw the plan: the candidates (R1.2), the
register facts per candidate, and each candidate's default exclusion for a full inspection
evaluated with the `plan_exclusion` decision table. After each submission of the draft the
diagram itself evaluates the same table once per item (a multi-instance business rule task over
the register facts it was given, so a typed-over flag changes nothing); items included despite
an exclusion need a reason and a commission leader's explicit approval. When the plan is
approved (the instance completes), one `safety_inspection` starts per planned item, in the same
transaction (hooks.py).
"""
from sqlalchemy import and_, insert, or_, select, update

from ..engine import runtime
from ..engine.decisions import DecisionError, decide
from ..engine.projection import current_data
from ..store import schema
from . import access, coverage, instances, registers, users
from .context import SYSTEM
from .errors import Conflict, EngineFailure
from .state import get_instance_row, load, save
from .versions import active_version, bundle_for

PROCESS = "annual_plan"
DRAFT_TASK = "draft_plan"
P, I = schema.inspection_plans, schema.instances
ITEM_FIELDS = ("special_basis", "special_sector", "joint_with_province")   # into the work plan


def start_plan(uow, actor, year):
    """Start the plan of `year` for the office to draft; one live or approved plan per year."""
    access.require_role(actor, "office")
    year = registers.parse_year(year)
    if _live_plan(uow, year) is not None:
        raise Conflict(f"{year}年度巡查计划已存在", {"year": "该年度已有进行中或已批准的计划"})
    facts = registers.target_facts(uow, year)
    cycle = coverage.current_cycle(uow, year)
    data = {
        "plan_year": year, "cycle_label": cycle.label, "target_facts": facts,
        "candidate_targets": list(facts), "plan_problems": [],
        "uncovered_counties": [c["name"] for c in coverage.uncovered(uow, cycle)],
        "plan_items": default_items(uow, facts, year),
    }
    instance_id = instances.create_instance(uow, actor, PROCESS, data, None, f"{year}年")
    uow.conn.execute(insert(P).values(instance_id=instance_id, year=year, state="drafting",
                                      started_by=actor.username, started_at=uow.now,
                                      inspections=[]))
    uow.audit(actor, "plan.started", instance_id, year=year,
              excluded={i["target"]: i["exclusion_rule"] for i in data["plan_items"] if i["excluded"]})
    return instance_id


def default_items(uow, facts, year):
    """Every candidate as a full inspection, included unless the exclusion table excludes it."""
    items = []
    for code, fact in facts.items():
        item = {"target": code, "target_name": fact["target_name"], "type": "full",
                "joint_with_province": False}
        item.update(exclusion(uow, item | fact, year))
        item["include"] = not item["excluded"]
        items.append(item)
    return items


def exclusion(uow, item, year):
    """The `plan_exclusion` table's answer for one item: excluded, exclusion_rule and _reason."""
    engine = bundle_for(uow, active_version(uow)).decisions["plan_exclusion"]
    try:
        answer = decide(engine, {"item": item, "plan_year": year}, uow.script_engine)
    except DecisionError as exc:
        raise EngineFailure(f"决策表 plan_exclusion 出错：{exc}") from exc
    verdict = answer.get("exclusion") or {}
    return {"excluded": bool(verdict.get("excluded")),
            "exclusion_rule": verdict.get("exclusion_rule") or "",
            "exclusion_reason": verdict.get("exclusion_reason") or ""}


def refresh_drafts(uow, actor, year):
    """A register entry changed the facts of `year`: plans still being drafted take the new
    facts and default exclusions (the office's own choices per item are kept)."""
    refreshed = 0
    for row in uow.conn.execute(select(P.c.instance_id).join(I, I.c.id == P.c.instance_id).where(
            and_(P.c.year == year, P.c.state == "drafting", I.c.state == "running"))).all():
        loaded = load(uow, get_instance_row(uow, row.instance_id))
        if not any(t.bpmn_id == DRAFT_TASK for t in loaded.projection.open_tasks):
            continue            # under approval: the leader can return it to be redrawn
        facts = registers.target_facts(uow, year)
        items = [item | exclusion(uow, item | facts.get(item.get("target"), {}), year)
                 for item in current_data(loaded.workflow).get("plan_items") or []]
        runtime.correct_data(loaded.workflow, {"target_facts": facts, "plan_items": items})
        save(uow, loaded)
        uow.audit(actor, "plan.facts_refreshed", row.instance_id, year=year)
        refreshed += 1
    return refreshed


def start_planned_inspections(uow, loaded, username):
    """Hook: the plan was approved; each planned item becomes an inspection, started on behalf
    of the approving leader."""
    data = loaded.workflow.data
    actor = users.actor_for(uow, username) if username else SYSTEM
    year = data.get("plan_year")
    started = []
    for item in data.get("approved_items") or []:
        org = instances.resolve_organisation(uow, item["target"])
        start = {key: item.get(key) for key in ITEM_FIELDS if item.get(key) not in (None, "")}
        start.update(target=org.code, target_name=org.name, inspection_type=item.get("type", "full"),
                     plan_year=year, plan_instance=loaded.row.id)
        started.append(instances.create_instance(uow, actor, instances.MAIN_PROCESS, start,
                                                 org.code, org.name))
    uow.conn.execute(update(P).where(P.c.instance_id == loaded.row.id).values(
        state="approved", approved_by=actor.username, approved_at=uow.now, inspections=started))
    uow.audit(actor, "plan.approved", loaded.row.id, year=year, inspections=started,
              overrides=data.get("override_items") or [])


def _live_plan(uow, year):
    return uow.conn.execute(select(P.c.instance_id).join(I, I.c.id == P.c.instance_id).where(
        and_(P.c.year == year, or_(P.c.state == "approved",
                                   I.c.state.in_(("running", "suspended")))))).scalar()


def list_plans(uow, year=None):
    query = (select(P, I.c.state.label("instance_state"), I.c.title)
             .join(I, I.c.id == P.c.instance_id).order_by(P.c.year.desc(), P.c.started_at))
    if year is not None:
        query = query.where(P.c.year == int(year))
    return [dict(r._mapping) for r in uow.conn.execute(query)]

