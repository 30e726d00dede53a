"""Accounts: creation with hashed passwords, authentication, and the actor a user acts as."""
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..engine.roles import ROLES
from ..store import schema
from .context import Actor
from .errors import Conflict, InvalidInput, NotFound

U, R = schema.users, schema.user_roles
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Account:
    """A signed-in user: the actor, and whether a reset password must be changed first."""
    actor: Actor
    must_change_password: bool = False


def create_user(uow, username, password, roles, organisation=None, display_name=None,
                email=None, must_change_password=False):
    errors = check_profile(uow, roles, organisation, email)
    if not username or len(username) > 80 or not username.replace("_", "").isalnum():
        errors["username"] = "用户名须为1-80位字母、数字或下划线"
    if not password or len(password) < 4:
        errors["password"] = "密码至少4位"
    if errors:
        raise InvalidInput("用户信息有误", errors)
    if uow.conn.execute(select(U.c.id).where(U.c.username == username)).first():
        raise Conflict(f"用户名 {username} 已存在", {"username": "用户名已存在"})
    user_id = uow.conn.execute(insert(U).values(
        username=username, display_name=display_name or username,
        password_hash=hash_password(uow, password), organisation=organisation, active=True,
        created_at=uow.now, email=email or None,
        must_change_password=must_change_password).returning(U.c.id)).scalar_one()
    uow.conn.execute(insert(R), [{"user_id": user_id, "role": r} for r in sorted(set(roles))])
    return user_id


def check_profile(uow, roles, organisation, email):
    """Field errors of roles, organisation and e-mail address (empty when all are fine)."""
    errors = {}
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        errors["roles"] = f"未知角色：{'、'.join(unknown)}" if unknown else "至少指定一个角色"
    if "target" in roles and not organisation:
        errors["organisation"] = "巡查对象联络人须指定所属单位"
    if organisation and uow.conn.execute(select(schema.organisations.c.code).where(
            schema.organisations.c.code == organisation)).first() is None:
        errors["organisation"] = f"未知单位：{organisation}"
    if not is_valid_email(email):
        errors["email"] = "电子邮箱格式无效"
    return errors


def is_valid_email(email):
    """An empty address is fine (it is optional); otherwise it must look like one."""
    return not email or (len(email) <= 200 and EMAIL.match(email) is not None)


def hash_password(uow, password):
    return generate_password_hash(password, uow.services.password_method)


def actor_for(uow, username):
    found = load_account(uow, username)
    if found is None:
        raise NotFound(f"用户 {username} 不存在")
    return found.actor


def roles_of(uow, username):
    """The roles of a user, active or not (None when there is no such user)."""
    user_id = uow.conn.execute(select(U.c.id).where(U.c.username == username)).scalar()
    if user_id is None:
        return None
    return frozenset(uow.conn.execute(select(R.c.role).where(R.c.user_id == user_id)).scalars())


def load_account(uow, username):
    """The active user's account (actor and password state), or None."""
    row = uow.conn.execute(select(U.c.id, U.c.username, U.c.organisation,
                                  U.c.must_change_password).where(
        U.c.username == username, U.c.active.is_(True))).first()
    if row is None:
        return None
    roles = uow.conn.execute(select(R.c.role).where(R.c.user_id == row.id)).scalars()
    return Account(Actor(row.username, frozenset(roles), row.organisation),
                   bool(row.must_change_password))


def authenticate(uow, username, password):
    """The account for a correct username and password, else None (no hint which was wrong)."""
    row = uow.conn.execute(select(U.c.password_hash).where(
        U.c.username == username, U.c.active.is_(True))).first()
    if row is None or not check_password_hash(row.password_hash, password or ""):
        return None
    return load_account(uow, username)


def issue_api_token(uow, username):
    token = secrets.token_urlsafe(32)
    uow.conn.execute(update(U).where(U.c.username == username).values(
        api_token_hash=hashlib.sha256(token.encode()).hexdigest()))
    return token


def account_for_token(uow, token):
    """The active account holding this API token, or None (a deactivated user's token fails)."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    username = uow.conn.execute(select(U.c.username).where(
        U.c.api_token_hash == digest, U.c.active.is_(True))).scalar()
    return load_account(uow, username) if username else None


def actor_for_token(uow, token):
    found = account_for_token(uow, token)
    return found.actor if found else None
