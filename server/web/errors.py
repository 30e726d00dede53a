"""The one place where service errors become HTTP status codes and error bodies."""
from flask import jsonify, render_template, request

from ..services import errors

STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.Conflict: 409,
          errors.InvalidInput: 422, errors.EngineFailure: 500}
UNAUTHORIZED = 401


def init_app(app):
    @app.errorhandler(errors.ServiceError)
    def _service_error(exc):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)),
                      UNAUTHORIZED if exc.code == "unauthorized" else 400)
        body = {"error": exc.code, "message": exc.message, "fields": exc.fields}
        if request.path.startswith("/api/"):
            return jsonify(body), status
        return render_template("error.html", error=body), status

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _http_error(exc):
        if request.path.startswith("/api/"):
            return jsonify(error="not_found" if exc.code == 404 else "method_not_allowed",
                           message="地址不存在" if exc.code == 404 else "不支持该请求方法",
                           fields={}), exc.code
        return exc
