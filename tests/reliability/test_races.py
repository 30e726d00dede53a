"""Eight clients race over HTTP for the same twenty open tasks, each claiming then completing.

Every task ends completed exactly once, by the one client whose claim succeeded; everyone else is
told 409 (or 403), never 500, and every instance is left consistent."""
import random
import threading
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from server.engine import runtime
from server.services import tasks
from server.services.context import unit_of_work
from server.services.errors import Conflict
from server.services.state import load, save
from tests.conftest import Desk
from tests.reliability.checks import T, audit_counts, check_instances
from tests.reliability.conftest import log_in

CLIENTS, TASKS = 8, 20
END = {"fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}


def race(base_url, username, task_ids, outcomes, barrier):
    session = log_in(base_url, username)
    order = random.Random(username).sample(task_ids, len(task_ids))
    barrier.wait(timeout=30)
    for task_id in order:
        claim = session.post(f"{base_url}/api/tasks/{task_id}/claim", timeout=30)
        outcomes.append((task_id, username, "claim", claim.status_code))
        if claim.status_code == 200:
            step, answer = "complete", session.post(
                f"{base_url}/api/tasks/{task_id}/complete", json={"data": END}, timeout=30)
        else:        # a loser that tries to complete anyway is refused too
            step, answer = "snatch", session.post(
                f"{base_url}/api/tasks/{task_id}/complete", json={"data": END}, timeout=30)
        outcomes.append((task_id, username, step, answer.status_code))
        if answer.status_code >= 400:
            assert set(answer.json()) == {"error", "message", "fields"}, answer.text


def test_clients_racing_for_the_same_tasks_complete_each_exactly_once(
        mini_db, processes_for):
    desk = Desk(mini_db)
    instance_ids = [desk.start("office1", process="mini") for _ in range(TASKS)]
    task_ids = [t["id"] for t in desk.inbox("office1")]
    assert len(task_ids) == TASKS
    processes = processes_for(mini_db.config["DATABASE_URL"])
    processes.web(workers=4)

    outcomes, barrier = [], threading.Barrier(CLIENTS)
    clients = [threading.Thread(target=race, args=(
        processes.url, f"office{n}", task_ids, outcomes, barrier)) for n in range(1, CLIENTS + 1)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=120)
    assert len(outcomes) == 2 * CLIENTS * TASKS, "a client stopped early (see its assertion)"

    statuses = Counter(status for *_, status in outcomes)
    assert set(statuses) <= {200, 403, 409}, statuses
    by_task = defaultdict(list)
    for task_id, username, step, status in outcomes:
        by_task[task_id].append((username, step, status))
    winners = {}
    for task_id, tries in by_task.items():
        claimed = [u for u, step, status in tries if step == "claim" and status == 200]
        completed = [(u, step) for u, step, status in tries if step != "claim" and status == 200]
        assert len(claimed) == 1, f"task {task_id} claimed by {claimed}"
        assert completed == [(claimed[0], "complete")], f"task {task_id}: {tries}"
        winners[task_id] = claimed[0]

    services = mini_db.extensions["xuncha"]
    with services.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(T).where(T.c.id.in_(task_ids)))}
        assert audit_counts(conn, "task.completed") == Counter(task_ids)
        assert audit_counts(conn, "task.claimed") == Counter(task_ids)
    assert {i: (r.state, r.completed_by) for i, r in rows.items()} == {
        i: ("completed", winner) for i, winner in winners.items()}
    assert check_instances(services) == len(instance_ids)
    assert len(desk.inbox("leader")) == TASKS      # each instance moved on exactly one step


def test_a_claim_that_lands_after_a_completion_read_the_task_wins(mini_db):
    """The completion's own UPDATE refuses a task claimed by another since it was read (on
    PostgreSQL both transactions can read it unclaimed; SQLite serialises them anyway)."""
    desk = Desk(mini_db)
    instance_id = desk.start("office1", process="mini")
    task_id = desk.inbox("office1")[0]["id"]
    with unit_of_work(desk.services) as uow:
        read_before = tasks._task_row(uow, task_id)
    office2 = desk.actor("office2")
    with unit_of_work(desk.services) as uow:
        tasks.claim_task(uow, office2, task_id)
    with pytest.raises(Conflict), unit_of_work(desk.services) as uow:
        loaded = load(uow, tasks._instance_of(read_before))
        runtime.complete(loaded.bundle, loaded.workflow, task_id, END)
        save(uow, loaded, completed=(task_id, "office1"))
    assert desk.instance(instance_id, "office1")["revision"] == 1
    assert [t["claimed_by"] for t in desk.inbox("office2")] == ["office2"]
