"""The office dashboard (/dashboard) with its charts, and the inspection ledger (台账) as Excel."""
from flask import Blueprint, render_template, send_file
from flask_login import login_required

from ..services import dashboard, ledger
from ..services.context import unit_of_work
from . import charts
from .auth import actor, services

bp = Blueprint("dashboard", __name__, template_folder="templates")
STATE_NAMES = {"running": "进行中", "suspended": "已暂停", "completed": "已办结", "cancelled": "已撤销"}


@bp.get("/dashboard")
@login_required
def index():
    with unit_of_work(services()) as uow:
        view = dashboard.overview(uow, actor())
    return render_template("dashboard/index.html", view=view, state_names=STATE_NAMES,
                           charts=_charts(view))


def _charts(view):
    return {
        "by_stage": charts.bar_chart(
            "chart-by-stage", "各阶段巡查数", [(row["stage"], [row["count"]])
                                          for row in view["by_stage"]], [("bar-main", "巡查")]),
        "work": charts.bar_chart(
            "chart-work", "各阶段待办与逾期",
            [(row["stage"], [row["open"] - row["overdue"], row["overdue"]])
             for row in view["stages"]], [("bar-main", "按期"), ("bar-overdue", "逾期")]),
        "interviews": charts.bar_chart(
            "chart-interviews", "各单位约谈次数",
            [(row["organisation"], [row["count"]]) for row in view["interviews_by_organisation"]],
            [("bar-main", "约谈")]),
        "coverage": charts.coverage_tiles(
            "chart-coverage", f"两年全覆盖（{view['cycle']}）：已覆盖 {view['covered']} / "
                              f"{len(view['counties'])} 个县区", view["counties"]),
    }


@bp.get("/dashboard/ledger.xlsx")
@login_required
def ledger_file():
    return send_ledger()


def send_ledger():
    """The inspection ledger (台账) as an Excel download (also GET /api/ledger.xlsx)."""
    with unit_of_work(services()) as uow:
        content = ledger.workbook(uow, actor())
    return send_file(content, mimetype=ledger.XLSX, as_attachment=True,
                     download_name=ledger.FILE_NAME)
