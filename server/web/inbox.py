"""The inbox (待办): my tasks and my roles' tasks, claim / unclaim / reassign, notifications; and
what every page's header shows (the user, role names, the open-task count)."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from ..engine.calendar import BEIJING, last_day
from ..engine.roles import ROLES
from ..services import inbox, tasks
from ..services.context import unit_of_work
from ..services.errors import ServiceError
from .auth import actor, services
from .paging import page_number

bp = Blueprint("inbox", __name__, template_folder="templates")
# The stylesheet and scripts every page uses (server/web/static).
assets = Blueprint("assets", __name__, static_folder="static", static_url_path="/ui")

PAGE_SIZE = 50
TABS = {"open": "待办", "completed": "已办"}
OVERDUE = {"1": True, "0": False}


@bp.app_context_processor
def header():
    """The header of every page: who is logged in, in which roles, and how many open tasks."""
    if not current_user.is_authenticated:
        return {"header": None}
    me = actor()
    info = {"user": me.username, "roles": [ROLES.get(r, r) for r in sorted(me.roles)],
            "organisation": None, "open_count": g.get("open_count"), "instances_url": "/instances"}
    if info["open_count"] is not None and not me.organisation:
        return {"header": info}         # the inbox page counted already
    try:
        with unit_of_work(services()) as uow:
            if info["open_count"] is None:
                info["open_count"] = inbox.count_open(uow, me)
            if me.organisation:
                info["organisation"] = inbox.organisation_name(uow, me.organisation)
    except RuntimeError:
        pass            # rendered inside another unit of work: the header goes without the count
    return {"header": info}


@bp.app_errorhandler(CSRFError)
def _csrf_refused(exc):
    """A page form without a valid token (expired page, or posted from another site)."""
    error = {"error": "csrf", "message": "页面已过期或缺少安全令牌，请返回刷新页面后重试。",
             "fields": {}}
    return render_template("error.html", error=error), 400


@bp.app_template_filter("beijing")
def beijing(value, fmt="%Y-%m-%d %H:%M"):
    return value.astimezone(BEIJING).strftime(fmt) if isinstance(value, datetime) else ""


def due_info(calendar, today, task):
    """The due date as its last day, working days left, and how to say it."""
    if task.get("due_at") is None:
        return None
    day = last_day(task["due_at"])
    left = calendar.working_days_between(today, day)
    if day < today:
        text = f"已过期 {calendar.working_days_between(day, today)} 个工作日"
    elif day == today:
        text = "今日截止"
    else:
        text = f"剩 {left} 个工作日"
    return {"day": day, "left": left, "text": text}


@bp.get("/tasks")
@login_required
def index():
    tab = request.args.get("tab", "open")
    tab = tab if tab in TABS else "open"
    filters = {key: request.args.get(key) or None
               for key in ("stage", "process", "organisation")}
    overdue = OVERDUE.get(request.args.get("overdue", ""))
    page = page_number()
    me = actor()
    office = me.has("office")
    with unit_of_work(services()) as uow:
        total, rows = tasks.list_tasks(uow, me, state=tab, overdue=overdue,
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
        today = uow.now.astimezone(BEIJING).date()
        seen_at = inbox.last_seen(uow, me)
        for row in rows:
            row["due"] = due_info(uow.calendar, today, row)
            row["new"] = tab == "open" and seen_at is not None and row["created_at"] > seen_at \
                and not row["claimed_by"]
        if office and tab == "open":
            people = inbox.candidates_for(
                uow, [(r["role"], r["organisation"], r["instance_id"]) for r in rows])
            for row in rows:
                row["candidates"] = people[(row["role"], row["organisation"], row["instance_id"])]
        notes = inbox.notifications(uow, me) if tab == "open" else None
        choices = inbox.filter_choices(uow)
    if tab == "open" and not any(filters.values()) and overdue is None:
        g.open_count = total            # the header's badge: the same count, not asked again
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("inbox/index.html", rows=rows, total=total, tab=tab, tabs=TABS,
                           filters=filters, overdue=request.args.get("overdue", ""),
                           page=page, pages=pages, notes=notes, choices=choices, office=office,
                           roles=ROLES, me=me, query=_query_without("page"))


def _query_without(*keys):
    return {k: v for k, v in request.args.items() if k not in keys and v}


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    return _act(lambda uow: tasks.claim_task(uow, actor(), task_id), "已认领该任务")


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    return _act(lambda uow: tasks.unclaim_task(uow, actor(), task_id), "已退回认领")


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id):
    username = request.form.get("user", "").strip()
    if not username:
        flash("请选择转派给谁", "error")
        return redirect(_back())
    return _act(lambda uow: tasks.reassign_task(uow, actor(), task_id, username),
                f"已转派给 {username}")


@bp.post("/notifications/read")
@login_required
def notifications_read():
    return _act(lambda uow: inbox.mark_read(uow, actor()), "通知已全部标为已读")


def _act(action, done):
    """One service call in one unit of work; its outcome as a flash message, then back."""
    try:
        with unit_of_work(services()) as uow:
            action(uow)
    except ServiceError as exc:
        details = "；".join(str(v) for v in exc.fields.values())
        flash(f"{exc.message}{'（' + details + '）' if details else ''}", "error")
    else:
        flash(done, "success")
    return redirect(_back())


def _back():
    """Where the form came from (`next`, a path on this site), else the inbox."""
    target = request.form.get("next") or request.args.get("next")
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")
