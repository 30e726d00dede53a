"""Inbox latency at scale: 10,000 inspections and 100,000 human tasks on SQLite (issue goals:
p95 < 50 ms). The rows are written in bulk (what the services would have written over years of
work); the measured calls are the services' `tasks.list_tasks`, as the inbox page and API make.

    .venv/bin/python bench/inbox.py [--instances 10000] [--tasks 100000] [--database-url URL]
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from server import create_app  # noqa: E402
from server.services import tasks, users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.seed import ORGANISATIONS  # noqa: E402
from server.services.setup import init_database  # noqa: E402
from server.store import schema  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["office", "commission_leader", "team_leader", "team_member", "target", "discipline"]
COUNTIES = [code for code, _name, kind in ORGANISATIONS]
MEMBERS = [f"member{i}" for i in range(40)]


def populate(services, n_instances, n_tasks):
    rng = random.Random(7)
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    instance_ids = [str(uuid.uuid4()) for _ in range(n_instances)]
    instance_rows, member_rows, task_rows = [], [], []
    for index, instance_id in enumerate(instance_ids):
        org = COUNTIES[index % len(COUNTIES)]
        instance_rows.append({
            "id": instance_id, "process_id": "safety_inspection", "version_id": 1,
            "state": "running" if index % 5 else "completed", "title": f"安全生产巡查：{org}",
            "organisation": org, "workflow_state": "{}", "revision": 1, "next_due_at": None,
            "created_at": now, "created_by": "office", "updated_at": now})
        member_rows += [{"instance_id": instance_id, "username": u}
                        for u in rng.sample(MEMBERS, 6)]
    for index in range(n_tasks):
        instance_index = rng.randrange(n_instances)
        role = ROLES[index % len(ROLES)]
        is_open = rng.random() < 0.1             # most tasks of years of work are done
        due = now + timedelta(days=rng.randrange(-60, 120)) if rng.random() < 0.6 else None
        task_rows.append({
            "id": str(uuid.uuid4()), "instance_id": instance_ids[instance_index],
            "bpmn_id": f"task{index % 33}", "name": f"任务{index % 33}",
            "process_id": "inspection_report", "stage": "报告", "role": role,
            "organisation": COUNTIES[instance_index % len(COUNTIES)], "form": "report_submit.json",
            "clauses": "R3.3.4", "state": "open" if is_open else "completed", "due_at": due,
            "provisional": False, "overdue": bool(due and due < now and is_open),
            "claimed_by": None, "created_at": now})
    with services.engine.begin() as conn:
        for table, rows in ((schema.instances, instance_rows),
                            (schema.instance_members, member_rows),
                            (schema.human_tasks, task_rows)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])


def measure(services, actor, calls, **filters):
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        with unit_of_work(services) as uow:
            tasks.list_tasks(uow, actor, limit=50, **filters)
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.95) - 1] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/inbox.sqlite"
    app = create_app({"DATABASE_URL": url, "CLOCK": "system", "SECRET_KEY": "bench",
                      "SOURCE_ROOT": ROOT, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    services = app.extensions["xuncha"]
    init_database(services, ROOT)
    start = time.perf_counter()
    populate(services, args.instances, args.tasks)
    print(f"populated {args.instances} instances, {args.tasks} tasks "
          f"in {time.perf_counter() - start:.1f} s ({url.split(':')[0]})")
    with unit_of_work(services) as uow:
        users.create_user(uow, "office1", "bench", ["office"])
        users.create_user(uow, "liaison", "bench", ["target"], "shanxian")
        users.create_user(uow, "member7", "bench", ["team_member"])
    worst = 0.0
    for username, filters in (("office1", {}), ("office1", {"overdue": True}),
                              ("liaison", {}), ("member7", {})):
        with unit_of_work(services) as uow:
            actor = users.actor_for(uow, username)
        measure(services, actor, 10, **filters)                       # warm up
        median, p95 = measure(services, actor, args.calls, **filters)
        worst = max(worst, p95)
        print(f"inbox of {username:8s} {str(filters):18s} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    print(f"goal: p95 < 50 ms; worst p95 {worst:.2f} ms")
    print(f"ratio: {worst / 50:.3f}")


if __name__ == "__main__":
    main()
