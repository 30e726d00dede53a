"""The process owner's page for moving running inspections to another deployed version."""
from flask import Blueprint, render_template, request
from flask_login import login_required

from ..services import migration
from .auth import actor, services

bp = Blueprint("migration_pages", __name__, template_folder="templates")


@bp.route("/versions/<int:version>/migration", methods=["GET", "POST"])
@login_required
def migrate(version):
    results = None
    if request.method == "POST":
        results = migration.migrate(services(), actor(), version, request.form.getlist("instance"))
    checks = migration.preview(services(), actor(), version)
    return render_template("migration/index.html", version=version, checks=checks,
                           results=results)
