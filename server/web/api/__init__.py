"""The JSON API under /api (design §8). Bodies are JSON; errors are {"error","message","fields"}."""
from datetime import datetime

from flask import request

from ...engine.calendar import BEIJING
from ...services.errors import InvalidInput


def json_body(required=True):
    """The request's JSON object; an empty body is an empty object where allowed."""
    if not request.data and not required:
        return {}
    if not request.is_json:
        raise InvalidInput("请求体须为 application/json", {"body": "须为 JSON"})
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象", {"body": "须为 JSON 对象"})
    return body


def paging():
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        raise InvalidInput("分页参数无效", {"limit": "须为整数", "offset": "须为整数"}) from None
    return limit, offset


def iso(value):
    """Times leave the API in Beijing time with their offset."""
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).isoformat()
    return value


def task_json(task):
    return {
        "id": task["id"], "instance_id": task["instance_id"], "name": task["name"],
        "stage": task.get("stage"), "role": task["role"], "organisation": task.get("organisation"),
        "due_at": iso(task.get("due_at")), "provisional": bool(task.get("provisional")),
        "overdue": bool(task.get("overdue")), "claimed_by": task.get("claimed_by"),
        "clauses": task.get("clauses") or [], "state": task.get("state"),
        "process": task.get("process_id"), "form_name": task.get("form"),
    }


def init_app(app):
    from . import admin, attachments, instances, migration, openapi, session, tasks
    for module in (session, instances, tasks, admin, attachments, migration, openapi):
        app.register_blueprint(module.bp)
