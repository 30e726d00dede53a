"""Logging in and out over the API, and the processes deployed."""
from flask import Blueprint, jsonify
from flask_login import current_user, login_required, login_user, logout_user

from ...services import inbox, passwords, users, versions
from ...services.context import unit_of_work
from ...services.errors import InvalidInput, ServiceError
from ...services.throttle import TooManyAttempts
from ..auth import User, actor, services, sign_in
from . import iso, json_body

bp = Blueprint("api_session", __name__, url_prefix="/api")


class Unauthorized(ServiceError):
    code = "unauthorized"


@bp.post("/session")
def log_in():
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput("请输入用户名和密码", {"username": "必填", "password": "必填"})
    try:
        with unit_of_work(services()) as uow:
            found = sign_in(uow, username, password)
    except TooManyAttempts as exc:
        return jsonify(error=exc.code, message=exc.message, fields={}), 429
    if found is None:
        raise Unauthorized("用户名或密码错误")
    login_user(User.of(found))
    return jsonify(user=_me(found.actor, found.must_change_password))


@bp.post("/session/password")
@login_required
def change_password():
    body = json_body()
    with unit_of_work(services()) as uow:
        passwords.change_password(uow, actor(), body.get("current"), body.get("new"),
                                  body.get("repeat", body.get("new")))
    return jsonify(ok=True)


@bp.delete("/session")
@login_required
def log_out():
    logout_user()
    return jsonify(ok=True)


@bp.get("/me")
@login_required
def me():
    return jsonify(user=_me(actor(), current_user.must_change_password))


@bp.post("/me/token")
@login_required
def new_token():
    with unit_of_work(services()) as uow:
        token = users.issue_api_token(uow, actor().username)
    return jsonify(token=token), 201


@bp.get("/notifications")
@login_required
def notifications():
    """Reminders and overdue notices about tasks the caller may work on, newest first."""
    with unit_of_work(services()) as uow:
        found = inbox.notifications(uow, actor(), limit=100)
    return jsonify(unread=found["unread"], notifications=[
        {"id": n["id"], "kind": n["kind"], "message": n["message"], "task_id": n["task_id"],
         "instance_id": n["instance_id"], "created_at": iso(n["created_at"]),
         "unread": n["unread"]} for n in found["items"]])


@bp.get("/processes")
@login_required
def processes():
    with unit_of_work(services()) as uow:
        version = versions.active_version(uow)
        bundle = versions.bundle_for(uow, version)
    found = []
    for pid, name in sorted(bundle.process_names.items()):
        entry = {"id": pid, "name": name, "version": version}
        regulation = bundle.regulation(pid)     # R0.1, R5: the regulation the diagram implements
        if regulation:
            entry["regulation"] = regulation
        found.append(entry)
    return jsonify(processes=found)


def _me(found, must_change_password=False):
    me = {"username": found.username, "roles": sorted(found.roles),
          "organisation": found.organisation}
    if must_change_password:        # after a reset: only the password endpoint answers
        me["must_change_password"] = True
    return me
