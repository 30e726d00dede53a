"""Organisations (counties, departments): listing, adding and renaming (administrators)."""
import re

from sqlalchemy import insert, select, update

from ..store import schema
from . import access
from .errors import Conflict, InvalidInput, NotFound

O = schema.organisations
KINDS = {"county": "县区", "department": "市直部门"}
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def list_organisations(uow):
    rows = uow.conn.execute(select(O).order_by(O.c.kind, O.c.code))
    return [dict(row._mapping) for row in rows]


def create_organisation(uow, actor, code, name, kind, has_supervision_duty=False):
    access.require_role(actor, "admin")
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not CODE.match(code):
        errors["code"] = "代码须为2-40位小写字母、数字或下划线，以字母开头"
    errors.update(_name_errors(name))
    if kind not in KINDS:
        errors["kind"] = "请选择县区或市直部门"
    if errors:
        raise InvalidInput("单位信息有误", errors)
    if uow.conn.execute(select(O.c.code).where(O.c.code == code)).first():
        raise Conflict(f"单位代码 {code} 已存在", {"code": "单位代码已存在"})
    _require_unique_name(uow, name)
    uow.conn.execute(insert(O).values(code=code, name=name, kind=kind,
                                      has_supervision_duty=bool(has_supervision_duty)))
    uow.audit(actor, "organisation.created", code=code, name=name, kind=kind)


def rename_organisation(uow, actor, code, name):
    access.require_role(actor, "admin")
    name = (name or "").strip()
    old = uow.conn.execute(select(O.c.name).where(O.c.code == code)).scalar()
    if old is None:
        raise NotFound(f"单位 {code} 不存在")
    errors = _name_errors(name)
    if errors:
        raise InvalidInput("单位名称有误", errors)
    if name != old:
        _require_unique_name(uow, name)
        uow.conn.execute(update(O).where(O.c.code == code).values(name=name))
        uow.audit(actor, "organisation.renamed", code=code, previous=old, name=name)


def _name_errors(name):
    return {} if 1 <= len(name) <= 100 else {"name": "名称须为1-100个字"}


def _require_unique_name(uow, name):
    # Inspections are started by an organisation's name as well as its code: names stay unique.
    if uow.conn.execute(select(O.c.code).where(O.c.name == name)).first():
        raise Conflict(f"单位名称 {name} 已存在", {"name": "单位名称已存在"})
