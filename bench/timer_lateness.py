"""Timer lateness with the worker running (design §10): 10,000 pending timers, of which 1,000 fall
due spread evenly over 60 s; lateness = firing time − due time (goal: p99 < 1 s).

The timer worker runs as its own process (`flask --app server worker`), as in production.
    .venv/bin/python bench/timer_lateness.py [--pending 10000] [--due 1000] [--seconds 60]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from server import create_app  # noqa: E402
from server.services import instances, users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.setup import init_database  # noqa: E402
from server.store import schema  # noqa: E402

DIAGRAM = Path(__file__).resolve().parent / "timers"
BEIJING = timezone(timedelta(hours=8))


def start_all(services, actor, dues):
    ids = {}
    for due in dues:
        with unit_of_work(services) as uow:
            instance_id = instances.start_instance(uow, actor, "timer_bench", {
                "target": "单县", "due_at": due.astimezone(BEIJING).isoformat()})
        ids[instance_id] = due
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/timers.sqlite"
    app = create_app({"DATABASE_URL": url, "CLOCK": "system", "SECRET_KEY": "bench",
                      "SOURCE_ROOT": DIAGRAM, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    services = app.extensions["xuncha"]
    init_database(services, DIAGRAM)
    with unit_of_work(services) as uow:
        users.create_user(uow, "office", "bench", ["office"])
        actor = users.actor_for(uow, "office")
    far = datetime.now(timezone.utc) + timedelta(days=30)
    started = time.perf_counter()
    start_all(services, actor, [far + timedelta(seconds=i) for i in range(args.pending - args.due)])
    lead = 10.0                       # the due timers begin this long after they are created
    first_due = datetime.now(timezone.utc) + timedelta(seconds=lead + args.due * 0.004)
    step = args.seconds / args.due
    due_ids = start_all(services, actor,
                        [first_due + timedelta(seconds=i * step) for i in range(args.due)])
    print(f"created {args.pending} pending timers in {time.perf_counter() - started:.1f} s; "
          f"{args.due} fall due over {args.seconds:.0f} s from {first_due.isoformat()}")
    env = {**os.environ, "DATABASE_URL": url, "XUNCHA_CLOCK": "system", "XUNCHA_SECRET_KEY": "b"}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "server",
                               "worker"], env=env, stdout=subprocess.DEVNULL)
    try:
        end = first_due + timedelta(seconds=args.seconds + 5)
        while datetime.now(timezone.utc) < end:
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    audit = schema.audit_events
    with services.engine.connect() as conn:
        fired = dict(conn.execute(select(audit.c.instance_id, audit.c.at).where(
            audit.c.action.like("timer.%"))).all())
    late = sorted((fired[i] - due).total_seconds() for i, due in due_ids.items() if i in fired)
    early = [i for i in fired if i not in due_ids]
    print(f"fired {len(late)} of {len(due_ids)} due timers; fired too early: {len(early)}")
    if late:
        p99 = late[max(0, int(len(late) * 0.99) - 1)]
        print(f"lateness median {statistics.median(late) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {late[-1] * 1000:.0f} ms (goal p99 < 1000 ms)")
        print(f"ratio: {p99:.3f}")


if __name__ == "__main__":
    main()
