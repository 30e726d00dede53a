"""Landing page (what is deployed), logging in and out."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from ..services import versions
from ..services.context import unit_of_work
from ..services.throttle import TooManyAttempts
from .auth import User, sign_in

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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    try:
        with unit_of_work(current_app.extensions["xuncha"]) as uow:
            found = sign_in(uow, request.form.get("username", ""), request.form.get("password", ""))
    except TooManyAttempts as exc:
        flash(exc.message)
        return render_template("login.html"), 429
    if found is None:
        flash("用户名或密码错误")
        return render_template("login.html"), 401
    login_user(User.of(found))
    if found.must_change_password:
        flash("管理员已重置您的密码，请先设置新密码", "warning")
        return redirect(url_for("account.password"))
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("pages.index"))


def _safe_next(target):
    """Only redirect within this site after logging in; by default to the person's inbox."""
    if target and not urlsplit(target).netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("inbox.index")
