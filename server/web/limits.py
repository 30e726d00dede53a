"""How large a request body may be: small for JSON and plain forms, larger where files come."""
from flask import current_app, request

# Views that take files (multipart): a page form may carry a few files of the upload limit each.
FILE_ENDPOINTS = {"api_attachments.upload": 1, "task_pages.act": 4}
MULTIPART_OVERHEAD = 1024 * 1024


def init_app(app):
    app.config["MAX_CONTENT_LENGTH"] = app.config["REQUEST_MAX_BYTES"]
    app.before_request(_raise_limit_for_files)


def _raise_limit_for_files():
    files = FILE_ENDPOINTS.get(request.endpoint)
    if files:
        request.max_content_length = \
            files * current_app.config["UPLOAD_MAX_BYTES"] + MULTIPART_OVERHEAD
