"""Attachments: evidence and reports uploaded on a task, linked from its form's file fields.

Files are checked (type by extension *and* content, size limit, sha256) and kept in the database
with their row, so an upload is one transaction and every web process and backup has the bytes.
Whoever may work on the task or see the inspection may list and download them; anyone else gets
NotFound, as for every out-of-scope read.
"""
import hashlib
import re
import uuid
from pathlib import PurePosixPath

from sqlalchemy import and_, insert, select

from ..store import schema
from . import access
from .errors import Conflict, InvalidInput, NotFound

A, T, I = schema.attachments, schema.human_tasks, schema.instances
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
METADATA = (A.c.id, A.c.task_id, A.c.instance_id, A.c.filename, A.c.content_type,
            A.c.size_bytes, A.c.sha256, A.c.uploaded_by, A.c.uploaded_at)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"      # legacy Office (doc, xls)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")           # zip, and the Office Open XML formats in it
# extension -> (content type served, how the content must begin)
TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", (_OLE,)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".txt": ("text/plain; charset=utf-8", None),
    ".zip": ("application/zip", _ZIP),
}
ALLOWED_LABEL = "pdf、doc、docx、xls、xlsx、jpg、png、txt、zip"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def workable_task(uow, actor, task_id, change=True):
    """A task the actor may work on; to `change` it, open and not claimed by someone else."""
    row = uow.conn.execute(select(T.c.id, T.c.instance_id, T.c.role, T.c.organisation, T.c.state,
                                  T.c.claimed_by, T.c.form, I.c.version_id)
                           .join_from(T, I).where(T.c.id == str(task_id))).first()
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在")
    access.require_task_workable(uow, actor, row)
    if not change:
        return row
    if row.state != "open":
        raise Conflict("任务已办结")
    if row.claimed_by and row.claimed_by != actor.username:
        raise Conflict(f"任务已由 {row.claimed_by} 认领")
    return row


def check_file(filename, content, max_bytes=DEFAULT_MAX_BYTES):
    """The content type to serve a file with, or InvalidInput naming what is wrong."""
    # A label, never a path; control characters (NUL, which PostgreSQL refuses) are dropped.
    printable = "".join(ch for ch in str(filename or "") if ch.isprintable())
    name = PurePosixPath(printable.replace("\\", "/")).name
    suffix = PurePosixPath(name.lower()).suffix
    if not name or suffix not in TYPES:
        raise InvalidInput("不支持的文件类型", {"file": f"仅允许上传 {ALLOWED_LABEL} 文件"})
    if len(content) > max_bytes:
        raise InvalidInput("文件过大", {"file": f"文件不能超过 {size_label(max_bytes)}"})
    if not content:
        raise InvalidInput("文件为空", {"file": "文件内容为空"})
    content_type, magic = TYPES[suffix]
    if magic is not None and not content.startswith(magic):
        raise InvalidInput("文件内容与类型不符", {"file": f"文件内容不是有效的 {suffix[1:]} 文件"})
    if magic is None and not _is_text(content):
        raise InvalidInput("文件内容与类型不符", {"file": "txt 文件须为 UTF-8 文本"})
    return name, content_type


def store(uow, actor, task_id, filename, content, max_bytes=DEFAULT_MAX_BYTES):
    """Keep an uploaded file for a task the actor works on; its metadata (without content)."""
    task = workable_task(uow, actor, task_id)
    name, content_type = check_file(filename, content, max_bytes)
    row = {"id": str(uuid.uuid4()), "task_id": task.id, "instance_id": task.instance_id,
           "filename": name[-255:], "content_type": content_type, "size_bytes": len(content),
           "sha256": hashlib.sha256(content).hexdigest(), "content": content,
           "uploaded_by": actor.username, "uploaded_at": uow.now}
    uow.conn.execute(insert(A).values(row))
    uow.audit(actor, "attachment.uploaded", task.instance_id, task.id, attachment=row["id"],
              filename=row["filename"], size=row["size_bytes"], sha256=row["sha256"])
    return {k: v for k, v in row.items() if k != "content"}


def get(uow, actor, attachment_id, with_content=True):
    """One attachment (metadata, and content), if the actor may see its task or inspection."""
    columns = METADATA + ((A.c.content,) if with_content else ())
    row = uow.conn.execute(select(*columns, T.c.role, T.c.organisation)
                           .join(T, T.c.id == A.c.task_id)
                           .where(A.c.id == str(attachment_id))).first()
    if row is None or not _may_see(uow, actor, row):
        raise NotFound(f"附件 {attachment_id} 不存在")
    found = dict(row._mapping)
    if with_content:
        found["content"] = bytes(found["content"])
    return found


def describe(uow, instance_id, ids):
    """Metadata of those of `ids` that are attachments of this instance, in the order given.

    For pages that have already checked the actor may see the instance or work on its task.
    """
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
    if not wanted:
        return []
    rows = {r.id: dict(r._mapping) for r in uow.conn.execute(select(*METADATA).where(and_(
        A.c.instance_id == str(instance_id), A.c.id.in_(wanted))))}
    return [rows[i] for i in wanted if i in rows]


def list_for_instance(uow, actor, instance_id):
    """Every attachment of an inspection the actor may see, oldest first (metadata only)."""
    access.require_instance_visible(uow, actor, instance_id)
    return [dict(r._mapping) for r in uow.conn.execute(
        select(*METADATA).where(A.c.instance_id == str(instance_id))
        .order_by(A.c.uploaded_at, A.c.id))]


def file_fields(form):
    """Names of the form's file fields (`ui.fields.<name>.widget == "file"`)."""
    return [name for name, hints in (form.ui.get("fields") or {}).items()
            if hints.get("widget") == "file" and name in form.schema.get("properties", {})]


def check_links(uow, instance_id, form, data):
    """Ids in file fields must be this instance's attachments (InvalidInput per field).

    Ids shaped like ours (UUIDs) must exist here; other strings are references to documents
    kept elsewhere (e.g. a file number) and are left to the form's schema.
    """
    linked = {}
    for name in file_fields(form):
        value = data.get(name)
        if isinstance(value, list):
            linked[name] = [v for v in value if isinstance(v, str) and UUID_RE.match(v)]
    ids = {i for values in linked.values() for i in values}
    if not ids:
        return
    own = set(uow.conn.execute(select(A.c.id).where(and_(
        A.c.instance_id == str(instance_id), A.c.id.in_(ids)))).scalars())
    errors = {name: "附件不存在或不属于本次巡查" for name, values in linked.items()
              if any(v not in own for v in values)}
    if errors:
        raise InvalidInput("附件有误", errors)


def _may_see(uow, actor, row):
    if access.may_work_on(uow, actor, row.role, row.organisation, row.instance_id):
        return True
    try:
        access.require_instance_visible(uow, actor, row.instance_id)
    except NotFound:
        return False
    return True


def _is_text(content):
    if b"\0" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def size_label(size):
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"
