"""The OpenAPI 3.1 description of the API, served at /api/openapi.json."""
from flask import Blueprint, jsonify

from ..documents import OPENAPI_PATHS as document_paths
from . import openapi_accounts
from .editor_forms import openapi_paths as editor_form_paths
from .editor_openapi import editor_paths
from .scenario_runs import openapi_paths as scenario_run_paths

bp = Blueprint("api_openapi", __name__, url_prefix="/api")

ERROR = {"$ref": "#/components/schemas/Error"}
TASK = {"$ref": "#/components/schemas/Task"}
ANSWERS = {"401": "未登录", "403": "无权操作", "404": "不存在", "409": "冲突（已被他人更新或已办结）",
           "413": "请求体过大（超过 REQUEST_MAX_BYTES）", "429": "尝试过多，请稍后再试",
           "422": "输入有误（fields 按字段给出说明）"}


def _operation(summary, ok=200, body=None, errors=("401", "403", "404"), params=(), answer=None):
    operation = {"summary": summary, "parameters": list(params), "responses": {
        str(ok): {"description": "成功",
                  "content": {"application/json": {"schema": answer or {"type": "object"}}}},
        **{code: {"description": ANSWERS[code],
                  "content": {"application/json": {"schema": ERROR}}} for code in errors}}}
    if body is not None:
        operation["responses"]["413"] = {"description": ANSWERS["413"],
                                         "content": {"application/json": {"schema": ERROR}}}
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    return operation


def _path_id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name, schema, description=""):
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PAGING = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
          _query("offset", {"type": "integer", "minimum": 0})]
OBJECT = {"type": "object"}
TASK_ID, INSTANCE_ID = _path_id("task_id"), _path_id("instance_id")
ATTACHMENT = {"type": "object", "required": ["id", "filename", "size", "sha256"], "properties": {
    "id": {"type": "string"}, "filename": {"type": "string"}, "size": {"type": "integer"},
    "sha256": {"type": "string"}, "content_type": {"type": "string"}}}

PATHS = {
    "/api/session": {
        "post": _operation("登录", body={"type": "object", "required": ["username", "password"],
                                         "properties": {"username": {"type": "string"},
                                                        "password": {"type": "string"}}},
                           errors=("401", "422", "429")),
        "delete": _operation("退出登录", errors=("401",))},
    "/api/me": {"get": _operation("当前用户", errors=("401",))},
    "/api/me/token": {"post": _operation("签发 API 令牌", ok=201, errors=("401",))},
    "/api/processes": {"get": _operation("已部署的流程", errors=("401",), answer={
        "type": "object", "properties": {"processes": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", "version"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "version": {"description": "版本"},
                "regulation": {"type": "object", "description": "所依据的制度（R0.1 R5）", "properties": {
                    "name": {"type": "string"}, "adopted": {"type": "string", "format": "date"},
                    "adopted_by": {"type": "string"}, "version": {"type": "string"}}}}}}}})},
    "/api/instances": {
        "get": _operation("巡查列表", params=PAGING, errors=("401", "422")),
        "post": _operation("发起巡查", ok=201, body={
            "type": "object", "properties": {"process": {"type": "string"},
                                             "data": {"type": "object"}}},
            errors=("401", "403", "422"))},
    "/api/instances/{instance_id}": {"get": _operation("巡查详情", params=[INSTANCE_ID])},
    **{f"/api/instances/{{instance_id}}/{action}": {"post": _operation(
        label, params=[INSTANCE_ID], errors=("401", "403", "404", "409"))}
       for action, label in (("suspend", "暂停巡查"), ("resume", "恢复巡查"), ("cancel", "撤销巡查"))},
    "/api/instances/{instance_id}/reports": {"post": _operation(
        "登记群众举报", ok=201, params=[INSTANCE_ID], body=OBJECT,
        errors=("401", "403", "404", "409", "422"))},
    "/api/tasks": {"get": _operation("我的待办", errors=("401", "422"), params=[
        _query("state", {"enum": ["open", "completed", "cancelled"]}),
        _query("process", {"type": "string"}), _query("stage", {"type": "string"}),
        _query("overdue", {"enum": ["true", "false"]}), *PAGING],
        answer={"type": "object", "properties": {"total": {"type": "integer"},
                                                 "tasks": {"type": "array", "items": TASK}}})},
    "/api/tasks/{task_id}": {"get": _operation("任务详情（含表单）", params=[TASK_ID])},
    "/api/tasks/{task_id}/claim": {"post": _operation(
        "认领任务", params=[TASK_ID], errors=("401", "403", "404", "409"))},
    "/api/tasks/{task_id}/unclaim": {"post": _operation(
        "退回认领", params=[TASK_ID], errors=("401", "403", "404", "409"))},
    "/api/tasks/{task_id}/reassign": {"post": _operation(
        "转派任务", params=[TASK_ID], body={"type": "object", "required": ["user"],
                                           "properties": {"user": {"type": "string"}}},
        errors=("401", "403", "404", "409", "422"))},
    "/api/tasks/{task_id}/complete": {"post": _operation(
        "办结任务", params=[TASK_ID], body={"type": "object", "properties": {"data": OBJECT}},
        errors=("401", "403", "404", "409", "422"))},
    "/api/tasks/{task_id}/draft": {
        "get": _operation("读取任务草稿", params=[TASK_ID], errors=("401", "403", "404")),
        "put": _operation("保存任务草稿（不校验）", params=[TASK_ID], body={
            "type": "object", "required": ["data"], "properties": {"data": OBJECT}},
            errors=("401", "403", "404", "409", "422"))},
    "/api/tasks/{task_id}/attachments": {"post": {
        **_operation("上传附件（pdf、doc、docx、xls、xlsx、jpg、png、txt、zip；默认不超过 20 MB）",
                     ok=201, params=[TASK_ID], errors=("401", "403", "404", "409", "422"),
                     answer=ATTACHMENT),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}}}},
    "/api/instances/{instance_id}/attachments": {"get": _operation(
        "巡查的附件列表", params=[INSTANCE_ID], answer={
            "type": "object", "properties": {"attachments": {"type": "array",
                                                             "items": ATTACHMENT}}})},
    "/api/attachments/{attachment_id}": {"get": {
        **_operation("下载附件（无权查看时为 404）", params=[_path_id("attachment_id")],
                     errors=("401", "404")),
        "responses": {"200": {"description": "文件内容，Content-Type 为上传时确定的类型",
                              "content": {"*/*": {
                                  "schema": {"type": "string", "format": "binary"}}}},
                      **{code: {"description": ANSWERS[code], "content": {
                          "application/json": {"schema": ERROR}}} for code in ("401", "404")}}}},
    "/api/calendar/deadline": {"get": _operation("计算期限", errors=("401", "422"), params=[
        _query("start", {"type": "string", "format": "date"}),
        _query("working_days", {"type": "integer"}), _query("months", {"type": "integer"})])},
    "/api/admin/calendar/{year}": {"put": _operation(
        "载入年度节假日安排", params=[{"name": "year", "in": "path", "required": True,
                                     "schema": {"type": "integer"}}],
        body=OBJECT, errors=("401", "403", "404", "422"))},
    "/api/notifications": {"get": _operation("我的提醒与逾期通知", errors=("401",))},
    "/api/instances/{instance_id}/corrections": {"post": _operation(
        "更正期限起算日期", params=[INSTANCE_ID],
        body={"type": "object", "required": ["changes"], "properties": {"changes": OBJECT}},
        errors=("401", "403", "404", "409", "422"))},
    "/api/versions/{version}/migration": {
        "get": _operation("预览迁移到该版本：哪些进行中的巡查可以迁移，哪些不能及原因",
                          params=[_path_id("version")], errors=("401", "403", "404")),
        "post": _operation("把选定的巡查迁移到该版本（不能迁移的保持原版本并说明原因）",
                           params=[_path_id("version")], body={
                               "type": "object", "required": ["instances"], "properties": {
                                   "instances": {"type": "array", "items": {"type": "string"}}}},
                           errors=("401", "403", "404", "422"))},
    "/api/admin/clock": {"get": _operation("当前时间（模拟时钟）", errors=("401",)), "post": _operation(
        "设置模拟时钟", body={"type": "object", "required": ["now"],
                            "properties": {"now": {"type": "string", "format": "date-time"}}},
        errors=("401", "403", "409", "422"))},
}
# The paths of other modules, described beside their routes.
PATHS.update(openapi_accounts.paths(_operation))            # accounts and user administration
PATHS.update(document_paths)                                # official documents
PATHS.update(scenario_run_paths(_operation, _path_id))      # reviewers: scenario runs
PATHS.update(editor_paths(_operation, _path_id))            # process owners: drafts and versions
PATHS.update(editor_form_paths(_operation, _path_id))       # the form editor's preview

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "巡查 Xuncha API", "version": "1.0.0",
             "description": "菏泽市安全生产巡查工作系统。时间均为带时区的 ISO 8601（北京时间）。"},
    "paths": PATHS,
    "components": {
        "securitySchemes": {"cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                            "bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message", "fields"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "Task": {"type": "object", "required": ["id", "instance_id", "name", "role"],
                     "properties": {key: {"type": ["string", "null"]} for key in (
                         "id", "instance_id", "name", "stage", "role", "organisation",
                         "due_at", "claimed_by")} | {
                         "provisional": {"type": "boolean"}, "overdue": {"type": "boolean"},
                         "clauses": {"type": "array", "items": {"type": "string"}}}}}},
    "security": [{"cookie": []}, {"bearer": []}],
}


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)
