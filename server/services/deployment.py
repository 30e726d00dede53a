"""Deploying a draft: a change note and regulation reference, a valid bundle, and the scenario
gate (the behaviour scenarios run against exactly the draft's files). A failing gate is passed
only with a process owner's recorded override reason. Running instances keep their version.
"""
from sqlalchemy import delete, select

from ..store import schema
from .access import require_role
from .context import unit_of_work
from .errors import Conflict, InvalidInput, NotFound
from .process_drafts import OWNER, check_revision, draft_files, draft_row
from .versions import deploy_version, validate_files, version_files

FINISHED = ("passed", "failed", "error")


def deploy_draft(uow, actor, draft_id, *, revision, note, regulation_ref, run_id,
                 override_reason=None):
    """Make the draft the active version; returns the version id. The draft is consumed."""
    require_role(actor, OWNER)
    note, regulation_ref = (note or "").strip(), (regulation_ref or "").strip()
    override_reason = (override_reason or "").strip() or None
    _require_fields(note=note, regulation_ref=regulation_ref)
    check_revision(draft_row(uow, draft_id), revision)
    files = draft_files(uow, draft_id)
    validate_files(files)
    gate = gate_summary(_gate_run(uow, draft_id, run_id))
    if gate["state"] != "passed" and not override_reason:
        raise InvalidInput("场景门禁未通过：须填写越过门禁的理由才能部署",
                           {"override_reason": "门禁未通过，须填写理由"})
    version = deploy_version(uow, actor, files, note, regulation_ref=regulation_ref, gate=gate,
                             override_reason=override_reason if gate["state"] != "passed" else None)
    uow.audit(actor, "draft.deployed", draft=draft_id, version=version, gate=gate["state"],
              override_reason=override_reason if gate["state"] != "passed" else None)
    uow.conn.execute(delete(schema.draft_files).where(schema.draft_files.c.draft_id == draft_id))
    uow.conn.execute(delete(schema.process_drafts).where(schema.process_drafts.c.id == draft_id))
    return version


def start_gate(services, actor, draft_id, tags=None):
    """Run the behaviour scenarios against the draft: its files that differ from its base
    version laid over that version. `tags` narrows the run (tests only; the product runs all)."""
    from . import scenario_runs         # imported when used: it starts the runner's machinery
    with unit_of_work(services) as uow:
        require_role(actor, OWNER)
        base, changed = _changes(uow, draft_id)
        uow.audit(actor, "draft.gate_started", draft=draft_id, changed=sorted(changed))
    return scenario_runs.start_run(services, actor, version_id=base, files=changed or None,
                                   draft_id=draft_id, label=f"部署门禁：草稿 {draft_id}", tags=tags)


def gate_status(services, actor, draft_id, run_id):
    """The gate run's progress and, per clause, how its scenarios fared."""
    from . import scenario_runs
    require_role(actor, OWNER)
    run = scenario_runs.get_run(services, run_id)
    if run["draft_id"] != draft_id:
        raise NotFound(f"草稿 {draft_id} 没有编号为 {run_id} 的门禁运行")
    result = run["result"] or {}
    return {"id": run["id"], "state": run["state"], "total": run["total"], "done": run["done"],
            "error": result.get("error"), "tags": result.get("tags"),
            "clauses": [{"id": cid, **entry} for cid, entry in sorted(
                (result.get("clauses") or {}).items())],
            "failed": _failed(result)}


def gate_summary(run):
    """What a version keeps of its gate run: state, counts and the result per clause."""
    result = run.result or {}
    return {"run_id": run.id, "state": run.state, "total": run.total, "tags": result.get("tags"),
            "clauses": {cid: {"passed": c.get("passed", 0), "failed": c.get("failed", 0)}
                        for cid, c in (result.get("clauses") or {}).items()},
            "failed": [s["name"] for s in _failed(result)]}


def _failed(result):
    return [{"name": s.get("name"), "feature": s.get("feature"), "clauses": s.get("clauses"),
             "failing_step": s.get("failing_step"), "message": s.get("message")}
            for s in result.get("scenarios") or [] if s.get("status") == "failed"]


def _changes(uow, draft_id):
    """(base version, {path: bytes} of the draft files that differ from it)."""
    base = draft_row(uow, draft_id).base_version
    before = version_files(uow, base)
    return base, {p: c for p, c in draft_files(uow, draft_id).items() if before.get(p) != c}


def _gate_run(uow, draft_id, run_id):
    if not run_id:
        raise InvalidInput("请先运行场景门禁", {"run_id": "必填"})
    t = schema.scenario_runs
    try:
        run = uow.conn.execute(select(t).where(t.c.id == int(run_id))).first()
    except (TypeError, ValueError):
        run = None
    if run is None or run.draft_id != draft_id:
        raise NotFound(f"草稿 {draft_id} 没有编号为 {run_id} 的门禁运行")
    base, changed = _changes(uow, draft_id)
    if run.version_id != base or (run.files or {}) != files_as_text(changed):
        raise Conflict("门禁运行后草稿已修改，请重新运行场景门禁", {"run_id": "门禁结果已过期"})
    if run.state not in FINISHED:
        raise Conflict("场景门禁尚未运行完毕，请稍候", {"run_id": "运行中"})
    return run


def files_as_text(files):
    return {p: c.decode("utf-8") for p, c in files.items()}


def _require_fields(**values):
    labels = {"note": "变更说明", "regulation_ref": "制度依据"}
    missing = {name: f"请填写{labels[name]}" for name, value in values.items() if not value}
    if missing:
        raise InvalidInput("部署须填写变更说明和制度依据", missing)
