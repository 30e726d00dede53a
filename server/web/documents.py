"""Official documents as PDF and Word downloads: for staff from the instance page and the API,
for the public (the announcement while it is shown, the bulletin once the results are published)
beside the public pages. Who may read which is decided in services/documents.py."""
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from flask_login import current_user, login_required

from ..documents import pdf, word
from ..services import documents
from ..services.context import unit_of_work
from ..services.errors import InvalidInput
from .auth import actor, services

bp = Blueprint("documents", __name__)
api = Blueprint("api_documents", __name__, url_prefix="/api")

FORMATS = {
    "pdf": (pdf.render, "application/pdf"),
    "docx": (word.render,
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def settings():
    return documents.DocumentSettings.from_config(current_app.config)


def _send(document, fmt):
    render, mimetype = FORMATS[fmt]
    response = Response(render(document), mimetype=mimetype)
    # The Chinese name as filename* (RFC 6266), with an ASCII name for old clients.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{document.kind}.{fmt}"; '
        f"filename*=UTF-8''{quote(f'{document.filename}.{fmt}')}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/instances/<instance_id>/documents/<kind>.<any(pdf, docx):fmt>")
@login_required
def download(instance_id, kind, fmt):
    with unit_of_work(services()) as uow:
        document = documents.generate(uow, actor(), instance_id, kind, settings())
    return _send(document, fmt)


@bp.get("/public/inspections/<instance_id>/announcement.<any(pdf, docx):fmt>")
def public_announcement(instance_id, fmt):
    with unit_of_work(services()) as uow:
        document = documents.generate_public(uow, instance_id, "announcement", settings())
    return _send(document, fmt)


@bp.get("/public/results/<instance_id>/bulletin.<any(pdf, docx):fmt>")
def public_bulletin(instance_id, fmt):
    with unit_of_work(services()) as uow:
        document = documents.generate_public(uow, instance_id, "bulletin", settings())
    return _send(document, fmt)


@api.get("/instances/<instance_id>/documents/<kind>")
@login_required
def api_download(instance_id, kind):
    fmt = request.args.get("format", "pdf")
    if fmt not in FORMATS:
        raise InvalidInput("不支持的文件格式", {"format": "须为 pdf 或 docx"})
    return download(instance_id, kind, fmt)


@bp.app_context_processor
def _helpers():
    """`documents_for(instance_id)` for the instance page's list of documents."""
    def documents_for(instance_id):
        if not current_user.is_authenticated:
            return []
        with unit_of_work(services()) as uow:
            return documents.available(uow, actor(), instance_id)
    return {"documents_for": documents_for}


KIND_PARAMETER = {"name": "kind", "in": "path", "required": True, "schema": {
    "type": "string", "enum": ["notice", "announcement", "feedback_letter", "bulletin"]},
    "description": "notice 巡查告知书, announcement 巡查公告, feedback_letter 反馈意见书, "
                   "bulletin 巡查结果通报"}
OPENAPI_PATHS = {"/api/instances/{instance_id}/documents/{kind}": {"get": {
    "summary": "下载巡查公文（PDF 或 Word），首次生成时编发文号",
    "parameters": [
        {"name": "instance_id", "in": "path", "required": True, "schema": {"type": "string"}},
        KIND_PARAMETER,
        {"name": "format", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["pdf", "docx"], "default": "pdf"}}],
    "responses": {
        "200": {"description": "公文文件", "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            FORMATS["docx"][1]: {"schema": {"type": "string", "format": "binary"}}}},
        **{code: {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}} for code, text in (
            ("401", "未登录"), ("404", "巡查或公文不存在，或无权查看"),
            ("409", "生成该公文所需的数据尚未形成"), ("422", "format 须为 pdf 或 docx"))}}}}}
