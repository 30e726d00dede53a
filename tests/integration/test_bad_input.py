"""Bad input gets a clear error and changes nothing (issue: engine core, 'Done means')."""
import pytest
from sqlalchemy import func, select

from server.services import instances, tasks
from server.services.context import unit_of_work
from server.services.errors import Forbidden, InvalidInput, NotFound
from server.store import schema


def snapshot(desk):
    """Everything a failed call must leave untouched."""
    with desk.services.engine.connect() as conn:
        return (
            conn.execute(select(schema.instances.c.id, schema.instances.c.revision)
                         .order_by(schema.instances.c.id)).all(),
            conn.execute(select(schema.human_tasks.c.id, schema.human_tasks.c.state,
                                schema.human_tasks.c.claimed_by)
                         .order_by(schema.human_tasks.c.id)).all(),
            conn.execute(select(func.count()).select_from(schema.audit_events)).scalar(),
        )


@pytest.fixture
def started(mini_desk):
    instance_id = mini_desk.start(process="mini")
    return mini_desk, instance_id, mini_desk.task("office", "确认巡查结束")


def complete_as(desk, username, task_id, data):
    actor = desk.actor(username)
    with unit_of_work(desk.services) as uow:
        tasks.complete_task(uow, actor, task_id, data)


@pytest.mark.parametrize("data, field, message", [
    ({}, "fieldwork_end", "此项为必填项"),
    ({"fieldwork_end": "2025-13-40"}, "fieldwork_end", "格式不正确"),
    ({"fieldwork_end": 20250926}, "fieldwork_end", "类型不正确"),
    ({"fieldwork_end": "2025-09-26", "members": [{"username": 7}]}, "members/0/username",
     "类型不正确"),
])
def test_form_data_violating_the_schema_is_refused_with_field_errors(started, data, field, message):
    desk, _instance, task = started
    before = snapshot(desk)
    with pytest.raises(InvalidInput) as error:
        complete_as(desk, "office", task["id"], data)
    assert error.value.fields[field] == message
    assert snapshot(desk) == before


def test_a_broken_rule_is_refused_with_its_message(started):
    desk, _instance, task = started
    complete_as(desk, "office", task["id"], {"fieldwork_end": "2025-09-26", "members": [
        {"username": "leader", "role": "leader"}]})
    report = desk.task("leader", "提交巡查工作报告")
    before = snapshot(desk)
    with pytest.raises(InvalidInput) as error:
        complete_as(desk, "leader", report["id"], {"summary": "两名组长", "members": [
            {"username": "a", "role": "leader"}, {"username": "b", "role": "leader"}]})
    assert error.value.fields == {"members": "须有且仅有1名组长"}
    assert snapshot(desk) == before


@pytest.mark.parametrize("task_id", ["no-such-task", "00000000-0000-0000-0000-000000000000"])
def test_unknown_task_is_not_found(started, task_id):
    desk, _instance, _task = started
    before = snapshot(desk)
    with pytest.raises(NotFound):
        complete_as(desk, "office", task_id, {"fieldwork_end": "2025-09-26"})
    assert snapshot(desk) == before


def test_unknown_instance_is_not_found(mini_desk):
    office = mini_desk.actor("office")
    with pytest.raises(NotFound), unit_of_work(mini_desk.services) as uow:
        instances.get_instance(uow, office, "00000000-0000-0000-0000-000000000000")


def test_a_user_of_the_wrong_role_is_forbidden(started):
    desk, _instance, task = started
    desk.add_user("leader2", "commission_leader")
    before = snapshot(desk)
    with pytest.raises(Forbidden):
        complete_as(desk, "leader2", task["id"], {"fieldwork_end": "2025-09-26"})
    assert snapshot(desk) == before


def test_a_liaison_of_another_county_sees_nothing_of_it(started):
    desk, instance_id, task = started
    complete_as(desk, "office", task["id"], {"fieldwork_end": "2025-09-26", "members": [
        {"username": "leader", "role": "leader"}]})
    complete_as(desk, "leader", desk.task("leader", "提交巡查工作报告")["id"], {"summary": "好"})
    sign = desk.task("shanxian", "签收反馈意见书")
    assert desk.inbox("caoxian") == []
    before = snapshot(desk)
    with pytest.raises(NotFound):
        complete_as(desk, "caoxian", sign["id"], {})
    with pytest.raises(NotFound):
        desk.instance(instance_id, "caoxian")
    assert snapshot(desk) == before


def test_team_member_not_on_the_roster_sees_nothing(started):
    desk, instance_id, task = started
    complete_as(desk, "office", task["id"], {"fieldwork_end": "2025-09-26", "members": [
        {"username": "leader", "role": "leader"}]})
    desk.add_user("outsider", "team_leader")
    assert desk.inbox("outsider") == []
    assert len(desk.inbox("leader")) == 1
    with pytest.raises(NotFound):
        desk.instance(instance_id, "outsider")


def test_starting_needs_a_known_target(mini_desk):
    office = mini_desk.actor("office")
    with pytest.raises(InvalidInput) as error, unit_of_work(mini_desk.services) as uow:
        instances.start_instance(uow, office, "mini", {"target": "火星县"})
    assert "target" in error.value.fields
    liaison = mini_desk.actor("shanxian")
    with pytest.raises(Forbidden), unit_of_work(mini_desk.services) as uow:
        instances.start_instance(uow, liaison, "mini", {"target": "单县"})
