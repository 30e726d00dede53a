"""kill -9 under load, then a restart: nothing acknowledged is lost, nothing is half-written.

The web server is killed (master and workers) while clients complete tasks; the timer worker is
killed while it fires a backlog of due timers."""
import queue
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import requests
from sqlalchemy import func, select, update

from server.store import schema
from tests.conftest import Desk
from tests.reliability.checks import T, audit_counts, check_instances, clone_instance
from tests.reliability.conftest import log_in, make_mini_db, wait_until

END = {"fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}


class Completer(threading.Thread):
    """Completes tasks from a shared queue until told to stop; remembers every 200."""

    def __init__(self, base_url, username, work, acknowledged, stop):
        super().__init__(daemon=True)
        self.base_url, self.username, self.work = base_url, username, work
        self.acknowledged, self.stop = acknowledged, stop
        self.in_doubt, self.refused, self.errors = [], [], []

    def run(self):
        session = log_in(self.base_url, self.username)
        while not self.stop.is_set():
            try:
                task_id = self.work.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                answer = session.post(f"{self.base_url}/api/tasks/{task_id}/complete",
                                      json={"data": END}, timeout=30)
            except requests.RequestException:       # killed mid-request: it may have committed
                self.in_doubt.append(task_id)
                self.work.put(task_id)              # tried again once the server is back
                time.sleep(0.05)
                continue
            if answer.status_code == 200:
                self.acknowledged.append((task_id, self.username))
            elif answer.status_code == 409:
                self.refused.append(task_id)
            else:
                self.errors.append((task_id, answer.status_code, answer.text[:300]))


def test_web_server_killed_under_load_loses_no_acknowledged_completion(
        mini_db, processes_for):
    desk = Desk(mini_db)
    instance_ids = [desk.start("office1", process="mini") for _ in range(150)]
    task_ids = [t["id"] for t in desk.inbox("office1")]
    processes = processes_for(mini_db.config["DATABASE_URL"])
    web = processes.web(workers=2)

    work, acknowledged, stop = queue.Queue(), [], threading.Event()
    for task_id in task_ids:
        work.put(task_id)
    clients = [Completer(processes.url, f"office{n}", work, acknowledged, stop)
               for n in range(1, 5)]
    for client in clients:
        client.start()
    wait_until(lambda: len(acknowledged) >= 30, 60, "30 acknowledged completions")
    processes.kill(web)                     # SIGKILL to gunicorn's whole process group
    killed_after = len(acknowledged)
    assert killed_after < len(task_ids), "the load finished before the kill"
    time.sleep(0.5)                         # clients keep trying against a dead port
    processes.web(workers=2)
    wait_until(lambda: work.empty(), 120, "the clients to drain the queue")
    stop.set()
    for client in clients:
        client.join(timeout=40)
    in_doubt = {t for client in clients for t in client.in_doubt}

    assert not [e for client in clients for e in client.errors]
    assert in_doubt, "the kill did not interrupt any request"
    refused = [t for client in clients for t in client.refused]
    assert set(refused) <= in_doubt         # only a retry may find its task already done
    assert len(acknowledged) + len(refused) == len(task_ids)
    services = mini_db.extensions["xuncha"]
    with services.engine.connect() as conn:
        rows = {r.id: (r.state, r.completed_by) for r in conn.execute(
            select(T.c.id, T.c.state, T.c.completed_by).where(T.c.id.in_(task_ids)))}
        assert audit_counts(conn, "task.completed") == Counter(task_ids)   # once each
    for task_id, username in acknowledged:
        assert rows[task_id] == ("completed", username)
    assert {state for state, _ in rows.values()} == {"completed"}
    assert check_instances(services) == len(instance_ids)
    session = log_in(processes.url, "leader")
    assert session.get(f"{processes.url}/api/tasks", timeout=10).json()["total"] == len(task_ids)


def test_worker_killed_while_firing_timers_fires_each_exactly_once(database_url, tmp_path,
                                                                   processes_for):
    app = make_mini_db(database_url, tmp_path, clock="fake")
    desk = Desk(app)
    first = desk.start("office1", process="wait")      # a 2-second timer on the fake clock
    services = app.extensions["xuncha"]
    instance_ids = [first] + clone_instance(services.engine, first, 799)
    with services.engine.begin() as conn:              # all due at once, none fired yet
        conn.execute(update(schema.settings).values(
            fake_now=datetime(2025, 1, 2, tzinfo=timezone.utc)))
    processes = processes_for(app.config["DATABASE_URL"], clock="fake")

    def fired():
        with services.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.audit_events).where(
                schema.audit_events.c.action.like("timer.%"))).scalar()
    worker = processes.worker()
    wait_until(lambda: fired() >= 40, 60, "the worker to fire 40 timers")
    processes.kill(worker)
    killed_at = fired()
    assert killed_at < len(instance_ids), "the worker finished before the kill"
    processes.worker()
    wait_until(lambda: fired() == len(instance_ids), 120, "every timer to fire")
    time.sleep(0.5)                                    # would a timer fire twice?

    with services.engine.connect() as conn:
        assert audit_counts(conn, "timer.%", "instance_id") == Counter(instance_ids)
        open_tasks = Counter(dict(conn.execute(select(T.c.instance_id, func.count()).where(
            T.c.state == "open").group_by(T.c.instance_id)).all()))
    assert open_tasks == Counter(instance_ids)          # each one moved on to its task
    assert check_instances(services) == len(instance_ids)
