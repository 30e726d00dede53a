"""Scenario runs over the API: start one against a deployed version or draft files, follow it,
list the runs of a version (reviewers, process owners, the office, admins)."""
from flask import Blueprint, jsonify, request, url_for
from flask_login import login_required

from ...services import access, scenario_runs
from ...services.errors import InvalidInput
from ..auth import actor, services
from . import iso, json_body

bp = Blueprint("api_scenario_runs", __name__, url_prefix="/api/scenario-runs")


def run_json(run):
    return {**run, "created_at": iso(run["created_at"]), "finished_at": iso(run["finished_at"])}


def whole_number(value, field):
    """An optional id from a form field, query or JSON ("" and None: not given)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if scenario_runs.is_id(value):
        return value
    raise InvalidInput(f"{field} 须为正整数", {field: "须为正整数"})


def _start_arguments():
    """version, files, label, tags from JSON or from a multipart form with files (a process
    owner's draft is checked through the editor's deployment gate, which names the draft)."""
    if request.mimetype == "multipart/form-data":
        source = request.form
        uploads = request.files.getlist("files")
        files = {f.filename or "": f.read() for f in uploads} if uploads else None
        if files is None:
            raise InvalidInput("请上传草稿文件", {"files": "请选择至少一个文件"})
    else:
        source = json_body()
        files = source.get("files")
        if files is not None and not isinstance(files, dict):
            raise InvalidInput("files 须为对象（文件名 → 内容）", {"files": "须为 JSON 对象"})
    return {"version_id": whole_number(source.get("version"), "version"), "files": files,
            "label": source.get("label") or "", "tags": source.get("tags") or None}


@bp.post("")
@login_required
def start():
    run_id = scenario_runs.start_run(services(), actor(), **_start_arguments())
    location = url_for(".show", run_id=run_id)
    return jsonify(id=run_id, state="queued", url=location), 202, {"Location": location}


@bp.get("/<int:run_id>")
@login_required
def show(run_id):
    access.require_role(actor(), *scenario_runs.REVIEW_ROLES)
    return jsonify(run_json(scenario_runs.get_run(services(), run_id)))


@bp.get("")
@login_required
def index():
    access.require_role(actor(), *scenario_runs.REVIEW_ROLES)
    runs = scenario_runs.list_runs(
        services(), version_id=whole_number(request.args.get("version"), "version"),
        draft_id=whole_number(request.args.get("draft"), "draft"))
    return jsonify(runs=[run_json(run) for run in runs], total=len(runs))


RUN = {"type": "object", "required": ["id", "state", "total", "done"], "properties": {
    "id": {"type": "integer"},
    "state": {"enum": ["queued", "running", "passed", "failed", "error"]},
    "total": {"type": "integer", "description": "所选场景数（开始运行后）"},
    "done": {"type": "integer", "description": "已运行完的场景数"},
    "version_id": {"type": "integer", "description": "所测版本（草稿运行时为其所依据的版本）"},
    "draft_id": {"type": ["integer", "null"]}, "label": {"type": "string"},
    "kind": {"enum": ["version", "draft"]},
    "files": {"type": "array", "items": {"type": "string"}, "description": "草稿文件"},
    "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"},
    "result": {"type": "object", "description": (
        "scenarios：各场景（feature、name、clauses、status、failing_step 失败步骤、message 原因）；"
        "clauses：条款编号 → {title, passed, failed, skipped}；coverage：各流程已覆盖与未覆盖的"
        "流程节点和顺序流；register：条款登记表（各条款的场景与缺口）；counts、error")}}}
START = {"type": "object", "properties": {
    "version": {"type": "integer", "description": "已部署的流程版本（草稿运行时为底版，默认当前版本）"},
    "files": {"type": "object", "additionalProperties": {"type": "string"},
              "description": ("草稿文件：文件名 → 内容（.bpmn、.dmn、.json 表单）。与底版同路径的文件替换"
                             "该文件；其他流程图替换定义相同流程的流程图")},
    "tags": {"type": "string", "description": "只运行这些条款的场景，如 R3.3.4"},
    "label": {"type": "string"}}}
MULTIPART = {"type": "object", "required": ["files"], "properties": {
    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
    "version": {"type": "integer"}, "tags": {"type": "string"}, "label": {"type": "string"}}}


def openapi_paths(operation, path_id):
    """This module's part of /api/openapi.json."""
    started = operation("运行行为场景（已部署版本或草稿），后台执行；排队过多时为 409", ok=202,
                        errors=("401", "403", "409", "422"), answer={
                            "type": "object", "required": ["id"],
                            "properties": {"id": {"type": "integer"}, "state": {"type": "string"},
                                           "url": {"type": "string"}}})
    started["requestBody"] = {"required": True, "content": {
        "application/json": {"schema": START}, "multipart/form-data": {"schema": MULTIPART}}}
    query = [{"name": name, "in": "query", "required": False, "schema": {"type": "integer"}}
             for name in ("version", "draft")]
    return {
        "/api/scenario-runs": {
            "post": started,
            "get": operation("场景运行记录（最新在前）", params=query, errors=("401", "403", "422"),
                             answer={"type": "object", "properties": {
                                 "total": {"type": "integer"},
                                 "runs": {"type": "array", "items": RUN}}})},
        "/api/scenario-runs/{run_id}": {"get": operation(
            "场景运行的进度与结果", params=[{**path_id("run_id"), "schema": {"type": "integer"}}],
            answer=RUN)}}
