"""Drafts and attachments of tasks (design §8): save a draft, upload a file, download it."""
import base64
from io import BytesIO

from flask import Blueprint, current_app, jsonify, request, send_file
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ...services import attachments, drafts
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import iso, json_body

bp = Blueprint("api_attachments", __name__, url_prefix="/api")


def upload_limit():
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or attachments.DEFAULT_MAX_BYTES)


def too_large():
    return InvalidInput("文件过大", {"file": f"文件不能超过 {attachments.size_label(upload_limit())}"})


def read_upload(storage, limit):
    """At most limit + 1 bytes of an uploaded file: enough to tell it is too large."""
    return storage.stream.read(limit + 1)


def attachment_json(found):
    return {"id": found["id"], "filename": found["filename"], "size": found["size_bytes"],
            "sha256": found["sha256"], "content_type": found["content_type"],
            "task_id": found["task_id"], "instance_id": found["instance_id"],
            "uploaded_by": found["uploaded_by"], "uploaded_at": iso(found["uploaded_at"])}


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(_exc):
    error = too_large()
    return jsonify(error=error.code, message=error.message, fields=error.fields), 422


@bp.get("/tasks/<task_id>/draft")
@login_required
def show_draft(task_id):
    with unit_of_work(services()) as uow:
        found = drafts.load_draft(uow, actor(), task_id)
    if found is None:
        return jsonify(task_id=task_id, data=None, saved_at=None, username=None)
    return jsonify(task_id=task_id, data=found["data"], saved_at=iso(found["saved_at"]),
                   username=found["username"])


@bp.put("/tasks/<task_id>/draft")
@login_required
def save_draft(task_id):
    data = json_body().get("data", {})
    with unit_of_work(services()) as uow:
        saved = drafts.save_draft(uow, actor(), task_id, data)
    return jsonify(task_id=task_id, data=saved["data"], saved_at=iso(saved["saved_at"]))


@bp.post("/tasks/<task_id>/attachments")
@login_required
def upload(task_id):
    limit = upload_limit()
    if request.content_length and request.content_length > limit + 1024 * 1024:
        raise too_large()
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise InvalidInput("请选择要上传的文件", {"file": "请以 multipart/form-data 的 file 字段上传"})
    content = read_upload(storage, limit)
    with unit_of_work(services()) as uow:
        stored = attachments.store(uow, actor(), task_id, storage.filename, content, limit)
    return jsonify(attachment_json(stored)), 201


@bp.get("/instances/<instance_id>/attachments")
@login_required
def index(instance_id):
    with unit_of_work(services()) as uow:
        found = attachments.list_for_instance(uow, actor(), instance_id)
    return jsonify(attachments=[attachment_json(a) for a in found])


@bp.get("/attachments/<attachment_id>")
@login_required
def download(attachment_id):
    with unit_of_work(services()) as uow:
        found = attachments.get(uow, actor(), attachment_id)
    return send_attachment(found)


def send_attachment(found):
    """The file as a download, never rendered by the browser as something else."""
    response = send_file(BytesIO(found["content"]), mimetype=found["content_type"],
                         as_attachment=True, download_name=found["filename"],
                         etag=found["sha256"], max_age=0)
    # As stored: werkzeug would add a second charset to a text type that already names one.
    response.headers["Content-Type"] = found["content_type"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Digest"] = "sha-256=" + base64.b64encode(
        bytes.fromhex(found["sha256"])).decode()
    return response
