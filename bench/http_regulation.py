"""Whole inspections of the real procedure over HTTP, against the raw engine in the same run.

    .venv/bin/python bench/http_regulation.py [--lifecycles 5] [--rounds 3] [--workers 2]
                                              [--threads 1] [--clients 1 4] [--database-url URL]

As bench/http_lifecycle.py (gunicorn as docs/deploy.md runs it on a free loopback port, a fresh
database, the same rounds and figures), on the workload of bench/regulation_overhead.py:
`processes/` deployed, the demo users, the fake clock at 2025-06-02 09:00, and a lifecycle of one
inspection of 单县 through its 22 user tasks, each done by its user: `GET /api/tasks` (that
user's inbox; the client picks its inspection's task by name), `GET /api/tasks/{id}` and `POST
/api/tasks/{id}/complete` with the form's sample data; the inspection is started by the office
(`POST /api/instances`). Each client holds one logged-in session per user. The raw lifecycle is
regulation_overhead.py's, in memory. `ratio:` = one client's rate / the raw rate.
A PostgreSQL URL gets its schema `public` dropped and recreated.
"""
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_overhead import fresh_services  # noqa: E402
from http_lifecycle import SECRET, arguments, measure, print_figures  # noqa: E402
from regulation_overhead import (NOW, PROCESS, START_DATA, STEPS, Memory,  # noqa: E402
                                 form_data)
from server.services import users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.demo import demo_users  # noqa: E402

PASSWORD = "bench-secret"
USERS = sorted({"office"} | {username for username, _name, _values in STEPS})


class Workload:
    """The database prepared for the procedure, and the raw lifecycle on its calendar."""

    def __init__(self):
        self.memory = None

    def prepare(self, url):
        services = fresh_services(url, ROOT, fake_start=NOW, secret=SECRET)
        with unit_of_work(services) as uow:
            for username, name, roles, org in demo_users():
                users.create_user(uow, username, PASSWORD, list(roles), org, name)
        with unit_of_work(services) as uow:
            self.memory = Memory(uow.calendar)
        services.engine.dispose()

    def raw(self):
        self.memory.lifecycle()


class ProcedureClient:
    """The people of one inspection, each with a logged-in session, driving whole lifecycles."""

    def __init__(self, base):
        self.base = base
        self.sessions = {username: self._log_in(username) for username in USERS}
        self.completions, self.steps = [], []          # seconds per POST complete, per step

    def _log_in(self, username):
        session = requests.Session()
        session.trust_env = False           # loopback: no proxy settings to look up per request
        answer = session.post(self.base + "/api/session", timeout=30,
                              json={"username": username, "password": PASSWORD})
        if answer.status_code != 200:
            raise SystemExit(f"log-in of {username}: {answer.status_code} {answer.text[:500]}")
        return session

    def call(self, username, method, path, status, **kwargs):
        answer = self.sessions[username].request(method, self.base + path, timeout=30, **kwargs)
        if answer.status_code != status:
            raise SystemExit(f"{username}: {method.upper()} {path}: {answer.status_code} "
                             f"{answer.text[:500]}")
        return answer.json()

    def lifecycle(self):
        instance_id = self.call("office", "post", "/api/instances", 201,
                                json={"process": PROCESS, "data": START_DATA})["id"]
        for username, name, values in STEPS:
            t0 = time.perf_counter()
            inbox = self.call(username, "get", "/api/tasks", 200)["tasks"]
            (task,) = [t for t in inbox if t["instance_id"] == instance_id and t["name"] == name]
            form = self.call(username, "get", f"/api/tasks/{task['id']}", 200)["form_name"]
            t1 = time.perf_counter()
            self.call(username, "post", f"/api/tasks/{task['id']}/complete", 200,
                      json={"data": form_data(form, values)})
            t2 = time.perf_counter()
            self.completions.append(t2 - t1)
            self.steps.append(t2 - t0)
        state = self.call("office", "get", f"/api/instances/{instance_id}", 200)["state"]
        assert state == "completed", state


def main():
    args = arguments(__doc__.split("\n")[0], lifecycles=5)
    workload = Workload()
    url, rounds, clients = measure(args, workload.prepare, ProcedureClient, workload.raw,
                                   env={"XUNCHA_CLOCK": "fake"})
    print_figures(args, f"{PROCESS}: {len(STEPS)} user tasks per lifecycle", url, rounds,
                  clients)
    first = args.clients[0]
    print(f"ratio: {statistics.median(r[first] / r['raw'] for r in rounds):.4f}")


if __name__ == "__main__":
    main()
