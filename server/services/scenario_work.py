"""The background side of scenario runs: a queue per app, worker threads that call the runner
(which runs pytest in a subprocess), progress and heartbeats written to the run's row, and
runs whose owner died marked as interrupted.

At most `max_parallel` runs execute at once in a process (the machine has few cores); the others
wait in a FIFO queue. While a run is queued or running here, its `result` holds the owner
(host, pid), a heartbeat (epoch seconds, real time even under the fake clock) and the scenarios
finished so far. A run whose heartbeat is older than STALE_SECONDS, or whose owner process on
this host is gone, can never finish: reads mark it `error` (see settle()).
"""
import json
import logging
import os
import socket
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import update

from ..scenarios import runner
from ..store import schema
from .context import SYSTEM, unit_of_work
from .scenario_results import compact_scenario, summarise

R = schema.scenario_runs
ACTIVE = ("queued", "running")
MAX_WAITING = 5             # queued runs per process beyond which new runs are refused
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0
HOST = socket.gethostname()
INTERRUPTED = "运行已中断：执行该运行的服务器进程已退出（例如重启），请重新运行"
log = logging.getLogger(__name__)


@dataclass
class Plan:
    run_id: int
    version_id: int
    draft: dict | None          # {"processes/x.bpmn" | "forms/y.json": bytes} or None
    tags: str | None


def owner_stamp():
    """What a queued run's `result` starts with: who runs it, and a fresh heartbeat."""
    return {"owner": {"host": HOST, "pid": os.getpid()}, "heartbeat": time.time(),
            "scenarios": []}


def runner_arguments(services, version_id, draft, folder):
    """(bpmn_files, overrides) for runner.run / prepare_source. A draft file whose path the
    version has replaces that file; a diagram of a new name (written to `folder`) replaces the
    diagram defining the same process or decision ids; a new form is added."""
    if not draft:
        return [], None
    existing = runner.version_files(services, version_id)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    diagrams, overrides = [], {}
    for path, content in sorted(draft.items()):
        if path.startswith("processes/") and path not in existing:
            target = folder / PurePosixPath(path).name
            target.write_bytes(content)
            diagrams.append(target)
        else:
            overrides[path] = content
    return diagrams, overrides or None


class Executor:
    """The queue and worker threads of one app (one Services)."""

    def __init__(self, services, max_parallel=1):
        self.services = services
        self.max_parallel = max_parallel
        self.lock = threading.Lock()          # pending, workers, progress, beating
        self.write_lock = threading.Lock()    # one writer of partial results at a time
        self.pending = deque()
        self.workers = 0
        self.progress = {}                    # run id -> partial result (queued/running here)
        self.beating = False

    def is_full(self):
        with self.lock:
            return len(self.pending) >= MAX_WAITING

    def submit(self, plan, partial):
        with self.lock:
            self.pending.append(plan)
            self.progress[plan.run_id] = partial
            if self.workers < self.max_parallel:
                self.workers += 1
                self._thread(self._work, "scenario-run")
            if not self.beating:
                self.beating = True
                self._thread(self._beat, "scenario-heartbeat")

    @staticmethod
    def _thread(target, name):
        threading.Thread(target=target, name=name, daemon=True).start()

    def _work(self):
        while True:
            with self.lock:
                if not self.pending:
                    self.workers -= 1
                    return
                plan = self.pending.popleft()
            try:
                self._execute(plan)
            finally:
                with self.lock:
                    self.progress.pop(plan.run_id, None)

    def _beat(self):
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with self.lock:
                running = list(self.progress)
                if not running:
                    self.beating = False
                    return
            for run_id in running:
                self._save(run_id)

    def _save(self, run_id, **values):
        """Write the partial result (with a fresh heartbeat) and `values` while still active."""
        with self.write_lock:
            partial = self.progress.get(run_id)
            if partial is None:
                return
            partial["heartbeat"] = time.time()
            try:
                with unit_of_work(self.services) as uow:
                    uow.conn.execute(update(R).where(R.c.id == run_id, R.c.state.in_(ACTIVE))
                                     .values(result=json.loads(json.dumps(partial)), **values))
            except Exception:       # a missed heartbeat or progress line is not worth a crash
                log.exception("could not record the progress of scenario run %s", run_id)

    def _on_event(self, run_id, event):
        kind = event.get("event")
        if kind == "collected":
            self._save(run_id, total=event.get("total") or 0)
        elif kind == "scenario":
            partial = self.progress.get(run_id)
            if partial is not None:
                partial["scenarios"].append(compact_scenario(event))
                self._save(run_id, done=len(partial["scenarios"]))

    def _execute(self, plan):
        self._save(plan.run_id, state="running")
        try:
            with tempfile.TemporaryDirectory(prefix="xuncha-scenario-run-") as folder:
                diagrams, overrides = runner_arguments(self.services, plan.version_id,
                                                       plan.draft, Path(folder) / "draft")
                out = Path(folder) / "out"
                result = runner.run(version=plan.version_id, bpmn_files=diagrams,
                                    overrides=overrides,
                                    tags=plan.tags, out_dir=out, services=self.services,
                                    progress=lambda event: self._on_event(plan.run_id, event))
                clause_register = json.loads((out / "register.json").read_text(encoding="utf-8"))
            stored = summarise(result.to_dict(), clause_register)
            state = ("passed" if result.passed else
                     "failed" if result.counts.get("failed") else "error")
        except runner.RunnerError as exc:
            stored, state = {"error": str(exc), "scenarios": []}, "error"
        except Exception as exc:        # the run fails, the worker goes on with the queue
            log.exception("scenario run %s failed", plan.run_id)
            stored, state = {"error": f"运行出错：{exc}", "scenarios": []}, "error"
        finish(self.services, plan.run_id, state, stored)


def finish(services, run_id, state, stored):
    with unit_of_work(services) as uow:
        values = {"state": state, "result": stored, "finished_at": uow.now}
        if stored.get("counts"):
            values.update(total=stored["counts"].get("total", 0),
                          done=stored["counts"].get("total", 0))
        uow.conn.execute(update(R).where(R.c.id == run_id).values(**values))
        uow.audit(SYSTEM, "scenario_run.finished", run=run_id, state=state,
                  counts=stored.get("counts"))


_create = threading.Lock()


def executor(services):
    """The app's executor (kept on its Services), made on first use."""
    with _create:
        found = getattr(services, "scenario_executor", None)
        if found is None:
            found = services.scenario_executor = Executor(services)
        return found


def configure(services, max_parallel):
    executor(services).max_parallel = max(1, int(max_parallel))


# ---- runs whose owner died ---------------------------------------------------------------------
def _alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, TypeError, ValueError):
        return True
    return True


def is_stale(row):
    if row.state not in ACTIVE:
        return False
    info = row.result or {}
    if time.time() - float(info.get("heartbeat") or 0) > STALE_SECONDS:
        return True
    owner = info.get("owner") or {}
    return owner.get("host") == HOST and not _alive(owner.get("pid"))


def settle(services, rows):
    """Mark the stale runs among `rows` as error; answer their ids (the caller re-reads)."""
    stale = [row.id for row in rows if is_stale(row)]
    if stale:
        with unit_of_work(services) as uow:
            for run_id in stale:
                changed = uow.conn.execute(
                    update(R).where(R.c.id == run_id, R.c.state.in_(ACTIVE)).values(
                        state="error", finished_at=uow.now,
                        result={"error": INTERRUPTED, "scenarios": []})).rowcount
                if changed:
                    uow.audit(SYSTEM, "scenario_run.interrupted", run=run_id)
    return stale
