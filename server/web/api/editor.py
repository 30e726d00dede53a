"""Process owners' API: drafts (CRUD, validate, scenario gate, deploy) and deployed versions
(list, diff, download, rollback). Every route answers 403 to other roles."""
from flask import Blueprint, Response, current_app, jsonify
from flask_login import current_user

from ...services import deployment, process_drafts, version_diff, versions
from ...services.access import require_role
from ...services.context import unit_of_work
from ...services.errors import InvalidInput
from ..auth import actor, login_manager, services
from . import iso, json_body

bp = Blueprint("api_editor", __name__, url_prefix="/api")


@bp.before_request
def _owners_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_role(actor(), process_drafts.OWNER)     # before the body is read: 403, never 422
    return None


def draft_json(draft):
    return {**draft, "created_at": iso(draft["created_at"]), "updated_at": iso(draft["updated_at"]),
            "valid": not draft["problems"]}


def version_json(version):
    return {**version, "created_at": iso(version["created_at"])}


@bp.get("/drafts")
def list_drafts():
    with unit_of_work(services()) as uow:
        return jsonify(drafts=[draft_json(d) for d in process_drafts.list_drafts(uow, actor())])


@bp.post("/drafts")
def create_draft():
    body = json_body()
    with unit_of_work(services()) as uow:
        draft_id = process_drafts.create_draft(uow, actor(), body.get("name"),
                                               _int(body.get("version"), "version", True))
    return jsonify(id=draft_id), 201


@bp.get("/drafts/<int:draft_id>")
def show_draft(draft_id):
    with unit_of_work(services()) as uow:
        return jsonify(draft_json(process_drafts.get_draft(uow, actor(), draft_id)))


@bp.put("/drafts/<int:draft_id>")
def save_draft(draft_id):
    body = json_body()
    with unit_of_work(services()) as uow:
        saved = process_drafts.save_draft(uow, actor(), draft_id, _int(body.get("revision"), "revision"),
                                          body.get("files", {}), body.get("remove", []))
    return jsonify(saved | {"valid": not saved["problems"]})


@bp.delete("/drafts/<int:draft_id>")
def delete_draft(draft_id):
    with unit_of_work(services()) as uow:
        process_drafts.delete_draft(uow, actor(), draft_id)
    return jsonify(id=draft_id, deleted=True)


@bp.post("/drafts/<int:draft_id>/validate")
def validate_draft(draft_id):
    """The saved draft's problems, computed again (nothing is stored)."""
    with unit_of_work(services()) as uow:
        process_drafts.draft_row(uow, draft_id)
        problems = process_drafts.problems_of(process_drafts.draft_files(uow, draft_id))
    return jsonify(problems=problems, valid=not problems)


@bp.post("/drafts/<int:draft_id>/gate")
def gate(draft_id):
    run_id = deployment.start_gate(services(), actor(), draft_id, current_app.config.get("GATE_TAGS"))
    return jsonify(run_id=run_id), 202


@bp.get("/drafts/<int:draft_id>/gate/<int:run_id>")
def gate_run(draft_id, run_id):
    return jsonify(deployment.gate_status(services(), actor(), draft_id, run_id))


@bp.post("/drafts/<int:draft_id>/deploy")
def deploy(draft_id):
    body = json_body()
    with unit_of_work(services()) as uow:
        version = deployment.deploy_draft(
            uow, actor(), draft_id, revision=_int(body.get("revision"), "revision"),
            note=_text(body, "note"), regulation_ref=_text(body, "regulation_ref"),
            run_id=body.get("run_id"), override_reason=_text(body, "override_reason"))
    return jsonify(version=version), 201


@bp.get("/versions")
def list_versions():
    with unit_of_work(services()) as uow:
        return jsonify(versions=[version_json(v) for v in versions.list_versions(uow)])


@bp.get("/versions/<int:version_id>")
def show_version(version_id):
    with unit_of_work(services()) as uow:
        found = version_json(versions.get_version(uow, version_id))
        found["files"] = sorted(versions.version_files(uow, version_id))
    return jsonify(found)


@bp.get("/versions/<int:old_id>/diff/<int:new_id>")
def diff(old_id, new_id):
    with unit_of_work(services()) as uow:
        return jsonify(version_diff.diff_versions(uow, actor(), old_id, new_id))


@bp.get("/versions/<int:version_id>/download")
def download(version_id):
    with unit_of_work(services()) as uow:
        name, content = versions.version_zip(uow, version_id)
        uow.audit(actor(), "version.downloaded", version=version_id)
    return Response(content, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/versions/<int:version_id>/activate")
def activate(version_id):
    """Rollback: new inspections start on this version again; running ones keep theirs."""
    body = json_body(required=False)
    with unit_of_work(services()) as uow:
        versions.activate_version(uow, actor(), version_id, _text(body, "note"))
    return jsonify(version=version_id, active=True)


def _int(value, field, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} 须为整数", {field: "须为整数"})
    return value


def _text(body, field):
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field} 须为文本", {field: "须为文本"})
    return value or ""
