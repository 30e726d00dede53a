"""The task page: the task's form rendered on the server, saved as a draft, submitted.

GET shows the form (from the draft if there is one, else from the inspection's data and the
schema's defaults). POST takes `action`: `submit` (validate and complete), `draft` (keep what was
typed), `add:<group>` / `remove:<group>:<row>` (repeating groups without JavaScript). Files chosen
in file fields are uploaded with any action.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..engine.calendar import BEIJING
from ..engine.roles import ROLES
from ..services import attachments, drafts, tasks, versions
from ..services.context import unit_of_work
from ..services.errors import InvalidInput
from . import forms_render
from .api.attachments import read_upload, upload_limit
from .auth import actor, services
from .inbox import due_info

bp = Blueprint("task_pages", __name__, template_folder="templates")
ACCEPT = ",".join(sorted(attachments.TYPES))


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id):
    with unit_of_work(services()) as uow:
        page = _page(uow, task_id)
    return render_template("task/show.html", **page)


@bp.post("/tasks/<task_id>")
@login_required
def act(task_id):
    action = request.form.get("action", "submit")
    me = actor()
    with unit_of_work(services()) as uow:
        task = tasks.get_task(uow, me, task_id)
        if task["state"] != "open":
            flash("该任务已办结", "warning")
            return redirect(url_for("inbox.index"))
        form = versions.bundle_for(uow, task["version_id"]).forms[task["form_name"]]
        skip = set(task["hidden"]) | forms_render.read_only_names(form.schema, form.ui)
        posted = request.form
        if action.startswith("remove:"):
            _, group, index = (action.split(":") + ["", ""])[:3]
            posted = forms_render.remove_row(posted, group, index)
        data = forms_render.parse(form.schema, form.ui, posted, skip,
                                  keep_empty_rows=action != "submit")
        upload_errors, uploaded = _store_uploads(uow, me, task_id, form, skip, data)
        if action.startswith("add:") and _is_group(form, action[4:], skip):
            data.setdefault(action[4:], []).append({})
        if action != "submit" or uploaded:
            drafts.save_draft(uow, me, task_id, data)
    if upload_errors:
        return _render_errors(task_id, data, upload_errors)
    if action != "submit":
        flash("草稿已保存" if action == "draft" else "已更新表单（草稿已保存）", "success")
        anchor = "f-" + action.split(":")[1] if ":" in action else None
        return redirect(url_for("task_pages.show", task_id=task_id, _anchor=anchor))
    try:
        with unit_of_work(services()) as uow:
            tasks.complete_task(uow, me, task_id, data)
            drafts.discard(uow, task_id)
    except InvalidInput as exc:
        return _render_errors(task_id, data, exc.fields or {"": exc.message})
    flash(f"已提交：{task['name']}", "success")
    return redirect(url_for("inbox.index"))


def _render_errors(task_id, data, errors):
    with unit_of_work(services()) as uow:
        page = _page(uow, task_id, data=data, errors=errors)
    return render_template("task/show.html", **page), 422


def _groups_to_start(form):
    required = set(form.schema.get("required") or [])
    return [name for name, spec in form.schema.get("properties", {}).items()
            if _is_group(form, name, ()) and (name in required or spec.get("minItems"))]


def _is_group(form, name, skip):
    spec = form.schema.get("properties", {}).get(name) or {}
    return name not in skip and spec.get("type") == "array" and \
        (spec.get("items") or {}).get("type") == "object"


def _store_uploads(uow, me, task_id, form, skip, data):
    """Keep the files chosen in the form's file fields; their ids join the fields' values."""
    limit = upload_limit()
    errors, uploaded = {}, []
    for name in attachments.file_fields(form):
        if name in skip:
            continue
        for storage in request.files.getlist(f"{name}-upload"):
            if storage is None or not storage.filename:
                continue
            try:
                stored = attachments.store(uow, me, task_id, storage.filename,
                                           read_upload(storage, limit), limit)
            except InvalidInput as exc:
                errors[name] = f"{storage.filename}：{exc.fields.get('file', exc.message)}"
                continue
            data.setdefault(name, []).append(stored["id"])
            uploaded.append(stored["id"])
    return errors, uploaded


def _page(uow, task_id, data=None, errors=None):
    """Everything the task page shows, read in the caller's unit of work."""
    me = actor()
    task = tasks.get_task(uow, me, task_id)
    bundle = versions.bundle_for(uow, task["version_id"])
    form = bundle.forms[task["form_name"]]
    properties = form.schema.get("properties", {})
    hidden = set(task["hidden"])
    is_open = task["state"] == "open"
    claimed_by_other = bool(task["claimed_by"]) and task["claimed_by"] != me.username
    draft = None
    instance_data = task["data"]
    read_only = forms_render.read_only_names(form.schema, form.ui)
    if data is None:
        draft = drafts.load_draft(uow, me, task_id) if is_open else None
        data = form.defaults() | {k: v for k, v in instance_data.items() if k in properties}
        if draft:
            data.update(draft["data"])
        for name in _groups_to_start(form):
            if not data.get(name):
                data[name] = [{}]             # a required list starts with one empty row
    # Read-only fields always show the process's value.
    data = data | {k: instance_data[k] for k in read_only if k in instance_data}
    every_file_field = {name for f in bundle.forms.values() for name in attachments.file_fields(f)}
    ids = [i for name in every_file_field
           for source in (data, instance_data)
           for i in (source.get(name) if isinstance(source.get(name), list) else [])]
    known = {a["id"]: a for a in attachments.describe(uow, task["instance_id"], ids)}
    built = forms_render.build(form.schema, form.ui, data, errors, hidden, known,
                               editable=is_open and not claimed_by_other)
    info = forms_render.describe_data(bundle.forms.values(), instance_data,
                                      exclude=set(properties) | hidden,
                                      file_fields=every_file_field, attachments=known,
                                      first=form.ui.get("read_first") or ())
    today = uow.now.astimezone(BEIJING).date()
    limit = upload_limit()
    return {
        "task": task, "fields": built.fields, "error_list": _error_list(built),
        "draft": draft, "claimed_by_other": claimed_by_other, "info": info,
        "due": due_info(uow.calendar, today, task), "role_name": ROLES.get(task["role"]),
        "me": me, "office": me.has("office"), "instances_url": "/instances",
        "accept": ACCEPT, "allowed_label": attachments.ALLOWED_LABEL,
        "max_size": attachments.size_label(limit),
        # An approval (conventions: a `decision` field) is decided on what is already there.
        "approval": "decision" in properties,
    }


def _error_list(built):
    """(field label, message, anchor) for every error, in the order of the form."""
    found = []

    def walk(fields, prefix=""):
        for f in fields:
            if f.error:
                found.append((prefix + f.title, f.error, f.id))
            for number, row in enumerate(f.rows, 1):
                label = f"{prefix}{f.title} 第 {number} 项"
                if row.error:
                    found.append((label, row.error, f"{f.id}"))
                walk(row.fields, label + " · ")

    walk(built.fields)
    found += [(path or "表单", message, None) for path, message in built.unplaced.items()]
    return found
