"""OpenAPI paths of the process owners' API (api/editor.py), merged into /api/openapi.json."""

PROBLEM = {"type": "object", "required": ["file", "element", "message"], "properties": {
    "file": {"type": "string"}, "element": {"type": ["string", "null"]},
    "message": {"type": "string"}}}
PROBLEMS = {"type": "array", "items": PROBLEM,
            "description": "校验问题，每条指明文件和元素（element 为 BPMN 元素 id）"}
FILES = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "路径（processes/名称.bpmn、processes/名称.dmn、forms/名称.json）→ 文件内容"}
DRAFT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "base_version": {"type": "integer"},
    "revision": {"type": "integer"}, "problems": PROBLEMS, "valid": {"type": "boolean"},
    "files": FILES}}
VERSION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "content_hash": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"},
    "note": {"type": "string"}, "regulation_ref": {"type": "string"}, "active": {"type": "boolean"},
    "gate": {"type": ["object", "null"], "description": "场景门禁结果：state、各条款结果、未通过的场景"},
    "override_reason": {"type": ["string", "null"]}}}
INVALID = "422 时 fields 的键为“文件#元素 id”（或文件），值为该元素的问题说明"


def editor_paths(operation, path_id):
    draft, version = [path_id("draft_id")], [path_id("version_id")]
    owner_errors = ("401", "403", "404")
    return {
        "/api/drafts": {
            "get": operation("流程草稿列表（流程管理员）", errors=("401", "403"), answer={
                "type": "object", "properties": {"drafts": {"type": "array", "items": DRAFT}}}),
            "post": operation("从已部署版本（默认当前版本）新建草稿，复制全部流程图、决策表和表单",
                              ok=201, body={"type": "object", "required": ["name"], "properties": {
                                  "name": {"type": "string"}, "version": {"type": "integer"}}},
                              errors=("401", "403", "404", "422"))},
        "/api/drafts/{draft_id}": {
            "get": operation("草稿（含全部文件）", params=draft, errors=owner_errors, answer=DRAFT),
            "put": operation("保存草稿：给出的文件一并替换，remove 中的删除；每次保存都校验，问题随结果返回。"
                             "revision 须为所编辑的稿次，过期为 409", params=draft, body={
                                 "type": "object", "required": ["revision", "files"], "properties": {
                                     "revision": {"type": "integer"}, "files": FILES,
                                     "remove": {"type": "array", "items": {"type": "string"}}}},
                             errors=("401", "403", "404", "409", "422"), answer=DRAFT),
            "delete": operation("删除草稿", params=draft, errors=owner_errors)},
        "/api/drafts/{draft_id}/validate": {"post": operation(
            "重新校验草稿（不保存）", params=draft, errors=owner_errors, answer={
                "type": "object", "properties": {"problems": PROBLEMS, "valid": {"type": "boolean"}}})},
        "/api/drafts/{draft_id}/gate": {"post": operation(
            "对草稿运行全部行为场景（场景门禁），返回运行编号", ok=202, params=draft,
            errors=owner_errors + ("422",), answer={
                "type": "object", "properties": {"run_id": {"type": "integer"}}})},
        "/api/drafts/{draft_id}/gate/{run_id}": {"get": operation(
            "门禁运行进度与结果（按场景、按条款）", params=draft + [path_id("run_id")],
            errors=owner_errors)},
        "/api/drafts/{draft_id}/deploy": {"post": operation(
            "部署草稿为新版本并设为当前版本（进行中的巡查保持原版本）。须有变更说明、制度依据和"
            "本稿的门禁结果；门禁未通过须填写 override_reason。" + INVALID, ok=201, params=draft,
            body={"type": "object", "required": ["revision", "note", "regulation_ref", "run_id"],
                  "properties": {"revision": {"type": "integer"}, "note": {"type": "string"},
                                 "regulation_ref": {"type": "string"}, "run_id": {"type": "integer"},
                                 "override_reason": {"type": "string"}}},
            errors=("401", "403", "404", "409", "422"),
            answer={"type": "object", "properties": {"version": {"type": "integer"}}})},
        "/api/versions": {"get": operation("已部署的版本", errors=("401", "403"), answer={
            "type": "object", "properties": {"versions": {"type": "array", "items": VERSION}}})},
        "/api/versions/{version_id}": {"get": operation(
            "版本详情与文件列表", params=version, errors=owner_errors, answer=VERSION)},
        "/api/versions/{old_id}/diff/{new_id}": {"get": operation(
            "两个版本的差异：增删改的文件，以及各流程图中增删改的元素",
            params=[path_id("old_id"), path_id("new_id")], errors=owner_errors)},
        "/api/versions/{version_id}/download": {"get": _binary(operation(
            "下载版本的全部文件（zip，含 VERSION.json）", params=version, errors=owner_errors))},
        "/api/versions/{version_id}/activate": {"post": operation(
            "回退：把该版本重新设为当前版本（新发起的巡查使用它）", params=version,
            body={"type": "object", "properties": {"note": {"type": "string"}}},
            errors=owner_errors)},
    }


def _binary(described):
    described["responses"]["200"] = {"description": "zip 文件", "content": {"application/zip": {
        "schema": {"type": "string", "format": "binary"}}}}
    return described
