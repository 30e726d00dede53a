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
  floor       as raw, and after each completion (untimed) only what persisting a step needs at
              the least in this design, timed: the projection, `dump_state`, the statements a
              completion cannot do without (read the task with its instance, write the state,
              close the task, open the next one, one audit row) on the driver connection, sent
              together as the services send them (store.writes: pipelined on PostgreSQL), COMMIT.
              No service code. `ceiling` = raw / (raw + floor): the best ratio any service code
              on this storage design could reach.
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
import uuid
from pathlib import Path
from types import SimpleNamespace

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
from server.engine.projection import project  # noqa: E402
from server.engine.serialization import dump_state, load_state  # noqa: E402
from server.services import instances, tasks, users  # noqa: E402
from server.services.context import INSERT_AUDIT, unit_of_work  # noqa: E402
from server.services.instances import INSERT_INSTANCE  # noqa: E402
from server.services.state import (  # noqa: E402
    COMPLETE_TASK, INSERT_TASK, TASK_COLUMNS, UPDATE_INSTANCE, stored_state)
from server.services.setup import init_database  # noqa: E402
from server.services.tasks import SELECT_TASK  # noqa: E402
from server.services.versions import active_version, read_source_tree  # noqa: E402
from server.store.db import normalise_url  # noqa: E402
from server.store.writes import Writes  # noqa: E402

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


def fresh_services(url, source_root, fake_start=None, secret="bench"):
    """An app's services on an emptied database with `source_root` deployed: on the fake clock
    from `fake_start` if given, else on the system clock."""
    empty_postgres_schema(url)
    app = create_app({"DATABASE_URL": url, "CLOCK": "fake" if fake_start else "system",
                      "SECRET_KEY": secret, "SOURCE_ROOT": source_root, "TESTING": True})
    services = app.extensions["xuncha"]
    init_database(services, source_root, fake_start=fake_start)
    return services


class Persisted:
    """An app on a fresh database with the diagram deployed, driven through the services."""

    def __init__(self, url):
        self.services = fresh_services(url, DIAGRAM)
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


class Floor:
    """The least persisting a step costs in this design, written directly on the driver: the
    services' own statements, with none of their logic. Its rows are an instance of process
    `floor` (outside the persisted lifecycles' inbox), whose open task each step closes."""

    def __init__(self, memory, persisted):
        self.memory, self.conn = memory, persisted.services.engine.connect()
        checkpointer = persisted.services.connections.checkpointer     # as after a request
        self.committed = checkpointer.committed if checkpointer else (lambda: None)
        self.sqlite = self.conn.dialect.name == "sqlite"
        self.instance_id, self.open_task, self.revision = "floor-instance", None, 1
        with unit_of_work(persisted.services) as uow:
            INSERT_INSTANCE.execute(uow.conn, {
                "id": self.instance_id, "process_id": "floor", "version_id": active_version(uow),
                "title": "floor", "organisation": None, "workflow_state": "{}",
                "next_due_at": None, "now": uow.now, "created_by": "office"})
            self.now = uow.now
            row = self._task_row()
            INSERT_TASK.execute(uow.conn, row)
            self.open_task = row["id"]

    def _task_row(self):
        return dict.fromkeys(TASK_COLUMNS) | {
            "id": str(uuid.uuid4()), "instance_id": self.instance_id, "bpmn_id": "step",
            "name": "floor", "process_id": "floor", "stage": "floor", "role": "office",
            "form": "step", "clauses": "", "state": "open", "provisional": False,
            "overdue": False, "created_at": self.now}

    def lifecycle(self):
        """A raw lifecycle, each step persisted at the floor; returns the seconds persisting."""
        memory, seconds = self.memory, 0.0
        workflow = runtime.start(memory.bundle, PROCESS, START_DATA, memory.script_engine)
        while not workflow.completed:
            runtime.complete(memory.bundle, workflow, memory.next_task_id(workflow), FORM_DATA)
            start = time.perf_counter()
            self.persist(workflow)
            seconds += time.perf_counter() - start
        return seconds

    def persist(self, workflow):
        conn = self.conn
        project(self.memory.bundle, workflow)
        state = stored_state(SimpleNamespace(conn=conn), workflow)
        driver = conn.connection.driver_connection
        if self.sqlite:
            driver.execute("BEGIN IMMEDIATE")
        SELECT_TASK.first(conn, {"id": self.open_task})
        writes, conflict, row = Writes(conn), RuntimeError("floor: conflict"), self._task_row()
        writes.execute(UPDATE_INSTANCE, {"id": self.instance_id, "revision": self.revision,
                                         "state": state, "new_revision": self.revision + 1,
                                         "new_state": "running", "now": self.now},
                       expect=1, error=conflict)
        writes.execute(COMPLETE_TASK, {"id": self.open_task, "now": self.now, "user": "office"},
                       expect=1, error=conflict)
        writes.execute_many(INSERT_TASK, [row])
        writes.execute(INSERT_AUDIT, {"at": self.now, "actor": "office",
                                      "action": "task.completed", "instance_id": self.instance_id,
                                      "task_id": self.open_task, "detail": {"data": FORM_DATA}})
        writes.flush()
        self.open_task = row["id"]
        driver.commit()
        self.committed()
        self.revision += 1

    def close(self):
        self.conn.close()


LABELS = {"raw": "raw (runtime.complete)", "spiff": "spiff (plain engine calls)",
          "round trip": "round trip (dump/load, no db)",
          "complete only": "persisted, complete only",
          "inbox + complete": "persisted, inbox + complete",
          "floor": "floor (persistence only)"}


def measure_round(kinds, persisted, floor, n):
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
    seconds["floor"] = sum(floor.lifecycle() for _ in range(n))
    return seconds


def arguments(description, lifecycles):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lifecycles", type=int, default=lifecycles, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    return parser.parse_args()


def print_rate(label, rounds, kind, n, steps):
    """One kind's line: its rate, time per step, and (median per round) its ratio to raw."""
    seconds = statistics.median(r[kind] for r in rounds)
    relative = statistics.median(r["raw"] / r[kind] for r in rounds)
    print(f"{label:<32}{n / seconds:7.1f} lifecycles/s {1000 * seconds / n / steps:7.3f} "
          f"ms/step {relative:6.3f} x raw")


def print_ratio(rounds, kind):
    """The last lines: `kind` against raw per round, and their median as `ratio:`."""
    ratios = [r["raw"] / r[kind] for r in rounds]
    print("persisted/raw per round:", " ".join(f"{x:.3f}" for x in ratios))
    print(f"ratio: {statistics.median(ratios):.3f}")


def main():
    args = arguments(__doc__.split("\n")[0], lifecycles=20)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        memory, persisted = Memory(), Persisted(url)
        floor = Floor(memory, persisted)
        kinds = {"raw": memory.raw, "spiff": memory.spiff, "round trip": memory.round_trip}
        measure_round(kinds, persisted, floor, 5)         # warm up: imports, caches, pools
        rounds = [measure_round(kinds, persisted, floor, args.lifecycles)
                  for _ in range(args.rounds)]
        floor.close()
        persisted.close()
    n = args.lifecycles
    print(f"{PROCESS}: {STEPS} user tasks per lifecycle, {url.split(':')[0]} database, "
          f"{args.rounds} rounds x {n} lifecycles of each kind, medians over rounds")
    for kind, label in LABELS.items():
        if kind == "floor":
            seconds = statistics.median(r[kind] for r in rounds)
            print(f"{label:<32}{'':21}{1000 * seconds / n / STEPS:7.3f} ms/step (beside raw)")
        else:
            print_rate(label, rounds, kind, n, STEPS)
    ceilings = [r["raw"] / (r["raw"] + r["floor"]) for r in rounds]
    print("ceiling raw/(raw+floor) per round:", " ".join(f"{x:.3f}" for x in ceilings),
          f"median {statistics.median(ceilings):.3f}")
    print_ratio(rounds, "complete only")


if __name__ == "__main__":
    main()
