"""The form editor's live preview: POST a draft form's text, get the form rendered the way the
task pages render it, or its problems (JSON syntax with line and column, JSON Schema, our own
conventions) as field errors. Nothing is stored; process owners only."""
from flask import Blueprint, jsonify, render_template

from ...services import attachments
from ...services.context import unit_of_work
from ...services.form_preview import check_draft_form
from .. import forms_render
from ..auth import actor, services
from . import json_body
from .attachments import upload_limit
from .editor import _owners_only

bp = Blueprint("api_editor_forms", __name__, url_prefix="/api")
bp.before_request(_owners_only)


@bp.post("/drafts/<int:draft_id>/form-preview")
def form_preview(draft_id):
    body = json_body()
    with unit_of_work(services()) as uow:
        doc, problems = check_draft_form(uow, actor(), draft_id, body.get("path"), body.get("text"))
    html = render_preview(doc) if doc is not None else None
    if html is None and not problems:
        problems = [{"path": "schema", "message": "表单无法显示，请检查 schema", "line": None,
                     "column": None}]
    if not problems:
        return jsonify(html=html, problems=[])
    return jsonify(error="invalid", message=f"表单有 {len(problems)} 处问题",
                   fields={p["path"]: p["message"] for p in problems},
                   problems=problems, html=html), 422


def render_preview(doc):
    """The form's fields as the task page shows them, with the schema's defaults; None when
    the schema is valid JSON Schema but not a shape our renderer takes (a boolean subschema)."""
    schema, ui = doc["schema"], doc.get("ui") or {}
    data = {}
    for name, spec in (schema.get("properties") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            data[name] = spec["default"]
        elif isinstance(spec, dict) and (spec.get("items") or {}).get("type") == "object":
            data[name] = [{}]                       # one row shows a group's columns
    try:
        built = forms_render.build(schema, ui, data)
    except (AttributeError, TypeError, KeyError):
        return None
    return render_template("editor/_form_preview.html", title=doc.get("title") or "",
                           fields=built.fields, accept=",".join(sorted(attachments.TYPES)),
                           allowed_label=attachments.ALLOWED_LABEL,
                           max_size=attachments.size_label(upload_limit()))


PROBLEM = {"type": "object", "properties": {
    "path": {"type": "string"}, "message": {"type": "string"},
    "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]}}}


def openapi_paths(operation, path_id):
    return {"/api/drafts/{draft_id}/form-preview": {"post": operation(
        "表单编辑器的实时预览（不保存）：给出草稿中表单的文本，返回按办理页面方式渲染的表单 HTML；"
        "有问题时为 422，fields 的键为问题所在路径（json 为语法错误，schema/properties/…、"
        "ui/fields/…、rules/…），problems 另给出行号和列号，能渲染时仍附 html",
        params=[path_id("draft_id")],
        body={"type": "object", "required": ["path", "text"], "properties": {
            "path": {"type": "string", "description": "forms/名称.json"},
            "text": {"type": "string"}}},
        errors=("401", "403", "404", "422"),
        answer={"type": "object", "properties": {
            "html": {"type": ["string", "null"]},
            "problems": {"type": "array", "items": PROBLEM}}})}}
