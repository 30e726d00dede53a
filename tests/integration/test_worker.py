"""The timer worker: sleeps until the earliest due time, fires each timer exactly once."""
import multiprocessing
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from server import create_app
from server.services.timers import fire_due_timers
from server.services.worker import run_worker
from server.store import schema
from tests.conftest import MINI, Desk, build_app


def test_worker_fires_a_due_timer_within_a_second(database_url, tmp_path):
    app = build_app(database_url, MINI, tmp_path, clock_mode="system")
    desk = Desk(app)
    desk.add_user("office", "office")
    started = datetime.now(timezone.utc)
    instance_id = desk.start(process="wait")
    with app.extensions["xuncha"].engine.connect() as conn:
        due = conn.execute(select(schema.instances.c.next_due_at)).scalar()
    assert timedelta(seconds=1.5) < due - started < timedelta(seconds=3)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app.extensions["xuncha"], stop, 0.2))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not desk.inbox("office") and time.monotonic() < deadline:
            time.sleep(0.05)
        fired_at = datetime.now(timezone.utc)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert [t["name"] for t in desk.inbox("office")] == ["计时后办理"]
    assert fired_at - due < timedelta(seconds=1)
    assert desk.instance(instance_id)["timers"] == []


def fire_in_child(database_url, source_root, barrier, results):
    app = create_app({"DATABASE_URL": database_url, "CLOCK": "fake", "SECRET_KEY": "t",
                      "SOURCE_ROOT": source_root})
    barrier.wait(timeout=30)
    results.put(fire_due_timers(app.extensions["xuncha"]))


def test_three_worker_processes_fire_each_timer_exactly_once(database_url, tmp_path):
    app = build_app(database_url, MINI, tmp_path)
    desk = Desk(app)
    desk.add_user("office", "office")
    ids = [desk.start(process="wait") for _ in range(12)]
    with app.extensions["xuncha"].engine.begin() as conn:   # move the clock without firing
        conn.execute(update(schema.settings).values(
            fake_now=datetime(2025, 1, 2, tzinfo=timezone.utc)))
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=fire_in_child, args=(
        app.config["DATABASE_URL"], MINI, barrier, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    fired = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert sum(fired) == len(ids)
    with app.extensions["xuncha"].engine.connect() as conn:
        per_instance = conn.execute(
            select(schema.audit_events.c.instance_id, func.count())
            .where(schema.audit_events.c.action.like("timer.%"))
            .group_by(schema.audit_events.c.instance_id)).all()
    assert sorted(per_instance) == sorted((i, 1) for i in ids)
    assert len(desk.inbox("office")) == len(ids)
    assert fire_due_timers(app.extensions["xuncha"]) == 0     # nothing left to fire
