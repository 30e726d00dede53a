"""The HTTP driver: the scenarios over the JSON API (design §8), end to end.

`HttpSession(url, source_root)` is what the plugin asks for with `--xuncha-driver http`:

- Without a URL it starts a *scenario server* (`python -m server.scenarios.scenario_server`)
  on a free loopback port: the product app (`create_app`, fake clock) on a SQLite database made
  once from the procedure under test (`init` and the demo users, password `demo`). Before every
  scenario the session asks it for a fresh app on a fresh copy of that database
  (`POST /_scenario/reset`), so each scenario starts, as it does in-process, at `CLOCK_START`
  with no inspections: the steps move the clock to dates in 2024–2026 in no particular order,
  and the fake clock only moves forward. After the scenario the server reports the flow nodes
  and flows its inspections ran (`GET /_scenario/executed/{id}`).
- With a URL it uses that server. A scenario server (started by hand) is reset as above; any
  other server (run with `XUNCHA_CLOCK=fake` and `flask demo` users) is shared: each scenario
  starts its own inspection, nothing is reset, so a scenario that sets the clock before the
  time an earlier one left it is refused ("时钟只能向前拨动"), and coverage is not reported.

The primitives map to the API as the table in `driver.py` says; every person logs in with
`POST /api/session` (a cookie session per person and scenario).
"""
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import requests

from .. import PROJECT_ROOT
from ..engine.bundle import load_bundle
from ..services.versions import read_source_tree
from .driver import Driver
from .records import Refusal

PASSWORD = "demo"
START_SECONDS = 120           # building the template database and importing the app
REQUEST_SECONDS = 60
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ServerUnavailable(RuntimeError):
    pass


class HttpSession:
    """Per run: the server (started here or given), the bundle under test for form titles."""

    def __init__(self, url, source_root):
        self.source_root = Path(source_root)
        self.bundle = load_bundle(read_source_tree(self.source_root))
        self.process = None
        self.log = None
        if url is None:
            url = self._start_server()
        self.url = url.rstrip("/")
        self.resettable = self._probe()

    def _start_server(self):
        self.log = tempfile.NamedTemporaryFile(prefix="xuncha-scenario-server-", suffix=".log",
                                               delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.scenarios.scenario_server", "--source",
             str(self.source_root)],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()       # "listening on URL" once it serves
        if not line.startswith("listening on "):
            self.process.kill()
            raise ServerUnavailable(f"场景服务器未能启动，日志：{self.log.name}\n"
                                    f"{Path(self.log.name).read_text(errors='replace')[-2000:]}")
        return line.split()[-1]

    def _probe(self):
        """A scenario server answers the reset; a product server does not (404)."""
        try:
            answer = requests.post(f"{self.url}/_scenario/reset", timeout=START_SECONDS)
        except requests.RequestException as exc:
            raise ServerUnavailable(f"无法连接 {self.url}：{exc}") from None
        return answer.status_code == 200

    def driver(self):
        if self.resettable:
            answer = requests.post(f"{self.url}/_scenario/reset", timeout=START_SECONDS)
            answer.raise_for_status()
        return HttpDriver(self)

    def close(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)
            self.process = None


def _time(value):
    return datetime.fromisoformat(value) if value else None


def _row(task):
    """A task row as the driver expects it (times as datetimes, the form's file name)."""
    row = dict(task, due_at=_time(task.get("due_at")))
    form = task.get("form_name")
    row["form"] = form if isinstance(form, str) else ""
    return row


class HttpDriver(Driver):
    def __init__(self, session):
        super().__init__(session.bundle)
        self.session = session
        self.url = session.url
        self.clients = {}           # username -> logged-in requests.Session
        self.task_names = {}        # task id -> name (for notifications)
        self.now_cache = None       # the clock as this scenario last set or read it

    # ---- transport ---------------------------------------------------------------------------
    def _client(self, username):
        client = self.clients.get(username)
        if client is None:
            client = requests.Session()
            answer = client.post(f"{self.url}/api/session", timeout=REQUEST_SECONDS,
                                 json={"username": username, "password": PASSWORD})
            if answer.status_code != 200:
                raise AssertionError(f"无法以 {username} 登录 {self.url}（{answer.status_code}）："
                                     f"{answer.text[:200]}；服务器须有演示用户（密码 demo）")
            self.clients[username] = client
        return client

    def _call(self, username, method, path, **kwargs):
        answer = self._client(username).request(method, f"{self.url}{path}",
                                                timeout=REQUEST_SECONDS, **kwargs)
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.status_code >= 400:
            if not isinstance(body, dict):
                raise AssertionError(f"{method} {path} → {answer.status_code}：{answer.text[:300]}")
            raise Refusal(body.get("error") or str(answer.status_code),
                          _UUID.sub("…", body.get("message") or ""),
                          {k: _UUID.sub("…", str(v)) for k, v in (body.get("fields") or {}).items()})
        return body

    # ---- primitives --------------------------------------------------------------------------
    def _start(self, username, target):
        return self._call(username, "POST", "/api/instances", json={"data": {"target": target}})["id"]

    def _inbox(self, username):
        found = self._call(username, "GET", "/api/tasks", params={"limit": 500})
        return [_row(t) for t in found["tasks"]]

    def _instance(self, username, instance_id):
        found = self._call(username, "GET", f"/api/instances/{instance_id}")
        found["tasks"] = [_row(t) for t in found.get("tasks", [])]
        return found

    def _task(self, username, task_id):
        found = self._call(username, "GET", f"/api/tasks/{task_id}")
        self.task_names[task_id] = found["name"]
        return {"form": found["form"], "data": found.get("data") or {}}

    def _complete(self, username, task_id, data):
        self._call(username, "POST", f"/api/tasks/{task_id}/complete", json={"data": data})

    def _set_clock(self, now):
        self._call("admin", "POST", "/api/admin/clock", json={"now": now.isoformat()})
        self.now_cache = now

    def _clock(self):
        # Only this scenario moves the clock, so what it set is what the server has.
        if self.now_cache is None:
            self.now_cache = _time(self._call("admin", "GET", "/api/admin/clock")["now"])
        return self.now_cache

    def _deadline(self, start, working_days):
        return self._call("office", "GET", "/api/calendar/deadline",
                          params={"start": start, "working_days": working_days})["due"]

    def _public_report(self, instance_id, report):
        self._call("office", "POST", f"/api/instances/{instance_id}/reports", json=report)

    def _correct(self, username, instance_id, changes):
        self._call(username, "POST", f"/api/instances/{instance_id}/corrections",
                   json={"changes": changes})

    def _notifications(self, username):
        found = self._call(username, "GET", "/api/notifications")["notifications"]
        return [{"kind": n["kind"], "message": n["message"], "instance_id": n["instance_id"],
                 "task_name": self._task_name(username, n.get("task_id"))}
                for n in reversed(found)]       # oldest first, as the in-process driver lists them

    def _task_name(self, username, task_id):
        if task_id and task_id not in self.task_names:
            self.task_names[task_id] = self._call(username, "GET", f"/api/tasks/{task_id}")["name"]
        return self.task_names.get(task_id)

    def _processes(self, username):
        return self._call(username, "GET", "/api/processes")["processes"]

    def _office(self, name, body):
        """A call of office_calls.py on the scenario server (the JSON API has no such routes)."""
        if not self.session.resettable:
            raise AssertionError(f"“{name}”只能在场景服务器上运行（/_scenario/office/{name}）")
        answer = requests.post(f"{self.url}/_scenario/office/{name}", json=body,
                               timeout=REQUEST_SECONDS)
        found = answer.json()
        if answer.status_code >= 400:
            raise Refusal(found.get("error") or str(answer.status_code),
                          _UUID.sub("…", found.get("message") or ""),
                          {k: _UUID.sub("…", str(v)) for k, v in (found.get("fields") or {}).items()})
        return found["result"]

    def _executed(self, instance_id):
        if not self.session.resettable:
            return {}
        answer = requests.get(f"{self.url}/_scenario/executed/{instance_id}",
                              timeout=REQUEST_SECONDS)
        answer.raise_for_status()
        return {pid: {"nodes": set(found["nodes"]), "flows": set(found["flows"])}
                for pid, found in answer.json()["processes"].items()}

    def close(self):
        for client in self.clients.values():
            client.close()
        self.clients.clear()
