"""Resident memory of a web process and a timer worker process at 10,000 active inspections.

    .venv/bin/python bench/memory.py [--instances 10000] [--views 10000] [--timers 2000]

On a fresh SQLite database with the procedure of processes/ deployed and the demo users,
`--instances` inspections are started through the services (spread over the counties) and
driven with demo.py's steps and sample data: half wait at the first task, 30 % are two tasks
further, 20 % eight (on site). Then, measuring VmRSS from /proc:
  web     one gunicorn sync worker (`gunicorn --workers 1 "server:create_app()"`), after its
          first request, after inbox requests (API and page, office and a county liaison), and
          while `GET /api/instances/{id}` reads `--views` different inspections in random order
          (each restored and kept in the workflow cache, bounded by WORKFLOW_CACHE_SIZE);
  worker  `flask --app server worker` after it has scanned (nothing due), then after it fired
          `--timers` timers of as many more instances (bench/timers deployed as a new version,
          due over 10 s), each restored, advanced, saved and cached by the worker.
MB per 1,000 instances = RSS / (active instances / 1,000); "growth" compares the RSS after the
first 1,000 views (or timers) with the RSS at the end: flat when the cache is bounded.
"""
import argparse
import copy
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from server import create_app  # noqa: E402
from server.services import demo, instances, tasks, users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.seed import ORGANISATIONS  # noqa: E402
from server.services.setup import init_database  # noqa: E402
from server.services.versions import deploy_version, read_source_tree  # noqa: E402
from server.services.context import SYSTEM  # noqa: E402
from server.services.samples import SAMPLES  # noqa: E402
from server.store import schema  # noqa: E402

TIMERS = ROOT / "bench" / "timers"
COUNTIES = [code for code, _name, kind in ORGANISATIONS if kind == "county"]
PASSWORD = demo.PASSWORD
SECRET = "bench-memory"


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid):
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


# How far the inspections have gone (demo.py's steps, sample form data): a share waits at the
# first task, others are two or eight tasks further (their workflows are larger).
STAGES = ((0.5, []), (0.3, demo.PREPARED[:2]), (0.2, demo.ON_SITE))


def populate(services, count):
    """`count` inspections started and advanced through the services, as people would."""
    demo.load_demo(services)                     # the demo users (password "demo")
    with unit_of_work(services) as uow:
        actors = {name: users.actor_for(uow, name) for name, *_ in demo.demo_users()}
    ids, index = [], 0
    for share, steps in STAGES:
        for _ in range(round(count * share)):
            org = COUNTIES[index % len(COUNTIES)]
            with unit_of_work(services) as uow:
                ids.append(instances.start_instance(uow, actors["office"], "safety_inspection",
                                                    {"target": org}))
            advance(services, actors, ids[-1], org, steps)
            index += 1
    return actors["office"], ids


def advance(services, actors, instance_id, org, steps):
    t = schema.human_tasks
    for username, name in steps:
        with unit_of_work(services) as uow:
            task = uow.conn.execute(select(t.c.id, t.c.form).where(
                t.c.instance_id == instance_id, t.c.name == name, t.c.state == "open")).one()
            data = copy.deepcopy(SAMPLES[task.form]) | demo._dates_around(uow.now, task.form)
            tasks.complete_task(uow, actors[username.format(org=org)], task.id, data)


def start_timers(services, actor, count):
    """`count` instances of bench/timers, due over 10 s from 5 s after they are all started."""
    with unit_of_work(services) as uow:
        deploy_version(uow, SYSTEM, read_source_tree(TIMERS), note="memory benchmark")
    first = datetime.now(timezone.utc) + timedelta(seconds=5 + count * 0.004)
    for index in range(count):
        due = first + timedelta(seconds=10 * index / count)
        with unit_of_work(services) as uow:
            instances.start_instance(uow, actor, "timer_bench",
                                     {"target": "单县", "due_at": due.isoformat()})
    return first + timedelta(seconds=10)


def pending_timers(services):
    i = schema.instances
    with services.engine.connect() as conn:
        return conn.execute(select(func.count()).where(
            i.c.process_id == "timer_bench", i.c.next_due_at.is_not(None))).scalar()


class Processes:
    def __init__(self, url, folder):
        self.env = {**os.environ, "DATABASE_URL": url, "XUNCHA_SECRET_KEY": SECRET}
        self.folder = Path(folder)
        self.started = []

    def spawn(self, args, name):
        log = open(self.folder / f"{name}.log", "w")
        process = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=log)
        self.started.append(process)
        return process

    def web(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        master = self.spawn([str(Path(sys.executable).parent / "gunicorn"), "--workers", "1",
                             "--bind", f"127.0.0.1:{port}", "--timeout", "120",
                             "--no-control-socket", "server:create_app()"], "gunicorn")
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if requests.get(base + "/healthz", timeout=10).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        (worker,) = children(master.pid)
        return base, worker

    def worker(self):
        return self.spawn([str(Path(sys.executable).parent / "flask"), "--app", "server",
                           "worker", "--poll-seconds", "0.5"], "worker").pid

    def stop(self):
        for process in self.started:
            process.terminate()
            process.wait(timeout=30)


def session(base, username):
    http = requests.Session()
    http.trust_env = False
    answer = http.post(base + "/api/session", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return http


def measure_web(base, pid, ids, views, line):
    office, liaison = session(base, "office"), session(base, "target_shanxian")
    line("web: after start and log-in", rss_mb(pid))
    for http in (office, liaison):
        for path in ("/api/tasks", "/tasks", "/api/tasks?limit=500", "/tasks?page=3"):
            http.get(base + path).raise_for_status()
    line("web: after inbox requests (API, pages)", rss_mb(pid))
    marks = {1000, 2000, 5000, views}
    first = None
    shuffled = random.Random(3).sample(ids, len(ids))       # every stage among the first views
    for count, instance_id in enumerate(shuffled[:views], 1):
        office.get(f"{base}/api/instances/{instance_id}").raise_for_status()
        if count in marks:
            line(f"web: after viewing {count} instances", rss_mb(pid))
            first = first or rss_mb(pid)
    return first, rss_mb(pid)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument("--timers", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'memory.sqlite'}"
        app = create_app({"DATABASE_URL": url, "CLOCK": "system", "SECRET_KEY": SECRET,
                          "SOURCE_ROOT": ROOT})
        services = app.extensions["xuncha"]
        init_database(services, ROOT)
        started = time.perf_counter()
        actor, ids = populate(services, args.instances)
        print(f"started {args.instances} inspections through the services in "
              f"{time.perf_counter() - started:.0f} s (SQLite)")
        active = args.instances

        def line(label, mb):
            print(f"{label:44s} {mb:7.1f} MB  {mb / (active / 1000):6.2f} MB per 1,000 instances")

        processes = Processes(url, tmp)
        try:
            base, web = processes.web()
            first, last = measure_web(base, web, ids, args.views, line)
            print(f"web: growth from 1,000 to {args.views} views: {last - first:+.1f} MB")
            worker = processes.worker()
            time.sleep(3)
            line("worker: after scanning (nothing due)", rss_mb(worker))
            last_due = start_timers(services, actor, args.timers)
            active += args.timers
            while pending_timers(services) and datetime.now(timezone.utc) < last_due + \
                    timedelta(seconds=120):
                time.sleep(1)
            left = pending_timers(services)
            line(f"worker: after firing {args.timers - left} timers", rss_mb(worker))
        finally:
            processes.stop()
        services.engine.dispose()


if __name__ == "__main__":
    main()
