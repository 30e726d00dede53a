"""The working-day calendar and, in fake-clock mode, the clock."""
from datetime import datetime

from flask import Blueprint, jsonify, request
from flask_login import login_required

from ...services import calendar, clock
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import iso, json_body

bp = Blueprint("api_admin", __name__, url_prefix="/api")


@bp.get("/calendar/deadline")
@login_required
def deadline():
    with unit_of_work(services()) as uow:
        return jsonify(calendar.compute_deadline(
            uow, request.args.get("start"), request.args.get("working_days"),
            request.args.get("months")))


@bp.put("/admin/calendar/<int:year>")
@login_required
def load_year(year):
    body = json_body()
    if body.get("year", year) != year:
        raise InvalidInput("年份与地址不一致", {"year": f"应为 {year}"})
    with unit_of_work(services()) as uow:
        recomputed = calendar.load_year_schedule(uow, actor(), {**body, "year": year})
    return jsonify(year=year, recomputed_instances=recomputed)


@bp.get("/admin/clock")
@login_required
def read_clock():
    """The time the services run at (the shared fake clock, or the real time)."""
    with unit_of_work(services()) as uow:
        return jsonify(now=iso(uow.now), mode=services().clock_mode)


@bp.post("/admin/clock")
@login_required
def set_clock():
    value = json_body().get("now")
    try:
        now = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("时间格式无效", {"now": "请使用带时区的 ISO 8601 时间"}) from None
    fired = clock.set_clock(services(), actor(), now)
    return jsonify(now=iso(now), fired=fired)
