"""For operators: a health check for load balancers and Prometheus metrics."""
import logging
import time

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import Integer, cast, func, select, text

from ..store import schema

bp = Blueprint("ops", __name__)
REQUESTS = {}          # (method, status) -> count, this process only
STARTED = time.time()
STARTED_KEY = "xuncha.request_started"       # in the WSGI environ: perf_counter() at the start


@bp.get("/healthz")
def health():
    """200 when the database answers and a version is deployed; 503 otherwise."""
    try:
        with current_app.extensions["xuncha"].engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            deployed = conn.execute(select(func.count()).select_from(schema.process_versions)
                                    .where(schema.process_versions.c.active.is_(True))).scalar()
    except Exception as exc:          # any database failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify(status="error", message="数据库不可用"), 503
    if not deployed:
        return jsonify(status="error", message="尚未部署流程版本"), 503
    return jsonify(status="ok")


@bp.get("/metrics")
def metrics():
    """Prometheus text format; only from this machine (loopback), never to the public."""
    if request.remote_addr not in ("127.0.0.1", "::1"):
        return jsonify(error="forbidden", message="仅限本机访问", fields={}), 403
    with current_app.extensions["xuncha"].engine.connect() as conn:
        by_state = dict(conn.execute(select(schema.instances.c.state, func.count())
                                     .group_by(schema.instances.c.state)).all())
        open_tasks, overdue = conn.execute(select(
            func.count(), func.coalesce(func.sum(cast(schema.human_tasks.c.overdue, Integer)), 0))
            .where(schema.human_tasks.c.state == "open")).one()
        earliest = conn.execute(select(func.min(schema.instances.c.next_due_at))
                                .where(schema.instances.c.state == "running")).scalar()
    lines = ["# TYPE xuncha_instances gauge"]
    lines += [f'xuncha_instances{{state="{state}"}} {count}' for state, count in sorted(by_state.items())]
    lines += ["# TYPE xuncha_open_tasks gauge", f"xuncha_open_tasks {open_tasks}",
              "# TYPE xuncha_overdue_tasks gauge", f"xuncha_overdue_tasks {overdue}",
              "# TYPE xuncha_next_due_timestamp_seconds gauge",
              f"xuncha_next_due_timestamp_seconds {earliest.timestamp() if earliest else 0}",
              "# TYPE xuncha_http_requests_total counter"]
    lines += [f'xuncha_http_requests_total{{method="{m}",status="{s}"}} {n}'
              for (m, s), n in sorted(REQUESTS.items())]
    lines += ["# TYPE xuncha_process_start_time_seconds gauge",
              f"xuncha_process_start_time_seconds {STARTED}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


def init_app(app):
    logger = app.logger

    @app.before_request
    def _start_timer():
        request.environ[STARTED_KEY] = time.perf_counter()

    @app.after_request
    def _count(response):
        # Runs on every request: the request object looked up once, the log record made
        # directly (no search of the stack for the caller, which no log format shows).
        req = request._get_current_object()
        key = (req.method, response.status_code)
        REQUESTS[key] = REQUESTS.get(key, 0) + 1
        if logger.isEnabledFor(logging.INFO):
            now = time.perf_counter()
            elapsed_ms = (now - req.environ.get(STARTED_KEY, now)) * 1000
            ms = round(elapsed_ms, 2)
            # Plain lines read "request GET /api/tasks 200 1.23ms"; JSON lines carry the fields.
            logger.handle(logger.makeRecord(
                logger.name, logging.INFO, __file__, 0, "request %s %s %s %sms",
                (req.method, req.path, response.status_code, ms), None,
                extra={"method": req.method, "path": req.path, "status": response.status_code,
                       "ms": ms}))
        return response

    app.register_blueprint(bp)
