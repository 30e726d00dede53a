"""Public landing page: what is deployed and running."""
from flask import Blueprint, current_app, render_template

from ..services import versions
from ..services.context import unit_of_work

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index():
    with unit_of_work(current_app.extensions["xuncha"]) as uow:
        deployed = versions.list_versions(uow)
        active = next((v for v in deployed if v["active"]), None)
        processes = []
        if active:
            bundle = versions.bundle_for(uow, active["id"])
            processes = sorted(bundle.process_names.items())
    return render_template("index.html", versions=deployed, active=active, processes=processes)
