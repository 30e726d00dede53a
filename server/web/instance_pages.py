"""Staff pages of one inspection: list, the instance page (diagram, timeline, deadlines, data,
the office's suspend/resume/cancel), the BPMN XML the diagram viewer loads, and the npm assets
(bpmn-js, dmn-js) under /vendor."""
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, send_from_directory, url_for)
from flask_login import login_required

from .. import PROJECT_ROOT
from ..engine.calendar import BEIJING
from ..engine.roles import ROLES
from ..services import attachments, instances, registers, timeline
from ..services.context import unit_of_work
from ..services.errors import Conflict, InvalidInput
from .auth import actor, services
from .paging import page_number

bp = Blueprint("instance_pages", __name__, template_folder="templates",
               static_folder="static", static_url_path="/assets")
vendor = Blueprint("vendor", __name__)

ACTIONS = {"suspend": ("suspended", "巡查已暂停"), "resume": ("running", "巡查已恢复"),
           "cancel": ("cancelled", "巡查已撤销")}
# Which actions the page offers in which state (the service checks again).
OFFERED = {"running": ("suspend", "cancel"), "suspended": ("resume", "cancel")}
PAGE_SIZE = 50


@bp.context_processor
def helpers():
    """Formatting for this blueprint's templates (not app-wide filters: other pages have theirs)."""
    return {"role_name": lambda code: ROLES.get(code, code), "when": when}


def when(value, fmt="%Y-%m-%d %H:%M"):
    """An instant as Beijing wall-clock time."""
    return value.astimezone(BEIJING).strftime(fmt) if value else ""


@bp.get("/instances")
@login_required
def index():
    page = page_number()
    with unit_of_work(services()) as uow:
        total, rows = instances.list_instances(uow, actor(), PAGE_SIZE, (page - 1) * PAGE_SIZE)
    for row in rows:
        row["state_name"] = timeline.STATE_NAMES.get(row["state"], row["state"])
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("instance/list.html", instances=rows, total=total, page=page,
                           pages=pages, can_start=actor().has("office", "admin"))


@bp.route("/instances/new", methods=["GET", "POST"])
@login_required
def new():
    """The office starts an inspection of a target (R1.2: a county or a supervising department)."""
    if not actor().has("office", "admin"):
        abort(403)
    target, errors = request.form.get("target", ""), {}
    if request.method == "POST":
        try:
            with unit_of_work(services()) as uow:
                instance_id = instances.start_instance(uow, actor(), data={"target": target})
        except InvalidInput as exc:
            errors = exc.fields or {"target": exc.message}
        else:
            flash("已发起巡查", "success")
            return redirect(url_for(".show", instance_id=instance_id))
    with unit_of_work(services()) as uow:
        targets = registers.candidates(uow)
    return render_template("instance/new.html", targets=targets, target=target,
                           errors=errors), 422 if errors else 200


@bp.get("/instances/<instance_id>")
@login_required
def show(instance_id):
    with unit_of_work(services()) as uow:
        view = timeline.instance_view(uow, actor(), instance_id, request.args.get("stage"))
        ids = [i for section in view["sections"] for item in section["items"]
               if item["kind"] == "files" for i in item["value"]]
        files = {a["id"]: a for a in attachments.describe(uow, view["id"], ids)}
    office = actor().has("office", "admin")
    actions = OFFERED.get(view["state"], ()) if office else ()
    return render_template("instance/show.html", view=view, actions=actions, files=files)


@bp.get("/instances/<instance_id>/diagram/<process_id>.bpmn")
@login_required
def diagram(instance_id, process_id):
    with unit_of_work(services()) as uow:
        name, xml = timeline.diagram_file(uow, actor(), instance_id, process_id)
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/instances/<instance_id>/<any(suspend, resume, cancel):action>")
@login_required
def change_state(instance_id, action):
    new_state, done = ACTIONS[action]
    if action == "cancel" and request.form.get("confirm") != "yes":
        flash("撤销巡查须勾选“确认撤销”", "error")
        return redirect(url_for(".show", instance_id=instance_id))
    try:
        with unit_of_work(services()) as uow:
            instances.set_state(uow, actor(), instance_id, new_state)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for(".show", instance_id=instance_id))


def node_modules():
    return Path(current_app.config.get("NODE_MODULES") or PROJECT_ROOT / "node_modules")


@vendor.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename):
    return _dist("bpmn-js", filename)


@vendor.get("/vendor/dmn-js/<path:filename>")
def dmn_js(filename):
    return _dist("dmn-js", filename)


def _dist(package, filename):
    """An npm package's dist folder, installed by `npm ci` (make install); never committed."""
    root = node_modules() / package / "dist"
    if not root.is_dir():
        current_app.logger.error(
            "%s is not installed: %s is missing. Run `npm ci` in %s (or `make install`).",
            package, root, PROJECT_ROOT)
        abort(404)
    return send_from_directory(root, filename, max_age=86400)
