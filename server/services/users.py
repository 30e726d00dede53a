"""Accounts: creation with hashed passwords, authentication, and the actor a user acts as."""
import hashlib
import secrets

from sqlalchemy import insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..engine.roles import ROLES
from ..store import schema
from .context import Actor
from .errors import Conflict, InvalidInput, NotFound

U, R = schema.users, schema.user_roles


def create_user(uow, username, password, roles, organisation=None, display_name=None):
    errors = {}
    if not username or len(username) > 80 or not username.replace("_", "").isalnum():
        errors["username"] = "用户名须为1-80位字母、数字或下划线"
    if not password or len(password) < 4:
        errors["password"] = "密码至少4位"
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        errors["roles"] = f"未知角色：{'、'.join(unknown)}" if unknown else "至少指定一个角色"
    if "target" in roles and not organisation:
        errors["organisation"] = "巡查对象联络人须指定所属单位"
    if organisation and uow.conn.execute(select(schema.organisations.c.code).where(
            schema.organisations.c.code == organisation)).first() is None:
        errors["organisation"] = f"未知单位：{organisation}"
    if errors:
        raise InvalidInput("用户信息有误", errors)
    if uow.conn.execute(select(U.c.id).where(U.c.username == username)).first():
        raise Conflict(f"用户名 {username} 已存在", {"username": "用户名已存在"})
    user_id = uow.conn.execute(insert(U).values(
        username=username, display_name=display_name or username,
        password_hash=generate_password_hash(password, uow.services.password_method), organisation=organisation, active=True,
        created_at=uow.now).returning(U.c.id)).scalar_one()
    uow.conn.execute(insert(R), [{"user_id": user_id, "role": r} for r in sorted(set(roles))])
    return user_id


def actor_for(uow, username):
    row = uow.conn.execute(select(U).where(U.c.username == username, U.c.active.is_(True))).first()
    if row is None:
        raise NotFound(f"用户 {username} 不存在")
    roles = uow.conn.execute(select(R.c.role).where(R.c.user_id == row.id)).scalars()
    return Actor(row.username, frozenset(roles), row.organisation)


def authenticate(uow, username, password):
    """The actor for a correct username and password, else None (no hint which was wrong)."""
    row = uow.conn.execute(select(U).where(U.c.username == username, U.c.active.is_(True))).first()
    if row is None or not check_password_hash(row.password_hash, password or ""):
        return None
    return actor_for(uow, username)


def issue_api_token(uow, username):
    token = secrets.token_urlsafe(32)
    uow.conn.execute(update(U).where(U.c.username == username).values(
        api_token_hash=hashlib.sha256(token.encode()).hexdigest()))
    return token


def actor_for_token(uow, token):
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    username = uow.conn.execute(select(U.c.username).where(
        U.c.api_token_hash == digest, U.c.active.is_(True))).scalar()
    return actor_for(uow, username) if username else None
