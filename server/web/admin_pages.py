"""Administration pages: users (roles, organisation, e-mail, active, password resets) and
organisations. Administrators manage everything; the office manages target liaisons' accounts
and resets passwords (see services/user_admin.py)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..engine.roles import ROLES
from ..services import access, organisations, passwords, user_admin
from ..services.context import unit_of_work
from ..services.errors import InvalidInput, ServiceError
from .auth import actor, login_manager, services

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def _staff_only():
    """Every admin page needs a signed-in administrator or office member (others: 403)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    access.require_role(actor(), *user_admin.SEES_USERS)
    return None


@bp.get("")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    with unit_of_work(services()) as uow:
        found = user_admin.list_users(uow, actor())
    return render_template("admin/users.html", users=found, role_names=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form, errors = request.form.to_dict(), {}
    if request.method == "POST":
        try:
            with unit_of_work(services()) as uow:
                temporary = user_admin.create_user(
                    uow, actor(), form.get("username", "").strip(), request.form.getlist("roles"),
                    form.get("organisation"), form.get("email"), form.get("display_name"))
            return render_template("admin/password_shown.html", username=form["username"].strip(),
                                   temporary=temporary, created=True), 201
        except ServiceError as exc:
            if not exc.fields:
                raise
            errors = exc.fields
    return _user_form("admin/user_new.html", form | {"roles": request.form.getlist("roles")},
                      errors)


@bp.route("/users/<username>", methods=["GET", "POST"])
def edit_user(username):
    errors = {}
    with unit_of_work(services()) as uow:
        user = user_admin.get_user(uow, actor(), username)
    if request.method == "POST":
        changes = {"display_name": request.form.get("display_name", ""),
                   "roles": request.form.getlist("roles"),
                   "organisation": request.form.get("organisation") or None,
                   "email": request.form.get("email", ""),
                   "active": request.form.get("active") == "on"}
        try:
            with unit_of_work(services()) as uow:
                user_admin.update_user(uow, actor(), username, changes)
            flash(f"已保存用户 {username}", "success")
            return redirect(url_for("admin.users"))
        except InvalidInput as exc:
            errors, user = exc.fields, user | changes
    return _user_form("admin/user_edit.html", user, errors)


def _user_form(template, user, errors):
    with unit_of_work(services()) as uow:
        orgs = organisations.list_organisations(uow)
    roles = ROLES if actor().has("admin") else {"target": ROLES["target"]}
    return render_template(template, user=user, errors=errors, roles=roles,
                           organisations=orgs), 422 if errors else 200


@bp.post("/users/<username>/password-reset")
def reset_password(username):
    with unit_of_work(services()) as uow:
        temporary = passwords.reset_password(uow, actor(), username)
    return render_template("admin/password_shown.html", username=username, temporary=temporary,
                           created=False)


@bp.route("/organisations", methods=["GET", "POST"])
def organisation_list():
    access.require_role(actor(), "admin")
    form, errors = request.form.to_dict(), {}
    if request.method == "POST":
        try:
            with unit_of_work(services()) as uow:
                organisations.create_organisation(
                    uow, actor(), form.get("code"), form.get("name"), form.get("kind"),
                    form.get("has_supervision_duty") == "on")
            flash(f"已添加单位 {form.get('name', '').strip()}", "success")
            return redirect(url_for("admin.organisation_list"))
        except ServiceError as exc:
            if not exc.fields:
                raise
            errors = exc.fields
    with unit_of_work(services()) as uow:
        orgs = organisations.list_organisations(uow)
    return render_template("admin/organisations.html", organisations=orgs, form=form,
                           errors=errors, kinds=organisations.KINDS), 422 if errors else 200


@bp.post("/organisations/<code>")
def rename_organisation(code):
    try:
        with unit_of_work(services()) as uow:
            organisations.rename_organisation(uow, actor(), code, request.form.get("name"))
        flash("单位名称已保存", "success")
    except ServiceError as exc:
        if not exc.fields:
            raise
        flash(f"{exc.message}：{'；'.join(exc.fields.values())}", "error")
    return redirect(url_for("admin.organisation_list"))
