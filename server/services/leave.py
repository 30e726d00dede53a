"""Leave of a team member during an inspection (R4.2.3, D6): a `leave_request` instance.

The office registers the request against the inspection; the `leave_approver` decision table
reads the requester's role from the inspection's roster and names the approver: the commission's
main leader (commission_director) for the leader and the deputy, the team leader for the others.
The approval task lies in that role's lane, so nobody else may complete it (a deputy director,
role commission_leader, gets a refusal).
"""
from ..engine.projection import current_data
from . import access, instances
from .errors import Conflict, InvalidInput
from .roster import sync_members
from .state import get_instance_row, keep, load

PROCESS = "leave_request"
ROSTER_FIELDS = ("name", "username", "role")


def request_leave(uow, actor, inspection_id):
    """Open a leave request for a member of the inspection's team; answers its instance id."""
    access.require_role(actor, "office")
    access.require_instance_visible(uow, actor, inspection_id)
    row = get_instance_row(uow, inspection_id)
    if row.process_id != instances.MAIN_PROCESS or row.state != "running":
        raise Conflict("只能为进行中的巡查登记请假")
    loaded = load(uow, row)
    keep(uow, loaded)
    members = [{k: m.get(k) for k in ROSTER_FIELDS}
               for m in current_data(loaded.workflow).get("members") or () if isinstance(m, dict)]
    if not members:
        raise InvalidInput("该巡查尚未确定巡查组名单", {"inspection": "巡查组名单确定后方可登记请假"})
    leave_id = instances.create_instance(uow, actor, PROCESS, {
        "inspection_id": row.id, "inspection_title": row.title, "members": members},
        None, row.title)
    # The team leader approves members' leave, so sees this request; the rest of the team does not.
    sync_members(uow, leave_id, {"members": [m for m in members if m["role"] == "leader"]})
    uow.audit(actor, "leave.requested", leave_id, inspection=row.id)
    return leave_id
