"""What the planning scenarios ask of the office that the product offers through the services and
the CLI but not (yet) through the JSON API: the registers the plan reads (R3.1b, R3.1c), starting
the annual plan (R1.2), the two-year coverage and its early warning (R3.1a), and opening a leave
request (R4.2.3). The in-process driver calls `call` directly; the scenario server answers
`POST /_scenario/office/{name}` with it, so both drivers run the same service calls.

Every call acts as the demo office user (the coverage check as the system, as the daily job
does) and answers plain JSON.
"""
import json

from ..services import coverage, leave, planning, registers

ACTOR = "office"


def _external(uow, actor, body):
    registers.add_external_inspection(uow, actor, body["organisation"], body["body"],
                                      body["year"], bool(body.get("joint")))


def _history(uow, actor, body):
    registers.add_past_inspection(uow, actor, body["organisation"], body["type"],
                                  body["onsite_start"], body.get("fieldwork_end"))


def _plan(uow, actor, body):
    return planning.start_plan(uow, actor, body["year"])


def _coverage(uow, actor, body):
    cycle = coverage.current_cycle(uow, body.get("year"))
    return {"cycle": cycle.label, "counties": [
        {"code": c["code"], "name": c["name"], "covered": c["covered"]}
        for c in coverage.county_coverage(uow, cycle)]}


def _coverage_check(uow, actor, body):
    return coverage.issue_warning_if_due(uow)


def _leave(uow, actor, body):
    return leave.request_leave(uow, actor, body["inspection_id"])


CALLS = {"external": _external, "history": _history, "plan": _plan, "coverage": _coverage,
         "coverage_check": _coverage_check, "leave": _leave}


def call(name, uow, actor, body):
    """Run the call `name` with `body` (a dict); its answer as plain JSON."""
    return json.loads(json.dumps(CALLS[name](uow, actor, body), ensure_ascii=False, default=str))
