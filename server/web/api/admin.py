"""The working-day calendar, in fake-clock mode the clock, user accounts, and the ledger."""
from datetime import datetime

from flask import Blueprint, jsonify, request
from flask_login import login_required

from ...services import access, calendar, clock, passwords, user_admin
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, services
from ..dashboard import send_ledger
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
    access.require_role(actor(), "admin")       # before the body: others get 403, never 422
    value = json_body().get("now")
    try:
        now = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("时间格式无效", {"now": "请使用带时区的 ISO 8601 时间"}) from None
    fired = clock.set_clock(services(), actor(), now)
    return jsonify(now=iso(now), fired=fired)


@bp.get("/admin/users")
@login_required
def list_users():
    with unit_of_work(services()) as uow:
        found = user_admin.list_users(uow, actor())
    return jsonify(total=len(found), users=[_user_json(u) for u in found])


@bp.post("/admin/users")
@login_required
def create_user():
    access.require_role(actor(), *user_admin.SEES_USERS)     # 403 before any 422
    body = json_body()
    roles = body.get("roles")
    if not isinstance(body.get("username"), str) or not isinstance(roles, list):
        raise InvalidInput("用户信息有误", {"username": "必填", "roles": "须为角色代码的列表"})
    with unit_of_work(services()) as uow:
        temporary = user_admin.create_user(uow, actor(), body["username"], roles,
                                           body.get("organisation"), body.get("email"),
                                           body.get("display_name"))
        user = user_admin.get_user(uow, actor(), body["username"])
    return jsonify(user=_user_json(user), temporary_password=temporary), 201


@bp.patch("/admin/users/<username>")
@login_required
def update_user(username):
    with unit_of_work(services()) as uow:
        user_admin.update_user(uow, actor(), username, json_body())
        user = user_admin.get_user(uow, actor(), username)
    return jsonify(user=_user_json(user))


@bp.post("/admin/users/<username>/password-reset")
@login_required
def reset_password(username):
    with unit_of_work(services()) as uow:
        temporary = passwords.reset_password(uow, actor(), username)
    return jsonify(username=username, temporary_password=temporary)


def _user_json(user):
    return {key: user[key] for key in ("username", "display_name", "roles", "organisation",
                                       "email", "active", "must_change_password")}


@bp.get("/ledger.xlsx")
@login_required
def ledger_file():
    """The inspection ledger (台账) as an Excel workbook (office, commission, reviewers, admin)."""
    return send_ledger()
