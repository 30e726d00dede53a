"""The inbox and work on tasks: read, claim, unclaim, reassign, complete."""
from flask import Blueprint, jsonify
from flask_login import login_required

from ...services import tasks
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import json_body, paging, query, task_json

bp = Blueprint("api_tasks", __name__, url_prefix="/api/tasks")
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@bp.get("")
@login_required
def inbox():
    limit, offset = paging()
    state = query("state", "open")
    if state not in ("open", "completed", "cancelled"):
        raise InvalidInput("state 参数无效", {"state": "open、completed 或 cancelled"})
    overdue = query("overdue")
    if overdue is not None and overdue not in BOOLEANS:
        raise InvalidInput("overdue 参数无效", {"overdue": "true 或 false"})
    with unit_of_work(services()) as uow:
        total, rows = tasks.list_tasks(
            uow, actor(), state=state, process=query("process"),
            overdue=BOOLEANS.get(overdue), stage=query("stage"), limit=limit, offset=offset)
    return jsonify(total=total, tasks=[task_json(r) for r in rows])


@bp.get("/<task_id>")
@login_required
def show(task_id):
    with unit_of_work(services()) as uow:
        task = tasks.get_task(uow, actor(), task_id)
    body = task_json(task)
    body.update(form=task["form"], form_name=task["form_name"], ui=task["ui"],
                title=task["form_title"], data=task["data"])
    return jsonify(body)


@bp.post("/<task_id>/claim")
@login_required
def claim(task_id):
    json_body(required=False)
    with unit_of_work(services()) as uow:
        tasks.claim_task(uow, actor(), task_id)
    return jsonify(id=task_id, claimed_by=actor().username)


@bp.post("/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    json_body(required=False)
    with unit_of_work(services()) as uow:
        tasks.unclaim_task(uow, actor(), task_id)
    return jsonify(id=task_id, claimed_by=None)


@bp.post("/<task_id>/reassign")
@login_required
def reassign(task_id):
    username = json_body().get("user")
    if not isinstance(username, str) or not username:
        raise InvalidInput("请指定用户", {"user": "必填"})
    with unit_of_work(services()) as uow:
        tasks.reassign_task(uow, actor(), task_id, username)
    return jsonify(id=task_id, claimed_by=username)


@bp.post("/<task_id>/complete")
@login_required
def complete(task_id):
    data = json_body().get("data", {})
    with unit_of_work(services()) as uow:
        tasks.complete_task(uow, actor(), task_id, data)
    return jsonify(id=task_id, state="completed")
