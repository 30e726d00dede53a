"""Who is making the request: a session cookie (pages, `POST /api/session`) or an API token."""
from flask import current_app, jsonify, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user

from ..services import throttle, users
from ..services.context import Actor, unit_of_work
from ..store.fast import Statement
from .session_cookie import RememberingSessionInterface

login_manager = LoginManager()
login_manager.login_view = "pages.login"
login_manager.login_message = "请先登录"


# What a user whose password was reset may still reach before changing it.
OPEN_WHILE_CHANGING = {"account.password", "pages.logout", "pages.login", "assets.static",
                       "static"}
OPEN_API_WHILE_CHANGING = {"/api/session", "/api/session/password", "/api/me"}


class User(UserMixin):
    """The logged-in person, carrying the services' Actor (username, roles, organisation)."""

    def __init__(self, actor, must_change_password=False):
        self.actor = actor
        self.must_change_password = must_change_password

    @classmethod
    def of(cls, account):
        return cls(account.actor, account.must_change_password)

    def get_id(self):
        return self.actor.username


def services():
    return current_app.extensions["xuncha"]


# The session's user, read on every request: one hand-written statement instead of
# users.load_account's two built with Core (about a fifth of a short API request).
SELECT_ACCOUNT = Statement("""
    SELECT u.organisation, u.must_change_password, r.role
    FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
    WHERE u.username = :username AND u.active = :active""")


@login_manager.user_loader
def load_user(username):
    rows = _account_rows(username)
    if not rows:
        return None
    actor = Actor(username, frozenset(r[2] for r in rows if r[2]), rows[0][0])
    return User(actor, bool(rows[0][1]))


def _account_rows(username):
    """One statement outside a unit of work: on SQLite a unit of work begins IMMEDIATE, taking
    the write lock (and queueing behind writers) only to read who is asking; on PostgreSQL it
    costs BEGIN and COMMIT round trips. A lone SELECT reads a consistent snapshot by itself."""
    connections = services().connections
    conn = connections.take()
    try:
        if conn.dialect.name == "sqlite":       # its connections are in autocommit mode already
            return _select_account(conn, username)
        driver = conn.connection.driver_connection
        driver.autocommit = True                # as SQLAlchemy's own ping does
        try:
            return _select_account(conn, username)
        finally:
            if not driver.closed:
                driver.autocommit = False
    finally:
        connections.give_back(conn)


def _select_account(conn, username):
    return SELECT_ACCOUNT.execute(conn, {"username": username, "active": True}).fetchall()


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with unit_of_work(services()) as uow:
        found = users.account_for_token(uow, header.removeprefix("Bearer ").strip())
    return User.of(found) if found else None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(error="unauthorized", message="请先登录", fields={}), 401
    return redirect(url_for("pages.login", next=request.full_path))


def actor():
    return current_user.actor


def sign_in(uow, username, password):
    """The account for these credentials (None: wrong), throttled per user name and address."""
    limits = throttle.Limits.from_config(current_app.config)
    return throttle.sign_in(uow, username, password, request.remote_addr, limits)


def require_password_change():
    """After a reset, the user changes the password before anything else: pages lead to the
    change-password page, the API answers 403 password_change_required."""
    req = request._get_current_object()            # on every request: look the proxies up once
    if req.endpoint in OPEN_WHILE_CHANGING or req.path in OPEN_API_WHILE_CHANGING:
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated or not user.must_change_password:
        return None
    if req.path.startswith("/api/"):
        return jsonify(error="password_change_required", message="请先修改密码",
                       fields={"password": "管理员已重置您的密码，请先修改"}), 403
    return redirect(url_for("account.password"))


def init_app(app):
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.session_interface = RememberingSessionInterface()
    login_manager.init_app(app)
    app.before_request(require_password_change)
