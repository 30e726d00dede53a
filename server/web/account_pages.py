"""The signed-in person's own account: e-mail address and password (修改密码)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..services import passwords, user_admin
from ..services.context import unit_of_work
from ..services.errors import InvalidInput
from .auth import actor, services

bp = Blueprint("account", __name__, template_folder="templates")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def index():
    errors, email = {}, request.form.get("email")
    if request.method == "POST":
        try:
            with unit_of_work(services()) as uow:
                user_admin.update_own_email(uow, actor(), email)
            flash("电子邮箱已保存", "success")
            return redirect(url_for("account.index"))
        except InvalidInput as exc:
            errors = exc.fields
    with unit_of_work(services()) as uow:
        profile = user_admin.own_profile(uow, actor())
    email = profile["email"] if email is None else email
    return render_template("account/index.html", profile=profile, email=email,
                           errors=errors), 422 if errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            with unit_of_work(services()) as uow:
                passwords.change_password(uow, actor(), form.get("current"), form.get("new"),
                                          form.get("repeat"))
            current_user.must_change_password = False
            flash("密码已修改", "success")
            return redirect(url_for("pages.index"))
        except InvalidInput as exc:
            errors = exc.fields
    return render_template("account/password.html", errors=errors,
                           must_change=current_user.must_change_password), 422 if errors else 200
