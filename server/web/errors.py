"""The one place where service errors become HTTP status codes and error bodies."""
from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..services import errors
from ..services.attachments import size_label
from ..store.db import unavailable_errors
from . import limits

STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.Conflict: 409,
          errors.InvalidInput: 422, errors.EngineFailure: 500}
UNAUTHORIZED = 401
# Errors Flask and werkzeug raise before a view runs, in the API's words.
HTTP_ERRORS = {400: ("bad_request", "请求无效"), 404: ("not_found", "地址不存在"),
               405: ("method_not_allowed", "不支持该请求方法"),
               413: ("too_large", "请求体过大"), 415: ("unsupported_media_type", "不支持的内容类型"),
               500: ("internal_error", "服务器内部错误，请稍后重试")}


def init_app(app):
    limits.init_app(app)     # bodies over the limit are refused with 413, answered below
    for exc_class in unavailable_errors(app.extensions["xuncha"].engine):
        app.register_error_handler(exc_class, _unavailable)

    @app.errorhandler(errors.ServiceError)
    def _service_error(exc):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)),
                      UNAUTHORIZED if exc.code == "unauthorized" else 400)
        body = {"error": exc.code, "message": exc.message, "fields": exc.fields}
        if request.path.startswith("/api/"):
            return jsonify(body), status
        return render_template("error.html", error=body), status

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if not request.path.startswith("/api/"):
            return exc
        code, message = HTTP_ERRORS.get(exc.code, ("http_error", exc.name))
        fields = {"body": f"请求体不能超过 {size_label(request.max_content_length)}"} \
            if exc.code == 413 and request.max_content_length else {}
        return jsonify(error=code, message=message, fields=fields), exc.code

    @app.errorhandler(InternalServerError)
    def _internal_error(exc):
        # An unexpected exception (logged by Flask): the API still answers in its own shape.
        if not request.path.startswith("/api/"):
            return exc
        code, message = HTTP_ERRORS[500]
        return jsonify(error=code, message=message, fields={}), 500


def _unavailable(exc):
    """The database is down or restarting: a prompt 503 the client may retry, not a 500."""
    current_app.logger.warning("database unavailable: %s", exc)
    body = {"error": "unavailable", "message": "数据库暂时不可用，请稍后重试", "fields": {}}
    headers = {"Retry-After": "1"}
    if request.path.startswith("/api/"):
        return jsonify(body), 503, headers
    try:        # the page layout may itself need the database (the signed-in user)
        return render_template("error.html", error=body), 503, headers
    except unavailable_errors(current_app.extensions["xuncha"].engine):
        return body["message"], 503, headers | {"Content-Type": "text/plain; charset=utf-8"}
