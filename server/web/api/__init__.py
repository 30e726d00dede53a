"""The JSON API under /api (design §8). Bodies are JSON; errors are {"error","message","fields"}."""
import json
from datetime import datetime

from flask import request

from ...engine.calendar import BEIJING
from ...services.errors import InvalidInput

# Deeper JSON than any form needs would only feed recursion in the validators and serializers.
MAX_JSON_DEPTH = 32
MAX_OFFSET = 1_000_000_000


def json_body(required=True):
    """The request's JSON object; an empty body is an empty object where allowed."""
    # JSON is read as it came (`request.data` would first set up form parsing for nothing);
    # other types keep `request.data`, empty once a form body was parsed.
    data = request.get_data() if request.is_json else request.data
    if not data and not required:
        return {}
    if not request.is_json:
        raise InvalidInput("请求体须为 application/json", {"body": "须为 JSON"})
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):      # RecursionError: nesting deeper than json can parse
        raise InvalidInput("请求体不是有效的 JSON", {"body": "须为 UTF-8 编码的 JSON 对象"}) from None
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象", {"body": "须为 JSON 对象"})
    if _too_deep(body):
        raise InvalidInput("请求体嵌套过深", {"body": f"嵌套不能超过 {MAX_JSON_DEPTH} 层"})
    for text in _texts(body):       # one pass over the strings (the depth is bounded above)
        _check_text(text)
    return body


def _check_text(text):
    """Text a database can store: no NUL (PostgreSQL refuses it), no lone surrogates such as
    an escaped "\ud800" (not encodable at all)."""
    if "\x00" in text:
        raise InvalidInput("请求体含有无效字符", {"body": "文本不能包含空字符（NUL）"})
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidInput("请求体含有无效字符", {"body": "文本须为有效的 Unicode"}) from None


def _texts(value):
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _too_deep(value):
    level = [value]
    for _depth in range(MAX_JSON_DEPTH):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return True


def query(name, default=None):
    """A query parameter's first value (`request.args.get` raises and catches an HTTP exception
    for every parameter that is absent)."""
    args = request.args
    return args[name] if name in args else default


def paging():
    """limit (1-500, default 50) and offset (default 0) from the query; out of range is 422."""
    try:
        limit = int(query("limit", 50))
        offset = int(query("offset", 0))
    except ValueError:
        raise InvalidInput("分页参数无效", {"limit": "须为整数", "offset": "须为整数"}) from None
    errors = {}
    if not 1 <= limit <= 500:
        errors["limit"] = "须为 1 至 500 的整数"
    if not 0 <= offset <= MAX_OFFSET:
        errors["offset"] = f"须为 0 至 {MAX_OFFSET} 的整数"
    if errors:
        raise InvalidInput("分页参数无效", errors)
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
    from . import editor, editor_forms          # process owners: drafts and versions
    app.register_blueprint(editor.bp)
    app.register_blueprint(editor_forms.bp)     # the form editor's live preview
    from . import scenario_runs                 # reviewers: behaviour scenario runs
    app.register_blueprint(scenario_runs.bp)
