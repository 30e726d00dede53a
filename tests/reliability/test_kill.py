"""kill -9 under load, then a restart: nothing acknowledged is lost, nothing is half-written.

The web server is killed (master and workers) while clients complete tasks; the timer worker is
killed while it fires a backlog of due timers."""
import time
from collections import Counter
from functools import partial

from sqlalchemy import create_engine

from server.store.db import normalise_url
from tests.conftest import Desk
from tests.reliability.checks import (
    audit_counts, check_completions, check_instances, due_timer_instances, fired_timers,
    open_task_counts,
)
from tests.reliability.conftest import log_in, wait_until
from tests.reliability.load import finish, run_clients


def test_web_server_killed_under_load_loses_no_acknowledged_completion(
        mini_db, processes_for):
    desk = Desk(mini_db)
    instance_ids = [desk.start("office1", process="mini") for _ in range(150)]
    task_ids = [t["id"] for t in desk.inbox("office1")]
    processes = processes_for(mini_db.config["DATABASE_URL"])
    web = processes.web(workers=2)

    clients, acknowledged, stop = run_clients(
        processes.url, [f"office{n}" for n in range(1, 5)], task_ids)
    wait_until(lambda: len(acknowledged) >= 30, 60, "30 acknowledged completions")
    processes.kill(web)                     # SIGKILL to gunicorn's whole process group
    assert len(acknowledged) < len(task_ids), "the load finished before the kill"
    time.sleep(0.5)                         # clients keep trying against a dead port
    processes.web(workers=2)
    seen = finish(clients, stop)

    assert seen["in_doubt"], "the kill did not interrupt any request"
    assert not seen["errors"] and not seen["unavailable"]
    services = mini_db.extensions["xuncha"]
    check_completions(services, task_ids, acknowledged, seen)
    assert check_instances(services) == len(instance_ids)
    session = log_in(processes.url, "leader")
    assert session.get(f"{processes.url}/api/tasks", timeout=10).json()["total"] == len(task_ids)


def test_worker_killed_while_firing_timers_fires_each_exactly_once(database_url, mini_db_for,
                                                                   processes_for):
    app = mini_db_for(database_url, clock="fake")
    instance_ids = due_timer_instances(app, 3000)    # a backlog the kill can interrupt
    services = app.extensions["xuncha"]
    processes = processes_for(app.config["DATABASE_URL"], clock="fake")
    # Progress is read without the app's BEGIN IMMEDIATE: on SQLite a reader asking for the
    # write lock waits until the busy worker has drained the whole backlog.
    observer = create_engine(normalise_url(app.config["DATABASE_URL"]))
    fired = partial(fired_timers, observer)
    worker = processes.worker()
    wait_until(lambda: fired() >= 1, 60, "the worker to start firing")
    processes.kill(worker)
    killed_at = fired()
    assert killed_at < len(instance_ids), "the worker finished before the kill"
    processes.worker()
    wait_until(lambda: fired() == len(instance_ids), 120, "every timer to fire")
    time.sleep(0.5)                                    # would a timer fire twice?
    observer.dispose()

    with services.engine.connect() as conn:
        assert audit_counts(conn, "timer.%", "instance_id") == Counter(instance_ids)
        assert open_task_counts(conn) == Counter(instance_ids)   # each moved on to its task
    assert check_instances(services) == len(instance_ids)
