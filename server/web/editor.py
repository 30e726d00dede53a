"""Process owners' pages: drafts (the diagram editor), the deploy page with the scenario gate,
versions (list, visual diff, download, rollback). The pages' scripts call the JSON API
(api/editor.py); the page forms here carry CSRF tokens."""
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_login import login_required

from ..engine.roles import LANE_ROLES
from ..services import process_drafts, version_diff, versions
from ..services.access import require_role
from ..services.context import unit_of_work
from ..services.errors import ServiceError
from .auth import actor, services
from .instance_pages import when

bp = Blueprint("editor", __name__, url_prefix="/editor", template_folder="templates",
               static_folder="static/js/editor", static_url_path="/assets")


@bp.before_request
@login_required
def _owners_only():
    require_role(actor(), process_drafts.OWNER)


@bp.context_processor
def helpers():
    return {"when": when}


@bp.get("")
def index():
    with unit_of_work(services()) as uow:
        drafts = process_drafts.list_drafts(uow, actor())
        deployed = versions.list_versions(uow)
    return render_template("editor/index.html", drafts=drafts, versions=deployed)


@bp.post("/drafts")
def create_draft():
    try:
        with unit_of_work(services()) as uow:
            draft_id = process_drafts.create_draft(uow, actor(), request.form.get("name"),
                                                   request.form.get("version", type=int))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    return redirect(url_for(".draft", draft_id=draft_id))


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id):
    with unit_of_work(services()) as uow:
        found = process_drafts.get_draft(uow, actor(), draft_id)
    lanes = sorted(LANE_ROLES.items(), key=lambda item: item[1])
    return render_template("editor/draft.html", draft=found, lane_roles=lanes,
                           bpmn_files=[p for p in found["files"] if p.endswith(".bpmn")],
                           tables=[p.removeprefix("processes/").removesuffix(".dmn")
                                   for p in found["files"] if p.endswith(".dmn")],
                           forms=[p.removeprefix("forms/") for p in found["files"]
                                  if p.startswith("forms/")])


@bp.post("/drafts/<int:draft_id>/delete")
def delete_draft(draft_id):
    with unit_of_work(services()) as uow:
        process_drafts.delete_draft(uow, actor(), draft_id)
    flash("草稿已删除", "success")
    return redirect(url_for(".index"))


@bp.get("/drafts/<int:draft_id>/deploy")
def deploy(draft_id):
    with unit_of_work(services()) as uow:
        found = process_drafts.get_draft(uow, actor(), draft_id)
        active = versions.active_version(uow)
    return render_template("editor/deploy.html", draft=found, active=active)


@bp.get("/versions")
def version_list():
    with unit_of_work(services()) as uow:
        deployed = versions.list_versions(uow)
    return render_template("editor/versions.html", versions=list(reversed(deployed)))


@bp.post("/versions/<int:version_id>/activate")
def activate(version_id):
    with unit_of_work(services()) as uow:
        versions.activate_version(uow, actor(), version_id, request.form.get("note", ""))
    flash(f"已回退到第 {version_id} 版：新发起的巡查将使用该版本，进行中的巡查保持原版本", "success")
    return redirect(url_for(".version_list"))


@bp.get("/versions/diff")
def diff():
    old_id, new_id = request.args.get("old", type=int), request.args.get("new", type=int)
    if not old_id or not new_id:
        abort(404)
    with unit_of_work(services()) as uow:
        changes = version_diff.diff_versions(uow, actor(), old_id, new_id)
    diagrams = sorted({e["path"] for e in changes["elements"] if e["path"].endswith(".bpmn")})
    shown = request.args.get("file") or (diagrams[0] if diagrams else None)
    marks = {e["id"]: e["change"] for e in changes["elements"] if e["path"] == shown}
    return render_template("editor/diff.html", old=old_id, new=new_id, changes=changes,
                           diagrams=diagrams, shown=shown, marks=marks)


@bp.get("/versions/<int:version_id>/files/<path:path>")
def version_file(version_id, path):
    with unit_of_work(services()) as uow:
        files = versions.version_files(uow, version_id)
    if path not in files:
        abort(404)
    return Response(files[path], mimetype="application/xml" if path.endswith(
        (".bpmn", ".dmn")) else "application/json")
