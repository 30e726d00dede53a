"""Who is making the request: a session cookie (pages, `POST /api/session`) or an API token."""
from flask import current_app, jsonify, request
from flask_login import LoginManager, UserMixin, current_user

from ..services import users
from ..services.context import unit_of_work

login_manager = LoginManager()
login_manager.login_view = "pages.login"
login_manager.login_message = "请先登录"


class User(UserMixin):
    """The logged-in person, carrying the services' Actor (username, roles, organisation)."""

    def __init__(self, actor):
        self.actor = actor

    def get_id(self):
        return self.actor.username


def services():
    return current_app.extensions["xuncha"]


@login_manager.user_loader
def load_user(username):
    with unit_of_work(services()) as uow:
        try:
            return User(users.actor_for(uow, username))
        except Exception:
            return None


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with unit_of_work(services()) as uow:
        actor = users.actor_for_token(uow, header.removeprefix("Bearer ").strip())
    return User(actor) if actor else None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(error="unauthorized", message="请先登录", fields={}), 401
    from flask import redirect, url_for
    return redirect(url_for("pages.login", next=request.full_path))


def actor():
    return current_user.actor


def init_app(app):
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    login_manager.init_app(app)
