"""Process owners' editors for a draft's decision tables (dmn-js) and forms (JSON text with a
live preview). Both save through the draft API (PUT /api/drafts/{id}, optimistic by
revision), so a table or form is validated with the whole draft like a diagram."""
from flask import Blueprint, abort, render_template
from flask_login import login_required

from ..services import process_drafts
from ..services.access import require_role
from ..services.context import unit_of_work
from .auth import actor, services

bp = Blueprint("editor_files", __name__, url_prefix="/editor/drafts/<int:draft_id>",
               template_folder="templates")


@bp.before_request
@login_required
def _owners_only():
    require_role(actor(), process_drafts.OWNER)


def _draft_with(draft_id, path):
    with unit_of_work(services()) as uow:
        found = process_drafts.get_draft(uow, actor(), draft_id)
    if path not in found["files"]:
        abort(404)
    return found


@bp.get("/tables/<name>.dmn")
def table(draft_id, name):
    path = f"processes/{name}.dmn"
    found = _draft_with(draft_id, path)
    return render_template("editor/dmn.html", draft=found, path=path)


@bp.get("/forms/<name>.json")
def form(draft_id, name):
    path = f"forms/{name}.json"
    found = _draft_with(draft_id, path)
    return render_template("editor/form.html", draft=found, path=path, text=found["files"][path],
                           problems=[p for p in found["problems"] if p["file"] == path])
