"""Deployed versions: the diagrams and forms of the procedure, immutable once deployed."""
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


def deploy_version(uow, actor, files, note=""):
    """Validate and store a new version and make it the active one; an identical one is reused."""
    try:
        load_bundle(files)
    except InvalidBundle as exc:
        raise InvalidInput("流程版本校验失败", {p.element or p.file: p.message
                                                 for p in exc.problems}) from exc
    digest = content_hash(files)
    conn = uow.conn
    existing = conn.execute(select(schema.process_versions.c.id)
                            .where(schema.process_versions.c.content_hash == digest)).scalar()
    if existing is None:
        existing = conn.execute(insert(schema.process_versions).values(
            content_hash=digest, created_at=uow.now, created_by=actor.username, note=note,
            active=False).returning(schema.process_versions.c.id)).scalar_one()
        conn.execute(insert(schema.version_files),
                     [{"version_id": existing, "path": p, "content": c} for p, c in files.items()])
        uow.audit(actor, "version.deployed", version=existing, content_hash=digest, note=note)
    conn.execute(update(schema.process_versions).values(
        active=schema.process_versions.c.id == existing))
    return existing


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
        rows = uow.conn.execute(select(schema.version_files.c.path, schema.version_files.c.content)
                                .where(schema.version_files.c.version_id == version_id)).all()
        if not rows:
            raise NotFound(f"流程版本 {version_id} 不存在")
        bundle = bundles.setdefault(version_id, load_bundle({r.path: bytes(r.content) for r in rows}))
    return bundle


def list_versions(uow):
    t = schema.process_versions
    return [dict(r._mapping) for r in uow.conn.execute(
        select(t.c.id, t.c.created_at, t.c.created_by, t.c.note, t.c.active).order_by(t.c.id))]


def count_versions(uow):
    return uow.conn.execute(select(func.count()).select_from(schema.process_versions)).scalar()
