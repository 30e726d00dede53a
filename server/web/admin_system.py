"""Administration of the system's time: the year's holiday schedules (the same service as
PUT /api/admin/calendar/{year}) and, in fake-clock mode, the clock (as POST /api/admin/clock)."""
import json
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..engine.calendar import BEIJING
from ..services import access, calendar, calendar_admin, clock
from ..services.context import unit_of_work
from ..services.errors import InvalidInput
from .auth import actor, login_manager, services

bp = Blueprint("admin_system", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def _admin_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    access.require_role(actor(), "admin")
    return None


@bp.route("/calendar", methods=["GET", "POST"])
def calendar_page():
    errors, pasted = {}, request.form.get("schedule", "")
    if request.method == "POST":
        try:
            schedule = _schedule_from_form(pasted)
            with unit_of_work(services()) as uow:
                recomputed = calendar.load_year_schedule(uow, actor(), schedule)
            flash(f"已载入 {schedule['year']} 年节假日安排；重算了 {recomputed} 项巡查的暂定期限",
                  "success")
            return redirect(url_for("admin_system.calendar_page"))
        except InvalidInput as exc:
            errors = exc.fields or {"schedule": exc.message}
    with unit_of_work(services()) as uow:
        years = calendar_admin.loaded_years(uow, actor())
    return render_template("admin/calendar.html", years=years, errors=errors,
                           pasted=pasted), 422 if errors else 200


def _schedule_from_form(pasted):
    upload = request.files.get("file")
    text = upload.read().decode("utf-8", "replace") if upload and upload.filename else pasted
    if not text.strip():
        raise InvalidInput("请粘贴或上传节假日安排", {"schedule": "请粘贴 JSON 或选择文件"})
    try:
        schedule = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("不是有效的 JSON", {"schedule": f"不是有效的 JSON：{exc}"}) from None
    if not isinstance(schedule, dict) or not isinstance(schedule.get("year"), int):
        raise InvalidInput("缺少年份", {"schedule": "须为 JSON 对象，含整数 year"})
    return schedule


@bp.route("/clock", methods=["GET", "POST"])
def clock_page():
    fake = current_app.config["CLOCK"] == "fake"
    errors = {}
    if request.method == "POST":
        try:
            fired = clock.set_clock(services(), actor(), _instant(request.form.get("now")))
            flash(f"模拟时钟已拨到 {request.form.get('now').replace('T', ' ')}，"
                  f"触发了 {fired} 个到期事件", "success")
            return redirect(url_for("admin_system.clock_page"))
        except InvalidInput as exc:
            errors = exc.fields
    with unit_of_work(services()) as uow:
        now = uow.now.astimezone(BEIJING)
    return render_template("admin/clock.html", fake=fake, now=now, errors=errors,
                           value=request.form.get("now") or now.strftime("%Y-%m-%dT%H:%M")
                           ), 422 if errors else 200


def _instant(value):
    """A datetime-local value is Beijing time; an ISO value with an offset is taken as it is."""
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("时间格式无效", {"now": "请填写日期和时间"}) from None
    return when if when.tzinfo else when.replace(tzinfo=BEIJING)
