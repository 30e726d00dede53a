"""Moving running instances to another deployed version (process owners)."""
from flask import Blueprint, jsonify
from flask_login import login_required

from ...services import access, migration
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import json_body

bp = Blueprint("api_migration", __name__, url_prefix="/api")


@bp.get("/versions/<int:version>/migration")
@login_required
def preview(version):
    return jsonify(instances=migration.preview(services(), actor(), version))


@bp.post("/versions/<int:version>/migration")
@login_required
def migrate(version):
    access.require_role(actor(), "process_owner", "admin")     # 403 before any 422
    chosen = json_body().get("instances")
    if not isinstance(chosen, list) or not all(isinstance(i, str) for i in chosen):
        raise InvalidInput("请选择要迁移的巡查", {"instances": "须为巡查编号的列表"})
    return jsonify(results=migration.migrate(services(), actor(), version, chosen))
