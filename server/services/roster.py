"""Who is on an inspection's team: team members see only inspections whose roster names them."""
from sqlalchemy import and_, delete, insert, select

from ..store import schema
from ..store.fast import Statement

M = schema.instance_members
IS_MEMBER = Statement("SELECT username FROM instance_members "
                      "WHERE instance_id = :instance_id AND username = :username", ["username"])


def is_member(uow, instance_id, username):
    return IS_MEMBER.first(uow.conn, {"instance_id": instance_id,
                                      "username": username}) is not None


def sync_members(uow, instance_id, data):
    """Bring the member rows in line with the roster's usernames in `data["members"]`."""
    wanted = {m.get("username") for m in data.get("members") or () if isinstance(m, dict)}
    wanted -= {None, ""}
    have = set(uow.conn.execute(select(M.c.username).where(M.c.instance_id == instance_id)).scalars())
    if wanted - have:
        uow.conn.execute(insert(M), [{"instance_id": instance_id, "username": u}
                                     for u in sorted(wanted - have)])
    if have - wanted:
        uow.conn.execute(delete(M).where(and_(M.c.instance_id == instance_id,
                                              M.c.username.in_(have - wanted))))
