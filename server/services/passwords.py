"""Changing one's own password, and the office or an administrator resetting someone's.

A reset gives a temporary password, shown once to whoever reset it; its holder must choose a new
one before doing anything else (`must_change_password`).
"""
import secrets

from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from ..store import schema
from . import access, throttle, users
from .errors import Forbidden, InvalidInput, NotFound

U = schema.users
MIN_LENGTH = 8
# Letters and digits people can read aloud over the phone without confusing 0/O or 1/l.
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def change_password(uow, actor, current, new, repeat):
    """Replace the actor's password; field errors name what is wrong."""
    row = uow.conn.execute(select(U.c.password_hash).where(
        U.c.username == actor.username, U.c.active.is_(True))).first()
    if row is None:
        raise NotFound(f"用户 {actor.username} 不存在")
    errors = {}
    if not check_password_hash(row.password_hash, current or ""):
        errors["current"] = "当前密码不正确"
    if not new or len(new) < MIN_LENGTH:
        errors["new"] = f"新密码至少{MIN_LENGTH}位"
    elif new == current:
        errors["new"] = "新密码不能与当前密码相同"
    if new != repeat:
        errors["repeat"] = "两次输入的新密码不一致"
    if errors:
        raise InvalidInput("密码未修改", errors)
    uow.conn.execute(update(U).where(U.c.username == actor.username).values(
        password_hash=users.hash_password(uow, new), must_change_password=False,
        password_changed_at=uow.now))
    uow.audit(actor, "user.password_changed", username=actor.username)


def reset_password(uow, actor, username):
    """A temporary password for `username` (returned once); their API token stops working."""
    access.require_role(actor, "admin", "office")
    roles = users.roles_of(uow, username)
    if roles is None:
        raise NotFound(f"用户 {username} 不存在")
    if not actor.has("admin") and "admin" in roles:
        raise Forbidden("只有系统管理员可以重置管理员的密码")
    temporary = temporary_password()
    uow.conn.execute(update(U).where(U.c.username == username).values(
        password_hash=users.hash_password(uow, temporary), must_change_password=True,
        api_token_hash=None, password_changed_at=uow.now))
    throttle.clear_user(uow, username)
    uow.audit(actor, "user.password_reset", username=username)
    return temporary


def temporary_password():
    return "".join(secrets.choice(ALPHABET) for _ in range(12))
