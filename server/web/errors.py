"""The one place where service errors become HTTP status codes and error bodies."""
from flask import jsonify, render_template, request

from ..services import errors

STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.Conflict: 409,
          errors.InvalidInput: 422, errors.EngineFailure: 500}


def init_app(app):
    @app.errorhandler(errors.ServiceError)
    def _service_error(exc):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        body = {"error": exc.code, "message": exc.message, "fields": exc.fields}
        if request.path.startswith("/api/"):
            return jsonify(body), status
        return render_template("error.html", error=body), status
