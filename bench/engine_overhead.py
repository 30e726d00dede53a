"""Engine overhead: the 11-user-task lifecycle in memory, with JSON round trips, and persisted.

    .venv/bin/python bench/engine_overhead.py [--lifecycles N] [--rounds R] [--database-url URL]

One run measures, on bench/eleven_tasks (11 sequential user tasks in the office lane):
  raw         parsed once, run in memory with `runtime.complete` (form validation included) and
              the same sandboxed XunchaScriptEngine the services use;
  spiff       the plain SpiffWorkflow calls (data.update, run, do_engine_steps), for reference;
  round trip  as raw, with `dump_state`/`load_state` around every completion (no database);
  persisted   `instances.start_instance`, then per task `tasks.complete_task` in its own
              `unit_of_work` (one transaction per request, as the web app does). The open task's
              id comes from a `tasks.list_tasks` request (its own unit of work) before each
              completion: "complete only" times the start and complete requests (a client that
              already has its inbox), "inbox + complete" adds the inbox requests.
Lifecycles of all kinds are interleaved one by one within each round; figures are medians over
rounds, and the last line is `ratio: X` = persisted (complete only) rate / raw rate, the median
of the per-round ratios. A step is one user task; ms/step = time per lifecycle (start incl.) / 11.
The database must be fresh: a PostgreSQL URL gets its schema `public` dropped and recreated.
"""
import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.engine import runtime  # noqa: E402
from server.engine.bundle import load_bundle  # noqa: E402
from server.engine.calendar import WorkingCalendar  # noqa: E402
from server.engine.environment import XunchaScriptEngine  # noqa: E402
from server.engine.serialization import dump_state, load_state  # noqa: E402
from server.services import instances, tasks, users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.setup import init_database  # noqa: E402
from server.services.versions import read_source_tree  # noqa: E402
from server.store.db import normalise_url  # noqa: E402

DIAGRAM = ROOT / "bench" / "eleven_tasks"
PROCESS = "eleven_tasks"
STEPS = 11
START_DATA = {"target": "shanxian"}
FORM_DATA = {"note": "已办理", "amount": 1}


class Memory:
    """The diagram parsed once and the script engine, as the services hold them."""

    def __init__(self):
        self.bundle = load_bundle(read_source_tree(DIAGRAM))
        self.spec, self.subprocess_specs = self.bundle.spec_for(PROCESS)
        self.script_engine = XunchaScriptEngine(WorkingCalendar())

    def next_task_id(self, workflow):
        return workflow.get_tasks(state=TaskState.READY, manual=True)[0].id

    def raw(self):
        workflow = runtime.start(self.bundle, PROCESS, START_DATA, self.script_engine)
        while not workflow.completed:
            runtime.complete(self.bundle, workflow, self.next_task_id(workflow), FORM_DATA)

    def spiff(self):
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(START_DATA)
        workflow.do_engine_steps()
        while not workflow.completed:
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(FORM_DATA)
            task.run()
            workflow.do_engine_steps()

    def round_trip(self):
        state = dump_state(runtime.start(self.bundle, PROCESS, START_DATA, self.script_engine))
        completed = False
        while not completed:
            workflow = load_state(state, self.spec, self.subprocess_specs, self.script_engine)
            runtime.complete(self.bundle, workflow, self.next_task_id(workflow), FORM_DATA)
            state, completed = dump_state(workflow), workflow.completed


def empty_postgres_schema(url):
    """A PostgreSQL URL's schema `public` dropped and recreated (a database of the benchmark's)."""
    if url.startswith("postgres"):
        engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


class Persisted:
    """An app on a fresh database with the diagram deployed, driven through the services."""

    def __init__(self, url):
        empty_postgres_schema(url)
        app = create_app({"DATABASE_URL": url, "CLOCK": "system", "SECRET_KEY": "bench",
                          "SOURCE_ROOT": DIAGRAM, "TESTING": True})
        self.services = app.extensions["xuncha"]
        init_database(self.services, DIAGRAM)
        with unit_of_work(self.services) as uow:
            users.create_user(uow, "office", "secret", ["office"])
            self.actor = users.actor_for(uow, "office")   # authentication is the web layer's

    def inbox(self):
        with unit_of_work(self.services) as uow:
            _, found = tasks.list_tasks(uow, self.actor, process=PROCESS, limit=10)
        return found

    def lifecycle(self):
        """One lifecycle; returns seconds spent in (start + complete requests, inbox requests)."""
        t0 = time.perf_counter()
        with unit_of_work(self.services) as uow:
            instances.start_instance(uow, self.actor, PROCESS, START_DATA)
        work, reading = time.perf_counter() - t0, 0.0
        for _ in range(STEPS):
            t0 = time.perf_counter()
            (task,) = self.inbox()          # only this instance is open: one task
            t1 = time.perf_counter()
            with unit_of_work(self.services) as uow:
                tasks.complete_task(uow, self.actor, task["id"], FORM_DATA)
            t2 = time.perf_counter()
            reading += t1 - t0
            work += t2 - t1
        assert not self.inbox(), "the lifecycle did not complete"
        return work, reading

    def close(self):
        self.services.engine.dispose()


LABELS = {"raw": "raw (runtime.complete)", "spiff": "spiff (plain engine calls)",
          "round trip": "round trip (dump/load, no db)",
          "complete only": "persisted, complete only",
          "inbox + complete": "persisted, inbox + complete"}


def measure_round(kinds, persisted, n):
    """n lifecycles of every kind, interleaved one by one so that drift hits all alike."""
    seconds = dict.fromkeys([*kinds, "complete only", "inbox + complete"], 0.0)
    gc.collect()
    for _ in range(n):
        for kind, function in kinds.items():
            start = time.perf_counter()
            function()
            seconds[kind] += time.perf_counter() - start
        work, reading = persisted.lifecycle()
        seconds["complete only"] += work
        seconds["inbox + complete"] += work + reading
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lifecycles", type=int, default=20, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        memory, persisted = Memory(), Persisted(url)
        kinds = {"raw": memory.raw, "spiff": memory.spiff, "round trip": memory.round_trip}
        measure_round(kinds, persisted, 5)                # warm up: imports, caches, pools
        rounds = [measure_round(kinds, persisted, args.lifecycles) for _ in range(args.rounds)]
        persisted.close()
    n = args.lifecycles
    print(f"{PROCESS}: {STEPS} user tasks per lifecycle, {url.split(':')[0]} database, "
          f"{args.rounds} rounds x {n} lifecycles of each kind, medians over rounds")
    for kind, label in LABELS.items():
        seconds = statistics.median(r[kind] for r in rounds)
        relative = statistics.median(r["raw"] / r[kind] for r in rounds)
        print(f"{label:<32}{n / seconds:7.1f} lifecycles/s {1000 * seconds / n / STEPS:7.3f} "
              f"ms/step {relative:6.3f} x raw")
    ratios = [r["raw"] / r["complete only"] for r in rounds]
    print("persisted/raw per round:", " ".join(f"{x:.3f}" for x in ratios))
    print(f"ratio: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
