"""Three timer workers on PostgreSQL fire 10,000 due timers between them, each exactly once.

The instances are copies of one real instance waiting on its timer (created in seconds); the
firing is the real thing: three `flask worker` processes claiming rows with SKIP LOCKED."""
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, update

from server.store import schema
from tests.conftest import Desk
from tests.reliability.checks import T, audit_counts, clone_instance
from tests.reliability.conftest import make_mini_db, wait_until

TIMERS, WORKERS, SECONDS = 10_000, 3, 150


def test_three_workers_fire_ten_thousand_timers_exactly_once(database_url, tmp_path,
                                                             processes_for):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only (several workers share timers through SKIP LOCKED); "
                    "runs in CI's pass with DATABASE_URL=postgresql://…")
    app = make_mini_db(database_url, tmp_path, clock="fake")
    first = Desk(app).start("office1", process="wait")
    engine = app.extensions["xuncha"].engine
    instance_ids = [first] + clone_instance(engine, first, TIMERS - 1)
    with engine.begin() as conn:
        conn.execute(update(schema.settings).values(
            fake_now=datetime(2025, 1, 2, tzinfo=timezone.utc)))
    processes = processes_for(database_url, clock="fake")

    def fired():
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.audit_events).where(
                schema.audit_events.c.action.like("timer.%"))).scalar()
    started = time.monotonic()
    workers = [processes.worker() for _ in range(WORKERS)]
    wait_until(lambda: fired() >= TIMERS, SECONDS, f"{TIMERS} timers to fire")
    took = time.monotonic() - started
    time.sleep(1)                           # a second firing would show up by now
    assert all(worker.poll() is None for worker in workers), "a worker died"

    with engine.connect() as conn:
        assert audit_counts(conn, "timer.%", "instance_id") == Counter(instance_ids)
        opened = Counter(dict(conn.execute(select(T.c.instance_id, func.count()).where(
            T.c.state == "open").group_by(T.c.instance_id)).all()))
        revisions = Counter(conn.execute(select(schema.instances.c.revision)).scalars())
        still_due = conn.execute(select(func.count()).select_from(schema.instances).where(
            schema.instances.c.next_due_at.is_not(None))).scalar()
    assert opened == Counter(instance_ids)
    assert revisions == {2: TIMERS} and still_due == 0
    print(f"{TIMERS} timers fired by {WORKERS} workers in {took:.1f} s")
