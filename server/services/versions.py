"""Deployed versions: the diagrams and forms of the procedure, immutable once deployed."""
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import func, insert, select, update

from ..engine.bundle import InvalidBundle, content_hash, load_bundle
from ..store import schema
from ..store.fast import Statement
from .errors import InvalidInput, NotFound

SOURCE_DIRS = ("processes", "forms")


def read_source_tree(root: Path) -> dict:
    """The bundle files under `root` (processes/*.bpmn, processes/*.dmn, forms/*.json)."""
    files = {}
    for folder in SOURCE_DIRS:
        for path in sorted((root / folder).glob("*")):
            if path.suffix in (".bpmn", ".dmn", ".json") and path.is_file():
                files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


def problem_fields(problems):
    """Element-level messages for an error body: `file#element` (or `file`) -> message."""
    fields = {}
    for p in problems:
        key = f"{p.file}#{p.element}" if p.element else p.file
        fields[key] = f"{fields[key]}；{p.message}" if key in fields else p.message
    return fields


def validate_files(files):
    """The parsed bundle, or InvalidInput naming each element that is wrong."""
    try:
        return load_bundle(files)
    except InvalidBundle as exc:
        raise InvalidInput("流程版本校验失败", problem_fields(exc.problems)) from exc


def deploy_version(uow, actor, files, note="", *, regulation_ref="", gate=None,
                   override_reason=None):
    """Validate and store a new version and make it the active one. Content identical to a
    deployed version activates that version instead (a rollback when it was not active)."""
    validate_files(files)
    digest = content_hash(files)
    t = schema.process_versions
    existing = uow.conn.execute(select(t.c.id).where(t.c.content_hash == digest)).scalar()
    if existing is not None:
        activate_version(uow, actor, existing, note)
        return existing
    version = uow.conn.execute(insert(t).values(
        content_hash=digest, created_at=uow.now, created_by=actor.username, note=note,
        active=False, regulation_ref=regulation_ref, gate=gate,
        override_reason=override_reason).returning(t.c.id)).scalar_one()
    uow.conn.execute(insert(schema.version_files),
                     [{"version_id": version, "path": p, "content": c} for p, c in files.items()])
    uow.audit(actor, "version.deployed", version=version, content_hash=digest, note=note,
              regulation_ref=regulation_ref, gate=(gate or {}).get("state"),
              override_reason=override_reason)
    _make_active(uow, version)
    return version


def activate_version(uow, actor, version_id, note=""):
    """Roll back (or forward) to a deployed version: new instances start on it; running ones
    keep theirs. Activating the active version changes nothing."""
    t = schema.process_versions
    found = uow.conn.execute(select(t.c.id, t.c.active).where(t.c.id == version_id)).first()
    if found is None:
        raise NotFound(f"流程版本 {version_id} 不存在")
    if found.active:
        return version_id
    previous = uow.conn.execute(select(t.c.id).where(t.c.active == True)).scalar()  # noqa: E712
    _make_active(uow, version_id)
    uow.audit(actor, "version.rolled_back", version=version_id, previous=previous, note=note)
    return version_id


def _make_active(uow, version_id):
    t = schema.process_versions
    uow.conn.execute(update(t).values(active=t.c.id == version_id))


def version_files(uow, version_id):
    """{path: bytes} of a deployed version."""
    rows = uow.conn.execute(select(schema.version_files.c.path, schema.version_files.c.content)
                            .where(schema.version_files.c.version_id == version_id)).all()
    if not rows:
        raise NotFound(f"流程版本 {version_id} 不存在")
    return {r.path: bytes(r.content) for r in rows}


SELECT_ACTIVE = Statement("SELECT id FROM process_versions WHERE active = :yes", ["id"])


def active_version(uow):
    found = SELECT_ACTIVE.first(uow.conn, {"yes": True})
    version = found.id if found else None
    if version is None:
        raise NotFound("尚未部署流程版本，请先运行 flask --app server init")
    return version


def bundle_for(uow, version_id):
    """The parsed bundle of a deployed version (cached: versions never change)."""
    bundles = uow.services.bundles
    bundle = bundles.get(version_id)
    if bundle is None:
        bundle = bundles.setdefault(version_id, load_bundle(version_files(uow, version_id)))
    return bundle


VERSION_COLUMNS = ("id", "content_hash", "created_at", "created_by", "note", "active",
                   "regulation_ref", "gate", "override_reason")


def list_versions(uow):
    t = schema.process_versions
    return [dict(r._mapping) for r in uow.conn.execute(
        select(*(t.c[name] for name in VERSION_COLUMNS)).order_by(t.c.id))]


def get_version(uow, version_id):
    t = schema.process_versions
    found = uow.conn.execute(select(*(t.c[name] for name in VERSION_COLUMNS))
                             .where(t.c.id == version_id)).first()
    if found is None:
        raise NotFound(f"流程版本 {version_id} 不存在")
    return dict(found._mapping)


def version_zip(uow, version_id):
    """A version's files as a zip laid out like the repository (processes/, forms/) plus
    VERSION.json (number, hash, who, when, note, regulation, gate), for review in git."""
    meta = get_version(uow, version_id)
    files = version_files(uow, version_id)
    meta["created_at"] = meta["created_at"].isoformat()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files.items()):
            archive.writestr(path, content)
        archive.writestr("VERSION.json", json.dumps(meta, ensure_ascii=False, indent=2))
    return f"xuncha-v{version_id}.zip", buffer.getvalue()


def count_versions(uow):
    return uow.conn.execute(select(func.count()).select_from(schema.process_versions)).scalar()
