"""Two processes completing the same task: exactly one succeeds, the other gets a conflict."""
import multiprocessing

import pytest
from sqlalchemy import func, select

from server import create_app
from server.services import tasks
from server.services.context import unit_of_work
from server.services.errors import Conflict
from server.services.state import get_instance_row, load, save
from server.services.users import actor_for
from server.store import schema


def complete_in_child(database_url, source_root, task_id, barrier, results):
    """Runs in its own process, with its own app, connections and workflow cache."""
    app = create_app({"DATABASE_URL": database_url, "CLOCK": "fake", "SECRET_KEY": "t",
                      "SOURCE_ROOT": source_root})
    services = app.extensions["xuncha"]
    with unit_of_work(services) as uow:
        actor = actor_for(uow, "office")
    barrier.wait(timeout=30)
    try:
        with unit_of_work(services) as uow:
            tasks.complete_task(uow, actor, task_id, {"fieldwork_end": "2025-09-26", "members": [
                {"username": "leader", "role": "leader"}]})
        results.put("ok")
    except Conflict as exc:
        results.put(f"conflict: {exc.message}")


def test_two_processes_complete_the_same_task(mini_app, mini_desk):
    instance_id = mini_desk.start(process="mini")
    task = mini_desk.task("office", "确认巡查结束")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    url = mini_app.config["DATABASE_URL"]
    children = [context.Process(target=complete_in_child, args=(
        url, mini_app.config["SOURCE_ROOT"], task["id"], barrier, results)) for _ in range(2)]
    for child in children:
        child.start()
    outcomes = sorted(results.get(timeout=60) for _ in children)
    for child in children:
        child.join(timeout=30)
    assert outcomes[1] == "ok"
    assert outcomes[0].startswith("conflict")
    with mini_desk.services.engine.connect() as conn:
        revision = conn.execute(select(schema.instances.c.revision)
                                .where(schema.instances.c.id == instance_id)).scalar()
        completions = conn.execute(select(func.count()).select_from(schema.audit_events).where(
            schema.audit_events.c.action == "task.completed")).scalar()
    assert revision == 2 and completions == 1
    assert [t["name"] for t in mini_desk.inbox("leader")] == ["提交巡查工作报告"]


def test_a_stale_revision_is_refused_by_the_update_itself(mini_desk):
    """The optimistic check lives in the UPDATE: a save from an old read is a conflict."""
    instance_id = mini_desk.start(process="mini")
    with unit_of_work(mini_desk.services) as uow:
        stale = get_instance_row(uow, instance_id)
    mini_desk.complete("office", "确认巡查结束", {"fieldwork_end": "2025-09-26"})
    with pytest.raises(Conflict), unit_of_work(mini_desk.services) as uow:
        save(uow, load(uow, stale))
    assert mini_desk.instance(instance_id)["revision"] == 2
