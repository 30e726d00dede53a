"""Three timer workers on PostgreSQL fire 10,000 due timers between them, each exactly once.

The instances are copies of one real instance waiting on its timer (created in seconds); the
firing is the real thing: three `flask worker` processes claiming rows with SKIP LOCKED."""
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.store import schema
from tests.reliability.checks import (
    audit_counts, due_timer_instances, fired_timers, open_task_counts,
)
from tests.reliability.conftest import wait_until

TIMERS, WORKERS, SECONDS = 10_000, 3, 150


def test_three_workers_fire_ten_thousand_timers_exactly_once(database_url, mini_db_for,
                                                             processes_for):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only (several workers share timers through SKIP LOCKED); "
                    "runs in CI's pass with DATABASE_URL=postgresql://…")
    app = mini_db_for(database_url, clock="fake")
    instance_ids = due_timer_instances(app, TIMERS)
    engine = app.extensions["xuncha"].engine
    processes = processes_for(database_url, clock="fake")
    started = time.monotonic()
    workers = [processes.worker() for _ in range(WORKERS)]
    wait_until(lambda: fired_timers(engine) >= TIMERS, SECONDS, f"{TIMERS} timers to fire")
    took = time.monotonic() - started
    time.sleep(1)                           # a second firing would show up by now
    assert all(worker.poll() is None for worker in workers), "a worker died"

    with engine.connect() as conn:
        assert audit_counts(conn, "timer.%", "instance_id") == Counter(instance_ids)
        opened = open_task_counts(conn)
        revisions = Counter(conn.execute(select(schema.instances.c.revision)).scalars())
        still_due = conn.execute(select(func.count()).select_from(schema.instances).where(
            schema.instances.c.next_due_at.is_not(None))).scalar()
    assert opened == Counter(instance_ids)
    assert revisions == {2: TIMERS} and still_due == 0
    print(f"{TIMERS} timers fired by {WORKERS} workers in {took:.1f} s")
