"""Public pages, no login (R3.3.2, R3.3.6): announcements of inspections on site with a report
form, and disclosed results.

Reports are throttled in memory, per process: at most PUBLIC_REPORTS_PER_IP per client address
and PUBLIC_REPORTS_TOTAL overall within PUBLIC_REPORTS_WINDOW seconds (defaults 5, 200, 600).
Every report attempt that passes the CSRF check counts. With several server processes each keeps
its own counts, and behind a reverse proxy the client address must come from the proxy
(werkzeug's ProxyFix), or every report shares the proxy's address.
"""
import threading
import time
from collections import defaultdict, deque

from flask import Blueprint, current_app, render_template, request

from ..services import public
from ..services.context import unit_of_work
from ..services.errors import Conflict, InvalidInput
from .auth import services

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")
TOO_MANY = "提交过于频繁，请稍后再试（同一网络地址{minutes}分钟内最多提交{count}次举报）"
BUSY = "当前举报提交量过大，请稍后再试，或拨打举报电话"


class Throttle:
    """Sliding-window counts of recent attempts, per key and in total (thread-safe)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.by_key = defaultdict(deque)
        self.total = deque()

    def check(self, key, per_key, total, window):
        """None when allowed (and counted), else "key" or "total" for the limit that refused."""
        now = self.clock()
        with self.lock:
            recent = self.by_key[key]
            for queue in (recent, self.total):
                while queue and queue[0] <= now - window:
                    queue.popleft()
            if len(recent) >= per_key:
                return "key"
            if len(self.total) >= total:
                return "total"
            recent.append(now)
            self.total.append(now)
            if len(self.by_key) > 10000:          # forget idle addresses
                for idle in [k for k, q in self.by_key.items() if not q]:
                    del self.by_key[idle]
            return None

    def reset(self):
        with self.lock:
            self.by_key.clear()
            self.total.clear()


@bp.record_once
def _setup(state):
    state.app.extensions.setdefault("xuncha_public_throttle", Throttle())


def throttle():
    return current_app.extensions["xuncha_public_throttle"]


def _limit(name):
    return current_app.config[name]            # declared in server/config.py


@bp.get("/")
def index():
    with unit_of_work(services()) as uow:
        found = public.announcements(uow)
    return render_template("public/index.html", announcements=found)


@bp.route("/inspections/<instance_id>", methods=["GET", "POST"])
def inspection(instance_id):
    form, errors, message, status, sent = {}, {}, None, 200, False
    if request.method == "POST":
        form = request.form
        refused = throttle().check(request.remote_addr or "unknown",
                                   _limit("PUBLIC_REPORTS_PER_IP"), _limit("PUBLIC_REPORTS_TOTAL"),
                                   _limit("PUBLIC_REPORTS_WINDOW"))
        if refused:
            message = TOO_MANY.format(minutes=max(_limit("PUBLIC_REPORTS_WINDOW") // 60, 1),
                                      count=_limit("PUBLIC_REPORTS_PER_IP")) \
                if refused == "key" else BUSY
            status = 429
        else:
            try:
                with unit_of_work(services()) as uow:
                    public.submit_report(uow, instance_id, form)
            except InvalidInput as exc:
                message, errors, status = exc.message, exc.fields, 422
            except Conflict as exc:
                message, status = exc.message, 409
            else:
                sent, form = True, {}
    with unit_of_work(services()) as uow:
        found = public.announcement(uow, instance_id)
    return render_template("public/inspection.html", a=found, form=form, errors=errors,
                           message=message, sent=sent), status


@bp.get("/results")
def results():
    with unit_of_work(services()) as uow:
        found = public.results(uow)
    return render_template("public/results.html", results=found)


@bp.get("/results/<instance_id>")
def result(instance_id):
    with unit_of_work(services()) as uow:
        found = public.result(uow, instance_id)
    return render_template("public/result.html", r=found)
