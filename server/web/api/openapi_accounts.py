"""OpenAPI paths of accounts: the password, user management, and the ledger download.
`paths(operation)` takes openapi._operation, so this module needs nothing from openapi.py."""

USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
USER = {"type": "object", "properties": {
    "username": {"type": "string"}, "display_name": {"type": "string"},
    "roles": {"type": "array", "items": {"type": "string"}},
    "organisation": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
    "active": {"type": "boolean"}, "must_change_password": {"type": "boolean"}}}
NEW_USER = {"type": "object", "required": ["username", "roles"], "properties": {
    key: USER["properties"][key] for key in ("username", "display_name", "roles",
                                             "organisation", "email")}}
CHANGES = {"type": "object", "properties": {
    key: USER["properties"][key] for key in ("display_name", "roles", "organisation", "email",
                                             "active")}}
TEMPORARY = {"type": "object", "properties": {"username": {"type": "string"},
                                              "temporary_password": {"type": "string"}}}


def paths(operation):
    return {
        "/api/session/password": {"post": operation(
            "修改本人密码（新密码至少8位；被重置后须先调用此接口）",
            body={"type": "object", "required": ["current", "new"], "properties": {
                "current": {"type": "string"}, "new": {"type": "string", "minLength": 8},
                "repeat": {"type": "string"}}}, errors=("401", "422"))},
        "/api/admin/users": {
            "get": operation("用户列表（系统管理员、市安委会办公室）", errors=("401", "403"),
                             answer={"type": "object", "properties": {
                                 "total": {"type": "integer"},
                                 "users": {"type": "array", "items": USER}}}),
            "post": operation("新建用户（返回一次性临时密码；办公室只能新建巡查对象联络人）",
                              ok=201, body=NEW_USER, errors=("401", "403", "409", "422"))},
        "/api/admin/users/{username}": {"patch": operation(
            "修改用户角色、单位、邮箱、启用状态（停用后不能登录，API 令牌失效）",
            params=[USERNAME], body=CHANGES, errors=("401", "403", "404", "422"))},
        "/api/admin/users/{username}/password-reset": {"post": operation(
            "重置密码：返回一次性临时密码，用户登录后须先修改", params=[USERNAME],
            errors=("401", "403", "404"), answer=TEMPORARY)},
        "/api/ledger.xlsx": {"get": _file(operation(
            "巡查台账（Excel；市安委会办公室、领导、合规审查员、系统管理员）", errors=("401", "403")))},
    }


def _file(described):
    """An operation whose success is an .xlsx file rather than JSON."""
    described["responses"]["200"] = {"description": "Excel 工作簿：巡查台账、两年全覆盖", "content": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}
    return described
