"""Moving running instances to a new version (issue #6 item 5), through the services."""
from datetime import datetime

import pytest
from sqlalchemy import select

from server.services import migration
from server.services.context import unit_of_work
from server.services.errors import Forbidden, InvalidInput
from server.services.versions import deploy_version, read_source_tree
from server.store import schema
from tests.conftest import MINI, ROOT
from tests.integration.web_client import Api, Web, text
from tests.integration.test_deadlines import finish_fieldwork

MINI_BPMN = "processes/mini.bpmn"
FIFTEEN = "end_of_day(add_working_days(fieldwork_end, 15))"
TEN = "end_of_day(add_working_days(fieldwork_end, 10))"


def deploy(desk, root, change):
    files = read_source_tree(root)
    path = next(p for p in files if p.endswith(".bpmn") and change[0] in files[p].decode())
    text = files[path].decode()
    assert change[0] in text
    files[path] = text.replace(*change).encode()
    owner = desk.actor("owner")
    with unit_of_work(desk.services) as uow:
        return deploy_version(uow, owner, files, note="test change")


def without_report_task(text):
    """The mini procedure with 提交巡查工作报告 (and its timers) removed: plan goes to sign."""
    start, end = text.index('<bpmn:userTask id="write"'), text.index('<bpmn:userTask id="sign"')
    text = text[:start] + text[end:]
    return text.replace('<bpmn:sequenceFlow id="f6" sourceRef="write" targetRef="sign"/>', "") \
        .replace('sourceRef="plan" targetRef="write"', 'sourceRef="plan" targetRef="sign"') \
        .replace("<bpmn:flowNodeRef>write</bpmn:flowNodeRef>", "")


@pytest.fixture
def owner_desk(mini_desk):
    mini_desk.add_user("owner", "process_owner")
    return mini_desk


def version_of(desk, instance_id):
    with desk.services.engine.connect() as conn:
        return conn.execute(select(schema.instances.c.version_id)
                            .where(schema.instances.c.id == instance_id)).scalar_one()


def test_a_waiting_instance_moves_and_takes_the_new_deadline(owner_desk):
    desk = owner_desk
    waiting = finish_fieldwork(desk)                       # at 提交巡查工作报告, due 2025-10-23
    task_before = desk.task("leader", "提交巡查工作报告")
    v2 = deploy(desk, MINI, (FIFTEEN, TEN))

    checks = migration.preview(desk.services, desk.actor("owner"), v2)
    assert [(c["instance_id"], c["can_move"]) for c in checks] == [(waiting, True)]
    assert version_of(desk, waiting) == 1                  # a preview changes nothing

    [result] = migration.migrate(desk.services, desk.actor("owner"), v2, [waiting])
    assert result["can_move"] is True
    assert version_of(desk, waiting) == v2
    task = desk.task("leader", "提交巡查工作报告")
    assert task["id"] == task_before["id"]                 # the same task, still open
    assert task["due_at"] == datetime.fromisoformat("2025-10-17T00:00:00+08:00")   # 10th: 10-16
    desk.complete("leader", "提交巡查工作报告", {"summary": "迁移后提交"})
    assert [t["name"] for t in desk.inbox("shanxian")] == ["签收反馈意见书"]


def test_an_instance_at_a_removed_task_stays_and_says_why(owner_desk):
    desk = owner_desk
    at_report = finish_fieldwork(desk)
    at_start = desk.start(process="mini")                  # still at 确认巡查结束
    files = read_source_tree(MINI)
    files[MINI_BPMN] = without_report_task(files[MINI_BPMN].decode()).encode()
    owner = desk.actor("owner")
    with unit_of_work(desk.services) as uow:
        v2 = deploy_version(uow, owner, files, note="删去报告")

    checks = {c["instance_id"]: c for c in
              migration.preview(desk.services, desk.actor("owner"), v2)}
    assert checks[at_start]["can_move"] is True
    assert checks[at_report]["can_move"] is False
    assert checks[at_report]["reasons"] == ["正在办理的「提交巡查工作报告」在新版本中已删除",
                                            "等待中的「报告提醒」在新版本中已删除",
                                            "等待中的「报告期限」在新版本中已删除"]

    results = {r["instance_id"]: r for r in migration.migrate(
        desk.services, desk.actor("owner"), v2, [at_report, at_start])}
    assert results[at_report]["can_move"] is False and version_of(desk, at_report) == 1
    assert results[at_start]["can_move"] is True and version_of(desk, at_start) == v2
    # The one left behind still works on its own version; the moved one follows the new path.
    desk.complete("leader", "提交巡查工作报告", {"summary": "按旧版本提交"}, instance_id=at_report)
    desk.complete("office", "确认巡查结束", {
        "fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]},
        instance_id=at_start)
    assert sorted(t["instance_id"] for t in desk.inbox("shanxian")) == sorted([at_report, at_start])
    with desk.services.engine.connect() as conn:
        audited = conn.execute(select(schema.audit_events.c.instance_id).where(
            schema.audit_events.c.action == "instance.migrated")).scalars().all()
    assert audited == [at_start]


def test_only_process_owners_migrate_and_a_choice_is_needed(owner_desk):
    desk = owner_desk
    v2 = deploy(desk, MINI, (FIFTEEN, TEN))
    with pytest.raises(Forbidden):
        migration.preview(desk.services, desk.actor("office"), v2)
    with pytest.raises(Forbidden):
        migration.migrate(desk.services, desk.actor("office"), v2, ["x"])
    with pytest.raises(InvalidInput):
        migration.migrate(desk.services, desk.actor("owner"), v2, [])


def test_a_whole_inspection_moves_into_its_running_stage(desk):
    """The real procedure: the instance and its running stage (a call activity) move together."""
    desk.add_user("owner", "process_owner")
    instance_id = desk.start()
    open_before = {t["id"] for t in desk.inbox("office") if t["instance_id"] == instance_id}
    assert open_before
    v2 = deploy(desk, ROOT, ("add_working_days(fieldwork_end, 15)", "add_working_days(fieldwork_end, 10)"))
    [result] = migration.migrate(desk.services, desk.actor("owner"), v2, [instance_id])
    assert result["can_move"] is True, result["reasons"]
    assert version_of(desk, instance_id) == v2
    open_after = {t["id"] for t in desk.inbox("office") if t["instance_id"] == instance_id}
    assert open_after == open_before
    assert desk.instance(instance_id)["version"] == v2


def test_the_api_previews_and_migrates(owner_desk, mini_app):
    desk = owner_desk
    waiting = finish_fieldwork(desk)
    v2 = deploy(desk, MINI, (FIFTEEN, TEN))
    api = Api(mini_app)
    owner = api.as_("owner")
    preview = owner.get(f"/api/versions/{v2}/migration")
    assert preview.status_code == 200
    assert [c["instance_id"] for c in preview.get_json()["instances"]] == [waiting]
    assert owner.post(f"/api/versions/{v2}/migration", json={"instances": "all"}).status_code == 422
    assert owner.get("/api/versions/99/migration").status_code == 404
    assert api.as_("office").post(f"/api/versions/{v2}/migration",
                                  json={"instances": [waiting]}).status_code == 403
    assert api.anonymous().get(f"/api/versions/{v2}/migration").status_code == 401
    moved = owner.post(f"/api/versions/{v2}/migration", json={"instances": [waiting]})
    assert moved.status_code == 200 and moved.get_json()["results"][0]["can_move"] is True
    assert version_of(desk, waiting) == v2


def test_the_page_shows_what_can_move_and_moves_the_chosen(owner_desk, mini_app):
    desk = owner_desk
    waiting = finish_fieldwork(desk)
    v2 = deploy(desk, MINI, (FIFTEEN, TEN))
    web = Web(mini_app, "owner")
    page = web.get(f"/versions/{v2}/migration")
    assert 'value="%s"' % waiting in page and "将按新版本办理" in text(page)
    done = web.post(f"/versions/{v2}/migration", {"instance": waiting}, status=200)
    assert "已迁移（原版本 1）" in text(done.get_data(as_text=True))
    assert version_of(desk, waiting) == v2
    Web(mini_app, "office").get(f"/versions/{v2}/migration", status=403)


def test_the_cli_says_what_can_move_then_moves(owner_desk, mini_app):
    desk = owner_desk
    waiting = finish_fieldwork(desk)
    v2 = deploy(desk, MINI, (FIFTEEN, TEN))
    cli = mini_app.test_cli_runner()
    dry = cli.invoke(args=["instances", "migrate", "--user", "owner", "--to", str(v2), "--dry-run"])
    assert dry.exit_code == 0 and f"{waiting}" in dry.output and "可迁移" in dry.output
    assert version_of(desk, waiting) == 1
    done = cli.invoke(args=["instances", "migrate", "--user", "owner", "--to", str(v2)])
    assert done.exit_code == 0 and "已迁移" in done.output
    assert version_of(desk, waiting) == v2
    refused = cli.invoke(args=["instances", "migrate", "--user", "office", "--to", str(v2)])
    assert refused.exit_code == 1 and "错误" in refused.output


def test_an_instance_past_a_removed_task_stays_because_its_history_would_not_fit(owner_desk):
    desk = owner_desk
    past_report = finish_fieldwork(desk)
    desk.complete("leader", "提交巡查工作报告", {"summary": "已提交"})
    files = read_source_tree(MINI)
    files[MINI_BPMN] = without_report_task(files[MINI_BPMN].decode()).encode()
    owner = desk.actor("owner")
    with unit_of_work(desk.services) as uow:
        v2 = deploy_version(uow, owner, files, note="删去报告")
    [result] = migration.migrate(desk.services, owner, v2, [past_report])
    assert result["can_move"] is False
    assert "已办理的「提交巡查工作报告」在新版本中已删除，历史无法对应" in result["reasons"]
    assert version_of(desk, past_report) == 1
    desk.complete("shanxian", "签收反馈意见书", {})
