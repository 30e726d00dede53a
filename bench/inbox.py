"""Inbox latency at scale: 10,000 inspections and 100,000 human tasks on SQLite (issue goal:
p95 < 50 ms). The rows are written in bulk (what the services would have written over years of
work). Per user it measures, interleaved call by call, three ways of reading the same inbox:
the service (`tasks.list_tasks` in its own unit of work), the API (`GET /api/tasks`) and the
page (`GET /tasks`, with the header count, notifications, filters and the office's reassignment
choices), the last two through Flask's test client with a logged-in session (no sockets). Each
line gives wall-clock median / p95, and the line after it the CPU time of the same calls (what
the call costs when the machine's cores are not busy with other work).

    .venv/bin/python bench/inbox.py [--instances 10000] [--tasks 100000] [--calls 200]
                                    [--database-url URL]
"""
import argparse
import json
import logging
import os
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
GOAL_MS = 50
# (username, roles, organisation, filters): office sees every office task, a liaison its own
# organisation's, a team member the inspections whose roster names them.
READERS = [
    ("office1", ["office"], None, {}),
    ("office1", ["office"], None, {"overdue": "1"}),
    ("office1", ["office"], None, {"organisation": "shanxian"}),
    ("liaison", ["target"], "shanxian", {}),
    ("member7", ["team_member"], None, {}),
]


def populate(services, n_instances, n_tasks):
    rng = random.Random(7)
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    instance_ids = [str(uuid.uuid4()) for _ in range(n_instances)]
    instance_rows, member_rows, task_rows, note_rows = [], [], [], []
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
        task = {
            "id": str(uuid.uuid4()), "instance_id": instance_ids[instance_index],
            "bpmn_id": f"task{index % 33}", "name": f"任务{index % 33}",
            "process_id": "inspection_report", "stage": "报告", "role": role,
            "organisation": COUNTIES[instance_index % len(COUNTIES)], "form": "report_submit.json",
            "clauses": "R3.3.4", "state": "open" if is_open else "completed", "due_at": due,
            "provisional": False, "overdue": bool(due and due < now and is_open),
            "claimed_by": None, "created_at": now}
        task_rows.append(task)
        if due and rng.random() < 0.3:           # reminders and overdue notices of the timers
            note_rows.append({
                "created_at": due, "kind": "overdue" if due < now else "reminder",
                "instance_id": task["instance_id"], "task_id": task["id"], "role": role,
                "organisation": task["organisation"], "message": f"{task['name']}即将到期"})
    with services.engine.begin() as conn:
        for table, rows in ((schema.instances, instance_rows),
                            (schema.instance_members, member_rows),
                            (schema.human_tasks, task_rows), (schema.notifications, note_rows)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])
    return len(note_rows)


def service_call(services, actor, filters):
    args = {"overdue": True} if filters.get("overdue") else {}
    if "organisation" in filters:
        args["organisation"] = filters["organisation"]
    with unit_of_work(services) as uow:
        tasks.list_tasks(uow, actor, limit=50, **args)


def http_call(client, path, filters):
    answer = client.get(path, query_string=filters)
    assert answer.status_code == 200, (path, answer.status_code)


def measure(app, username, filters, calls):
    """Milliseconds of each call, per way; the three ways take turns call by call."""
    services = app.extensions["xuncha"]
    with unit_of_work(services) as uow:
        actor = users.actor_for(uow, username)
    client = app.test_client()
    answer = client.post("/api/session", json={"username": username, "password": "bench"})
    assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:500])
    ways = {"service": lambda: service_call(services, actor, filters),
            "api": lambda: http_call(client, "/api/tasks", filters),
            "page": lambda: http_call(client, "/tasks", filters)}
    seconds = {name: [] for name in ways}
    cpu = {name: [] for name in ways}
    for index in range(calls + 10):                 # the first ten warm up
        for name, call in ways.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            if index >= 10:
                seconds[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    return ({name: summary(values) for name, values in seconds.items()},
            {name: summary(values) for name, values in cpu.items()})


def summary(values):
    values = sorted(values)
    return statistics.median(values) * 1000, values[int(len(values) * 0.95) - 1] * 1000


def quiet_request_logs():
    """Request log lines are formatted as in production, but written to /dev/null."""
    for handler in logging.getLogger("server").handlers:
        handler.setStream(open(os.devnull, "w"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/inbox.sqlite"
    app = create_app({"DATABASE_URL": url, "CLOCK": "system", "SECRET_KEY": "bench",
                      "SOURCE_ROOT": ROOT, "PASSWORD_METHOD": "pbkdf2:sha256:1000",
                      "PROPAGATE_EXCEPTIONS": True})
    quiet_request_logs()
    services = app.extensions["xuncha"]
    init_database(services, ROOT)
    start = time.perf_counter()
    notes = populate(services, args.instances, args.tasks)
    print(f"populated {args.instances} instances, {args.tasks} tasks, {notes} notifications "
          f"in {time.perf_counter() - start:.1f} s ({url.split(':')[0]})")
    with unit_of_work(services) as uow:
        for username, roles, organisation, _ in {r[0]: r for r in READERS}.values():
            users.create_user(uow, username, "bench", roles, organisation)
    worst, worst_cpu = {}, {}
    print(f"{'inbox of':44s} {'service':>17s} {'api':>17s} {'page':>17s}   (median / p95 ms)")
    for username, _roles, _org, filters in READERS:
        figures, cpu = measure(app, username, filters, args.calls)
        for label, found, worst_of in (("", figures, worst), ("  CPU", cpu, worst_cpu)):
            cells = "".join(f"{m:8.2f} /{p:7.2f}" for m, p in found.values())
            print(f"{username + label:13s} {json.dumps(filters):30s} {cells}")
            for name, (_median, p95) in found.items():
                worst_of[name] = max(worst_of.get(name, 0), p95)
    for label, found in (("worst p95", worst), ("worst CPU p95 (no waiting)", worst_cpu)):
        print(f"{label}: " + ", ".join(f"{name} {p95:.2f} ms" for name, p95 in found.items()))
    print(f"goal: p95 < {GOAL_MS} ms (page, the slowest way)")
    print(f"ratio: {worst['page'] / GOAL_MS:.3f}")


if __name__ == "__main__":
    main()
