"""Role codes and the Chinese lane names that stand for them in diagrams (design §9)."""

ROLES = {
    "office": "市安委会办公室",
    "commission_leader": "市安委会领导同志",
    "commission_director": "市安委会主要领导同志",
    "team_leader": "巡查组组长",
    "team_deputy": "巡查组副组长",
    "team_member": "巡查组组员",
    "expert": "专家",
    "target": "巡查对象",
    "discipline": "市纪委监委",
    "org_dept": "市委组织部",
    "process_owner": "流程管理员",
    "reviewer": "合规审查员",
    "admin": "系统管理员",
}

# Roles a lane may stand for; the last three never own workflow tasks.
LANE_ROLES = {name: code for code, name in ROLES.items()
              if code not in ("process_owner", "reviewer", "admin")}

# A role whose work a holder of the key role may also do (the director is a commission leader).
ALSO_ACTS_AS = {"commission_director": ("commission_leader",)}


def role_for_lane(lane_name):
    """The role code behind a lane name, or None when the lane names no known role."""
    if lane_name is None:
        return None
    return LANE_ROLES.get(lane_name.strip())


def effective_roles(roles):
    """The roles whose tasks a user holding `roles` may work on."""
    result = set(roles)
    for role in roles:
        result.update(ALSO_ACTS_AS.get(role, ()))
    return result
