"""Full lifecycles per second over HTTP, against the raw in-memory engine measured in the same run.

    .venv/bin/python bench/http_lifecycle.py [--lifecycles 20] [--rounds 3] [--workers 2]
                                             [--threads 1] [--clients 1 4] [--database-url URL]

The product is served as deployed (docs/deploy.md: `gunicorn --workers 2 "server:create_app()"`,
sync workers, which close the connection after every response; a subprocess on a free loopback
port) on a fresh database with bench/eleven_tasks deployed (11 sequential user tasks in the
office lane, the diagram of bench/engine_overhead.py); `--threads 4` serves with gthread workers
instead, connections kept alive 30 s (longer than the raw pass between two HTTP passes). Each
client is a thread with its own `requests.Session`, logged in once (`POST /api/session`). A
lifecycle: `POST /api/instances`, then 11 times `GET /api/tasks` (the inbox; the client picks its
instance's task), `GET /api/tasks/{id}` (form and data) and `POST /api/tasks/{id}/complete`.

Each round runs, one after the other: raw lifecycles in memory (`runtime.complete`, as in
engine_overhead.py) for 2 s, then for every client count `--lifecycles` lifecycles per client.
Rates are medians over rounds (range in brackets); latencies are percentiles over all rounds;
`x raw` and the final `ratio:` (one client / raw) are medians of the per-round ratios. The CPU
time per lifecycle of gunicorn's processes (from /proc) and of the clients tells what the rate
would be on a machine with nothing else running.
Goals (issue): one client >= 20 lifecycles/s and completion p95 < 25 ms; for comparison the
reference SpiffWorkflow server spiff-arena reaches 0.86 lifecycles/s and p95 120 ms.
A PostgreSQL URL gets its schema `public` dropped and recreated.
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_overhead import (DIAGRAM, FORM_DATA, PROCESS, START_DATA, STEPS,  # noqa: E402
                             Memory, fresh_services)
from server.services import users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402

SECRET = "bench-http"
USER, PASSWORD = "office", "bench-secret"


def fresh_database(url):
    services = fresh_services(url, DIAGRAM, secret=SECRET)
    with unit_of_work(services) as uow:
        users.create_user(uow, USER, PASSWORD, ["office"])
    services.engine.dispose()


class Server:
    """gunicorn serving the product on a free loopback port, as docs/deploy.md runs it."""

    def __init__(self, url, workers, threads, folder, env=None):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": url, "XUNCHA_SECRET_KEY": SECRET, **(env or {})}
        self.log = Path(folder) / "gunicorn.log"
        threaded = ["--threads", str(threads), "--keep-alive", "30"] if threads > 1 else []
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), *threaded,
             "--bind", f"127.0.0.1:{port}", "--no-control-socket", "server:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=10).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz:\n" + self.log.read_text()[-2000:])

    def cpu_seconds(self):
        """CPU time used so far by gunicorn's master and workers (from /proc)."""
        pids = [self.process.pid] + [int(p) for p in Path(
            f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]
        ticks = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])           # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Client:
    """One person's browser-less client: a logged-in session driving whole lifecycles."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False         # loopback: no proxy settings to look up per request
        self.call("post", "/api/session", 200, json={"username": USER, "password": PASSWORD})
        self.completions, self.steps = [], []          # seconds per POST complete, per step

    def call(self, method, path, status, **kwargs):
        answer = self.http.request(method, self.base + path, timeout=30, **kwargs)
        if answer.status_code != status:
            raise SystemExit(f"{method.upper()} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()

    def lifecycle(self):
        instance_id = self.call("post", "/api/instances", 201,
                                json={"process": PROCESS, "data": START_DATA})["id"]
        for _ in range(STEPS):
            t0 = time.perf_counter()
            inbox = self.call("get", "/api/tasks", 200, params={"process": PROCESS})["tasks"]
            (task,) = [t for t in inbox if t["instance_id"] == instance_id]
            self.call("get", f"/api/tasks/{task['id']}", 200)
            t1 = time.perf_counter()
            self.call("post", f"/api/tasks/{task['id']}/complete", 200, json={"data": FORM_DATA})
            t2 = time.perf_counter()
            self.completions.append(t2 - t1)
            self.steps.append(t2 - t0)
        state = self.call("get", f"/api/instances/{instance_id}", 200)["state"]
        assert state == "completed", state


def run_clients(server, clients, lifecycles):
    """`lifecycles` lifecycles on every client at once; answers lifecycles per second and the
    CPU seconds per lifecycle of the server and of the clients."""
    errors = []

    def drive(client):
        try:
            for _ in range(lifecycles):
                client.lifecycle()
        except BaseException as exc:            # noqa: BLE001 - reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(c,)) for c in clients]
    start, server_cpu, client_cpu = time.perf_counter(), server.cpu_seconds(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    count = len(clients) * lifecycles
    return (count / (time.perf_counter() - start), (server.cpu_seconds() - server_cpu) / count,
            (time.process_time() - client_cpu) / count)


def raw_rate(lifecycle, seconds):
    """Raw in-memory lifecycles per second, run for about `seconds`."""
    count, start = 0, time.perf_counter()
    while count < 20 or time.perf_counter() - start < seconds:
        lifecycle()
        count += 1
    return count / (time.perf_counter() - start)


def percentile(values, fraction):
    values = sorted(values)
    return values[max(int(len(values) * fraction + 0.5) - 1, 0)] * 1000


def report(counts, rounds, clients):
    raw = [r["raw"] for r in rounds]
    print(f"raw (runtime.complete, in memory)  {statistics.median(raw):8.1f} lifecycles/s")
    for n in counts:
        rates = [r[n] for r in rounds]
        done = [s for c in clients[n] for s in c.completions]
        steps = [s for c in clients[n] for s in c.steps]
        relative = statistics.median(r[n] / r["raw"] for r in rounds)
        print(f"HTTP, {n} client{'s' if n > 1 else ' '}                    "
              f"{statistics.median(rates):8.2f} lifecycles/s ({min(rates):.2f}-{max(rates):.2f})"
              f"  {relative:.4f} x raw")
        print(f"    complete p50 {percentile(done, 0.5):6.2f} ms  p95 {percentile(done, 0.95):6.2f}"
              f" ms;  step (inbox + task + complete) p50 {percentile(steps, 0.5):6.2f} ms  "
              f"p95 {percentile(steps, 0.95):6.2f} ms;  {len(done)} completions")
        server_cpu = statistics.median(r[n, "server"] for r in rounds) * 1000
        client_cpu = statistics.median(r[n, "client"] for r in rounds) * 1000
        print(f"    CPU per lifecycle: server {server_cpu:.1f} ms, clients (requests) "
              f"{client_cpu:.1f} ms")


def arguments(description, lifecycles=20):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lifecycles", type=int, default=lifecycles, help="per client and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker: 1, sync workers (a connection per "
                             "request); more, gthread workers (connections kept alive)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    return parser.parse_args()


def measure(args, prepare, make_client, raw_lifecycle, env=None):
    """Serve a fresh database (filled by `prepare(url)`), warm up, and run the rounds: the raw
    lifecycle in memory for 2 s, then every client count. Returns the url, rounds and clients."""
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        prepare(url)
        server = Server(url, args.workers, args.threads, tmp, env)
        try:
            clients = {n: [make_client(server.base) for _ in range(n)] for n in args.clients}
            for n in args.clients:                                  # warm up every worker
                run_clients(server, clients[n], 2)
                for client in clients[n]:
                    client.completions.clear()
                    client.steps.clear()
            rounds = []
            for _ in range(args.rounds):
                figures = {"raw": raw_rate(raw_lifecycle, 2.0)}
                for n in args.clients:
                    figures[n], figures[n, "server"], figures[n, "client"] = run_clients(
                        server, clients[n], args.lifecycles)
                rounds.append(figures)
        finally:
            server.stop()
    return url, rounds, clients


def print_figures(args, heading, url, rounds, clients):
    threads = f" x {args.threads} threads" if args.threads > 1 else " (sync)"
    print(f"{heading}, {url.split(':')[0]} database, gunicorn with {args.workers} "
          f"workers{threads}, {args.rounds} rounds x {args.lifecycles} lifecycles per client, "
          f"{os.cpu_count()} CPUs")
    report(args.clients, rounds, clients)


def main():
    args = arguments(__doc__.split("\n")[0])
    url, rounds, clients = measure(args, fresh_database, Client, Memory().raw)
    print_figures(args, f"{PROCESS}: {STEPS} user tasks per lifecycle", url, rounds, clients)
    print("goal (1 client): >= 20 lifecycles/s, complete p95 < 25 ms; "
          "spiff-arena: 0.86 lifecycles/s, p95 120 ms")
    first = args.clients[0]
    print(f"ratio: {statistics.median(r[first] / r['raw'] for r in rounds):.4f}")


if __name__ == "__main__":
    main()
