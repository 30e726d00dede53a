"""How large a request body may be: small for JSON and plain forms, larger where files come;
and no NUL characters in form fields (PostgreSQL refuses them in text: a 500 otherwise)."""
from flask import current_app, request

from ..services.errors import InvalidInput

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Views that take files (multipart): a page form may carry a few files of the upload limit each.
FILE_ENDPOINTS = {"api_attachments.upload": 1, "task_pages.act": 4}
MULTIPART_OVERHEAD = 1024 * 1024


def init_app(app):
    app.config["MAX_CONTENT_LENGTH"] = app.config["REQUEST_MAX_BYTES"]
    app.before_request(_raise_limit_for_files)
    app.before_request(_refuse_nul_in_forms)


def _raise_limit_for_files():
    files = FILE_ENDPOINTS.get(request.endpoint)
    if files:
        request.max_content_length = \
            files * current_app.config["UPLOAD_MAX_BYTES"] + MULTIPART_OVERHEAD


def _refuse_nul_in_forms():
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
        # A multipart part may come without a name (key None).
        if any("\x00" in (key or "") or "\x00" in (value or "")
               for key, value in request.form.items(multi=True)):
            raise InvalidInput("表单含有无效字符，请检查后重新提交", {"form": "不能包含空字符（NUL）"})
