"""Inspections: start, list, read, suspend/resume/cancel, public reports."""
from flask import Blueprint, jsonify
from flask_login import login_required

from ...services import instances
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import iso, json_body, paging

bp = Blueprint("api_instances", __name__, url_prefix="/api/instances")


@bp.post("")
@login_required
def start():
    body = json_body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidInput("data 须为对象", {"data": "须为 JSON 对象"})
    with unit_of_work(services()) as uow:
        instance_id = instances.start_instance(
            uow, actor(), body.get("process") or instances.MAIN_PROCESS, data)
    return jsonify(id=instance_id), 201


@bp.get("")
@login_required
def index():
    limit, offset = paging()
    with unit_of_work(services()) as uow:
        total, rows = instances.list_instances(uow, actor(), limit, offset)
    return jsonify(total=total, instances=[
        {"id": r["id"], "process": r["process_id"], "version": r["version_id"],
         "state": r["state"], "title": r["title"], "organisation": r["organisation"],
         "created_at": iso(r["created_at"])} for r in rows])


@bp.get("/<instance_id>")
@login_required
def show(instance_id):
    with unit_of_work(services()) as uow:
        found = instances.get_instance(uow, actor(), instance_id)
    found["tasks"] = [_open_task(t) for t in found["tasks"]]
    found["timers"] = [{"id": t["id"], "element": t["bpmn_id"], "kind": t["kind"],
                        "task_id": t["attached_task"], "due_at": iso(t["due_at"]),
                        "provisional": t["provisional"]} for t in found["timers"]]
    return jsonify(found)


def _open_task(task):
    return {"id": task["id"], "name": task["name"], "stage": task["stage"], "role": task["role"],
            "organisation": task["organisation"], "due_at": iso(task["due_at"]),
            "provisional": task["provisional"], "overdue": task["overdue"],
            "clauses": list(task["clauses"])}


@bp.post("/<instance_id>/<any(suspend, resume, cancel):action>")
@login_required
def change_state(instance_id, action):
    new_state = {"suspend": "suspended", "resume": "running", "cancel": "cancelled"}[action]
    with unit_of_work(services()) as uow:
        instances.set_state(uow, actor(), instance_id, new_state)
    return jsonify(id=instance_id, state=new_state)


@bp.post("/<instance_id>/reports")
@login_required
def register_report(instance_id):
    """The office registers a report received by phone, letter or visit (R3.3.2)."""
    with unit_of_work(services()) as uow:
        instances.register_report(uow, actor(), instance_id, json_body())
    return jsonify(ok=True), 201


@bp.post("/<instance_id>/corrections")
@login_required
def correct(instance_id):
    """The office corrects a date a deadline counts from (e.g. the end of fieldwork)."""
    changes = json_body().get("changes")
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("请给出要更正的字段", {"changes": "须为非空对象"})
    with unit_of_work(services()) as uow:
        instances.correct_dates(uow, actor(), instance_id, changes)
    return jsonify(id=instance_id, changes=changes)
