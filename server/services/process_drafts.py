"""Process owners' drafts: the diagrams, decision tables and forms of the next version, edited
together and validated on every save (problems pinned to elements), until deployed.

A draft starts as a copy of every file of a deployed version. Saves are optimistic: the caller
names the revision it edited, and a stale one is a Conflict (nothing is lost silently).
"""
import re

from sqlalchemy import delete, func, insert, select, update

from ..engine.bundle import InvalidBundle, load_bundle
from ..store import schema
from .access import require_role
from .errors import Conflict, InvalidInput, NotFound
from .versions import active_version, version_files

D, F = schema.process_drafts, schema.draft_files
OWNER = "process_owner"
# processes/<name>.bpmn|.dmn and forms/<name>.json; plain names only (the zip and git use them).
PATH = re.compile(r"(processes/[A-Za-z0-9_\-]+\.(bpmn|dmn)|forms/[A-Za-z0-9_\-]+\.json)")
MAX_FILES, MAX_FILE_BYTES = 200, 2_000_000


def problems_of(files):
    """Every problem of a set of files as dicts {file, element, message}; [] when it loads."""
    try:
        load_bundle(files)
    except InvalidBundle as exc:
        return [p.to_dict() for p in exc.problems]
    return []


def list_drafts(uow, actor):
    require_role(actor, OWNER)
    rows = uow.conn.execute(select(D).order_by(D.c.id.desc())).all()
    return [_summary(r) for r in rows]


def create_draft(uow, actor, name, version_id=None):
    """A new draft holding every file of `version_id` (default: the active version)."""
    require_role(actor, OWNER)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("请填写草稿名称（不超过200字）", {"name": "必填，不超过200字"})
    base = version_id or active_version(uow)
    files = version_files(uow, base)
    draft_id = uow.conn.execute(insert(D).values(
        name=name, base_version=base, created_by=actor.username, created_at=uow.now,
        updated_by=actor.username, updated_at=uow.now, revision=1,
        problems=problems_of(files)).returning(D.c.id)).scalar_one()
    uow.conn.execute(insert(F), [{"draft_id": draft_id, "path": p, "content": c}
                                 for p, c in files.items()])
    uow.audit(actor, "draft.created", draft=draft_id, name=name, base_version=base)
    return draft_id


def get_draft(uow, actor, draft_id):
    """The draft with its files as text."""
    require_role(actor, OWNER)
    draft = _summary(draft_row(uow, draft_id))
    draft["files"] = {p: c.decode("utf-8", "replace") for p, c in draft_files(uow, draft_id).items()}
    return draft


def draft_files(uow, draft_id):
    rows = uow.conn.execute(select(F.c.path, F.c.content).where(F.c.draft_id == draft_id)
                            .order_by(F.c.path)).all()
    return {r.path: bytes(r.content) for r in rows}


def save_draft(uow, actor, draft_id, revision, files, remove=()):
    """Replace the given files (and drop `remove`) in one save; validate the whole set.
    The draft is kept even when it has problems: they are returned and stored with it."""
    require_role(actor, OWNER)
    current = draft_row(uow, draft_id)
    check_revision(current, revision)
    changes = _checked_files(files, remove)
    merged = {p: c for p, c in draft_files(uow, draft_id).items() if p not in remove} | changes
    if not any(p.endswith(".bpmn") for p in merged):
        raise InvalidInput("草稿至少须包含一张流程图", {"remove": "不能删除全部流程图"})
    problems = problems_of(merged)
    uow.conn.execute(delete(F).where(F.c.draft_id == draft_id,
                                     F.c.path.in_(sorted(set(changes) | set(remove)))))
    if changes:
        uow.conn.execute(insert(F), [{"draft_id": draft_id, "path": p, "content": c}
                                     for p, c in changes.items()])
    new_revision = current.revision + 1
    uow.conn.execute(update(D).where(D.c.id == draft_id).values(
        revision=new_revision, updated_by=actor.username, updated_at=uow.now, problems=problems))
    uow.audit(actor, "draft.saved", draft=draft_id, revision=new_revision,
              changed=sorted(changes), removed=sorted(remove), problems=len(problems))
    return {"id": draft_id, "revision": new_revision, "problems": problems}


def delete_draft(uow, actor, draft_id):
    require_role(actor, OWNER)
    draft_row(uow, draft_id)
    uow.conn.execute(delete(F).where(F.c.draft_id == draft_id))
    uow.conn.execute(delete(D).where(D.c.id == draft_id))
    uow.audit(actor, "draft.deleted", draft=draft_id)


def count_drafts(uow):
    return uow.conn.execute(select(func.count()).select_from(D)).scalar()


def _checked_files(files, remove):
    if not isinstance(files, dict) or len(files) > MAX_FILES:
        raise InvalidInput("files 须为“路径 → 文件内容”的对象", {"files": "须为对象"})
    fields, changes = {}, {}
    for path, text in files.items():
        if not PATH.fullmatch(str(path)):
            fields[f"files/{path}"] = "路径须为 processes/名称.bpmn、processes/名称.dmn 或 forms/名称.json"
        elif not isinstance(text, str) or len(text.encode()) > MAX_FILE_BYTES:
            fields[f"files/{path}"] = "内容须为不超过 2 MB 的文本"
        else:
            changes[path] = text.encode()
    if not isinstance(remove, (list, tuple)) or not all(isinstance(p, str) for p in remove):
        fields["remove"] = "须为路径列表"
    if fields:
        raise InvalidInput("草稿文件有误", fields)
    return changes


def check_revision(row, revision):
    if revision != row.revision:
        raise Conflict(f"草稿已被 {row.updated_by} 更新（第 {row.revision} 稿），请重新载入后再保存",
                       {"revision": f"当前为第 {row.revision} 稿"})


def draft_row(uow, draft_id):
    found = uow.conn.execute(select(D).where(D.c.id == draft_id)).first()
    if found is None:
        raise NotFound(f"草稿 {draft_id} 不存在")
    return found


def _summary(row):
    return {"id": row.id, "name": row.name, "base_version": row.base_version,
            "created_by": row.created_by, "created_at": row.created_at,
            "updated_by": row.updated_by, "updated_at": row.updated_at,
            "revision": row.revision, "problems": row.problems or []}
