"""The real procedure: whole inspections through the services against the raw engine, one run.

    .venv/bin/python bench/regulation_overhead.py [--lifecycles N] [--rounds R] [--database-url URL]

A lifecycle is one inspection of 单县 on `processes/` (safety_inspection and its six stage
subprocesses), from its start to its archive: 22 user tasks done by the people the regulation
names, with the form samples of `server/services/samples.py` (the happy path of
tests/integration/test_inspection_lifecycle.py: preparation, entry, implementation, report,
feedback, rectification accepted, disclosure). The clock is fixed at 2025-06-02 09:00 (Beijing),
so every deadline lies ahead and no timer fires.
  raw         the bundle parsed once, run in memory with `runtime.start`/`complete` (form
              validation included), the task found by name among the ready user tasks, and the
              same sandboxed XunchaScriptEngine, calendar and clock the services use;
  persisted   `instances.start_instance`, then per task `tasks.complete_task`, each in its own
              `unit_of_work` (one transaction per request, as the web app does), by an actor of
              the task's role (roster members, the 单县 liaison ...). The task's id is read
              untimed beforehand, as a client that already has its inbox.
Both kinds are interleaved one by one within each round; figures are medians over rounds, and
the last line is `ratio: X` = persisted rate / raw rate, the median of the per-round ratios.
ms/step = time per lifecycle (start included) / 22.
A PostgreSQL URL gets its schema `public` dropped and recreated.
"""
import copy
import gc
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_overhead import arguments, fresh_services, print_rate, print_ratio  # noqa: E402
from server.engine import runtime  # noqa: E402
from server.engine.bundle import load_bundle  # noqa: E402
from server.engine.environment import XunchaScriptEngine  # noqa: E402
from server.services import instances, tasks, users  # noqa: E402
from server.services.context import unit_of_work  # noqa: E402
from server.services.demo import demo_users  # noqa: E402
from server.services.samples import SAMPLES  # noqa: E402
from server.services.versions import read_source_tree  # noqa: E402
from server.store import schema  # noqa: E402

PROCESS = "safety_inspection"
NOW = datetime.fromisoformat("2025-06-02T09:00:00+08:00")
START_DATA = {"target": "shanxian"}
# (user, task, values beside the form's sample): the demo users (server/services/demo.py).
STEPS = [
    ("office", "制定巡查工作方案", {}), ("office", "拟定巡查组名单", {}),
    ("commission_leader", "审批巡查组名单", {}), ("office", "发送巡查告知书", {}),
    ("target_shanxian", "签收巡查告知书", {}), ("office", "组织集中培训", {}),
    ("team_leader", "发布巡查公告", {}),
    ("team_member1", "登记巡查工作记录", {}),
    ("team_leader", "审核巡查记录", {"fieldwork_done": True, "fieldwork_end": "2025-09-26"}),
    ("team_leader", "提交巡查工作报告", {}), ("office", "汇总巡查报告", {}),
    ("commission_leader", "审阅巡查报告", {}),
    ("team_leader", "印发反馈意见书", {}),
    ("target_shanxian", "签收反馈意见书", {"feedback_received_date": "2025-10-31"}),
    ("target_shanxian", "报送整改情况", {}), ("office", "审核整改情况", {"verdict": "accepted"}),
    ("office", "起草巡查结果", {}), ("commission_leader", "审定巡查结果", {}),
    ("office", "公布巡查结果", {}), ("office", "通报市委组织部", {}),
    ("org_dept", "签收巡查结果通报", {}), ("office", "归档巡查资料", {}),
]


def form_data(form, values):
    return copy.deepcopy(SAMPLES[form]) | values


class Persisted:
    """An app on a fresh database with processes/ deployed and the demo users."""

    def __init__(self, url):
        self.services = fresh_services(url, ROOT, fake_start=NOW)
        with unit_of_work(self.services) as uow:
            for username, name, roles, org in demo_users():
                users.create_user(uow, username, "bench", list(roles), org, name)
        with unit_of_work(self.services) as uow:   # authentication is the web layer's
            self.actors = {name: users.actor_for(uow, name) for name, *_ in demo_users()}
            self.calendar = uow.calendar

    def open_task(self, instance_id, name):
        t = schema.human_tasks
        with self.services.engine.connect() as conn:
            return conn.execute(select(t.c.id, t.c.form).where(
                t.c.instance_id == instance_id, t.c.name == name, t.c.state == "open")).one()

    def lifecycle(self):
        """One inspection; returns the seconds spent in its start and complete requests."""
        t0 = time.perf_counter()
        with unit_of_work(self.services) as uow:
            instance_id = instances.start_instance(uow, self.actors["office"], PROCESS,
                                                   START_DATA)
        seconds = time.perf_counter() - t0
        for username, name, values in STEPS:
            task = self.open_task(instance_id, name)
            data = form_data(task.form, values)
            t0 = time.perf_counter()
            with unit_of_work(self.services) as uow:
                tasks.complete_task(uow, self.actors[username], task.id, data)
            seconds += time.perf_counter() - t0
        with unit_of_work(self.services) as uow:
            found = instances.get_instance(uow, self.actors["office"], instance_id)
        assert found["state"] == "completed", "the inspection did not complete"
        return seconds

    def close(self):
        self.services.engine.dispose()


class Memory:
    """The bundle parsed once, the services' calendar, a script engine on the fixed clock."""

    def __init__(self, calendar):
        self.bundle = load_bundle(read_source_tree(ROOT))
        self.script_engine = XunchaScriptEngine(calendar, clock=lambda: NOW)

    def lifecycle(self):
        t0 = time.perf_counter()
        start = dict(START_DATA, target_name="单县")     # as start_instance completes it
        workflow = runtime.start(self.bundle, PROCESS, start, self.script_engine)
        for _username, name, values in STEPS:
            (task,) = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                       if t.task_spec.bpmn_name == name]
            form = self.bundle.task_meta(task).form
            runtime.complete(self.bundle, workflow, task.id, form_data(form, values))
        assert workflow.completed, "the inspection did not complete"
        return time.perf_counter() - t0


def measure_round(memory, persisted, n):
    seconds = {"raw": 0.0, "persisted": 0.0}
    gc.collect()
    for _ in range(n):
        seconds["raw"] += memory.lifecycle()
        seconds["persisted"] += persisted.lifecycle()
    return seconds


def main():
    args = arguments(__doc__.split("\n")[0], lifecycles=10)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        persisted = Persisted(url)
        memory = Memory(persisted.calendar)
        measure_round(memory, persisted, 3)              # warm up: imports, caches, pools
        rounds = [measure_round(memory, persisted, args.lifecycles) for _ in range(args.rounds)]
        persisted.close()
    n, steps = args.lifecycles, len(STEPS)
    print(f"{PROCESS}: {steps} user tasks per lifecycle, {url.split(':')[0]} database, "
          f"{args.rounds} rounds x {n} lifecycles of each kind, medians over rounds")
    print_rate("raw (runtime.complete)", rounds, "raw", n, steps)
    print_rate("persisted (start + complete)", rounds, "persisted", n, steps)
    print_ratio(rounds, "persisted")


if __name__ == "__main__":
    main()
