"""PostgreSQL goes away under load and comes back: requests meanwhile fail cleanly (503 with the
JSON error shape, promptly), and the web server and timer worker recover by themselves with no
acknowledged work lost. On a throwaway cluster of the test's own (design §10)."""
import subprocess
import time
from collections import Counter

import requests

from tests.conftest import Desk
from tests.reliability.checks import (
    audit_counts, check_completions, check_instances, fired_timers,
)
from tests.reliability.cluster import pg_cluster  # noqa: F401 - the fixture
from tests.reliability.conftest import VENV_BIN, log_in, wait_until
from tests.reliability.load import ERROR_SHAPE, finish, run_clients

OUTAGE_SECONDS = 2.0


def probe_while_down(base_url, session, task_id):
    """Every kind of request answers at once with a 503 and an error body, never a 500."""
    answers = []
    deadline = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < deadline:
        started = time.monotonic()
        answers += [
            session.get(f"{base_url}/api/tasks", timeout=10),
            session.post(f"{base_url}/api/tasks/{task_id}/complete", json={"data": {}},
                         timeout=10),
            session.get(f"{base_url}/tasks", timeout=10),       # a page, for people
            requests.get(f"{base_url}/healthz", timeout=10)]
        assert time.monotonic() - started < 5, "requests hang while the database is down"
        time.sleep(0.2)
    assert {a.status_code for a in answers} == {503}, [(a.url, a.status_code) for a in answers]
    assert all(set(a.json()) == ERROR_SHAPE for a in answers if "/api/" in a.url)
    pages = [a.text for a in answers if a.url == f"{base_url}/tasks"]
    assert all("数据库暂时不可用" in page for page in pages), pages[0][:2000]
    return answers


def test_postgres_restart_under_load(pg_cluster, mini_db_for, tmp_path,  # noqa: F811
                                     processes_for):
    env = {"DATABASE_URL": pg_cluster.url, "PATH": str(VENV_BIN)}
    migrated = subprocess.run([str(VENV_BIN / "flask"), "--app", "server", "init"], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    app = mini_db_for(pg_cluster.url)        # deploys the mini procedure on top
    desk = Desk(app)
    instance_ids = [desk.start("office1", process="mini") for _ in range(120)]
    task_ids = [t["id"] for t in desk.inbox("office1")]
    app.extensions["xuncha"].engine.dispose()
    processes = processes_for(pg_cluster.url)
    processes.web(workers=2)
    worker = processes.worker()

    office = log_in(processes.url, "office1")
    waiting = [office.post(f"{processes.url}/api/instances", timeout=10, json={
        "process": "wait", "data": {"target": "单县"}}).json()["id"] for _ in range(5)]
    clients, acknowledged, stop = run_clients(
        processes.url, [f"office{n}" for n in range(2, 5)], task_ids)
    wait_until(lambda: len(acknowledged) >= 20, 60, "20 acknowledged completions")
    pg_cluster.stop("fast")       # the five 2-second timers fall due while it is down
    probe_while_down(processes.url, office, task_ids[-1])
    pg_cluster.start()             # the same processes serve again, nobody restarts them
    wait_until(lambda: office.get(f"{processes.url}/api/tasks", timeout=10).ok, 10,
               "the web server to reconnect", processes.web_log)
    seen = finish(clients, stop)

    assert not seen["errors"], seen["errors"][:5]
    assert seen["unavailable"] and all(
        body["error"] == "unavailable" for body in seen["unavailable"])
    services = app.extensions["xuncha"]
    # Each completed mini task arms a reminder and a deadline already due (fieldwork ended in
    # 2025), each wait instance a 2-second timer: all fired once, by the same worker process.
    timers = Counter(waiting) + Counter({i: 2 for i in instance_ids})
    wait_until(lambda: fired_timers(services.engine) >= timers.total(), 60,
               "the worker to fire every timer", worker.log)
    assert worker.poll() is None, "the timer worker died with the database"
    check_completions(services, task_ids, acknowledged, seen)
    with services.engine.connect() as conn:
        assert audit_counts(conn, "timer.%", "instance_id") == timers
    assert check_instances(services) == len(instance_ids) + len(waiting)
    assert requests.get(f"{processes.url}/healthz", timeout=10).json() == {"status": "ok"}
