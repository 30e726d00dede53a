"""Managing accounts: the user list, creating users, changing roles, organisation, e-mail and
whether an account is active.

Administrators manage every account. The office manages the accounts of target liaisons (role
`target` only: the counties' and departments' contacts come and go with their organisations) and
resets passwords of anyone but administrators (passwords.py); it sees the user list for that.
"""
from sqlalchemy import delete, insert, select, update

from ..store import schema
from . import access, users
from .errors import Forbidden, InvalidInput, NotFound
from .passwords import temporary_password

U, R, O = schema.users, schema.user_roles, schema.organisations
SEES_USERS = ("admin", "office")
FIELDS = ("display_name", "roles", "organisation", "email", "active")


def list_users(uow, actor):
    access.require_role(actor, *SEES_USERS)
    rows = uow.conn.execute(select(U, O.c.name.label("organisation_name"))
                            .select_from(U.outerjoin(O, O.c.code == U.c.organisation))
                            .order_by(U.c.username)).all()
    roles = {}
    for user_id, role in uow.conn.execute(select(R.c.user_id, R.c.role)):
        roles.setdefault(user_id, []).append(role)
    return [_user(row, roles.get(row.id, [])) for row in rows]


def get_user(uow, actor, username):
    access.require_role(actor, *SEES_USERS)
    row = uow.conn.execute(select(U, O.c.name.label("organisation_name"))
                           .select_from(U.outerjoin(O, O.c.code == U.c.organisation))
                           .where(U.c.username == username)).first()
    if row is None:
        raise NotFound(f"用户 {username} 不存在")
    roles = uow.conn.execute(select(R.c.role).where(R.c.user_id == row.id)).scalars().all()
    return _user(row, roles)


def _user(row, roles):
    return {"username": row.username, "display_name": row.display_name,
            "roles": sorted(roles), "organisation": row.organisation,
            "organisation_name": row.organisation_name, "email": row.email,
            "active": bool(row.active), "must_change_password": bool(row.must_change_password),
            "created_at": row.created_at}


def create_user(uow, actor, username, roles, organisation=None, email=None, display_name=None):
    """A new account with a temporary password (returned once) to change at first sign-in."""
    require_may_manage(actor, roles)
    temporary = temporary_password()
    users.create_user(uow, username, temporary, roles, organisation or None,
                      (display_name or "").strip() or None, (email or "").strip() or None,
                      must_change_password=True)
    uow.audit(actor, "user.created", username=username, roles=sorted(set(roles)),
              organisation=organisation or None, email=email or None)
    return temporary


def update_user(uow, actor, username, changes):
    """Change some of display_name, roles, organisation, email, active; audited with old values."""
    before = get_user(uow, actor, username)
    unknown = [key for key in changes if key not in FIELDS]
    if unknown:
        raise InvalidInput("不能修改这些字段", {key: "不可修改" for key in unknown})
    after = _normalised(before | changes)
    require_may_manage(actor, before["roles"])
    require_may_manage(actor, after["roles"])
    errors = users.check_profile(uow, after["roles"], after["organisation"], after["email"])
    errors.update(_self_lockout(actor, username, after))
    if not isinstance(after["active"], bool):
        errors["active"] = "须为 true 或 false"
    if errors:
        raise InvalidInput("用户信息有误", errors)
    changed = {key: [before[key], after[key]] for key in FIELDS if before[key] != after[key]}
    if not changed:
        return before
    user_id = uow.conn.execute(select(U.c.id).where(U.c.username == username)).scalar_one()
    uow.conn.execute(update(U).where(U.c.id == user_id).values(
        display_name=after["display_name"], organisation=after["organisation"],
        email=after["email"], active=after["active"]))
    if "roles" in changed:
        uow.conn.execute(delete(R).where(R.c.user_id == user_id))
        uow.conn.execute(insert(R), [{"user_id": user_id, "role": r} for r in after["roles"]])
    uow.audit(actor, "user.updated", username=username, changes=changed)
    return after


def _normalised(user):
    roles = user["roles"]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidInput("用户信息有误", {"roles": "须为角色代码的列表"})
    return user | {"roles": sorted(set(roles)),
                   "display_name": (user["display_name"] or "").strip() or user["username"],
                   "organisation": user["organisation"] or None,
                   "email": (user["email"] or "").strip() or None}


def _self_lockout(actor, username, after):
    """An administrator may not lock themselves out (someone must remain to undo it)."""
    if actor.username != username:
        return {}
    errors = {}
    if after["active"] is False:
        errors["active"] = "不能停用自己的账号"
    if actor.has("admin") and "admin" not in after["roles"]:
        errors["roles"] = "不能取消自己的系统管理员角色"
    return errors


def update_own_email(uow, actor, email):
    email = (email or "").strip() or None
    if not users.is_valid_email(email):
        raise InvalidInput("电子邮箱格式无效", {"email": "电子邮箱格式无效"})
    uow.conn.execute(update(U).where(U.c.username == actor.username).values(email=email))
    uow.audit(actor, "user.email_changed", username=actor.username, email=email)


def own_profile(uow, actor):
    row = uow.conn.execute(select(U.c.username, U.c.display_name, U.c.email)
                           .where(U.c.username == actor.username)).first()
    if row is None:
        raise NotFound(f"用户 {actor.username} 不存在")
    return dict(row._mapping)


def require_may_manage(actor, roles):
    if actor.has("admin"):
        return
    if actor.has("office") and roles and set(roles) == {"target"}:
        return
    raise Forbidden("市安委会办公室只能管理巡查对象联络人的账号")
