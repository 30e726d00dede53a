"""`demo`: the demo users can carry inspections; it can run twice without duplicating."""
from server.services.demo import load_demo
from tests.conftest import Desk


def test_demo_builds_inspections_in_several_stages_and_is_idempotent(app):
    services = app.extensions["xuncha"]
    assert load_demo(services) == {"users": 27, "instances": 3}
    desk = Desk(app)
    assert [t["name"] for t in desk.inbox("commission_leader")] == ["审批巡查组名单"]
    assert sorted(t["name"] for t in desk.inbox("team_leader")) == ["审核巡查记录", "提交巡查工作报告"]
    report = desk.task("team_leader", "提交巡查工作报告")
    assert report["overdue"] is False and report["due_at"] is not None
    assert load_demo(services) == {"users": 0, "instances": 0}
