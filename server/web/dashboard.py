"""The office dashboard (/dashboard)."""
from flask import Blueprint, render_template
from flask_login import login_required

from ..services import dashboard
from ..services.context import unit_of_work
from .auth import actor, services

bp = Blueprint("dashboard", __name__, template_folder="templates")
STATE_NAMES = {"running": "进行中", "suspended": "已暂停", "completed": "已办结", "cancelled": "已撤销"}


@bp.get("/dashboard")
@login_required
def index():
    with unit_of_work(services()) as uow:
        view = dashboard.overview(uow, actor())
    return render_template("dashboard/index.html", view=view, state_names=STATE_NAMES)
