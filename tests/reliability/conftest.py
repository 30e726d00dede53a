"""Fault tests run the product as it is deployed: gunicorn and `flask worker` as subprocesses on a
free loopback port, against a database of the test's own (SQLite, or PostgreSQL when
DATABASE_URL is set, through tests/conftest.py's `database_url`, so CI's `-m db` pass reruns them).

Every subprocess gets its own process group: a kill -9 reaches gunicorn's master and its workers
at once, and teardown kills whatever is left even when the test failed."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import MINI, Desk, build_app
from tests.subprocesses import NO_CONTROL_SOCKET, VENV_BIN, free_port, wait_until  # noqa: F401

SECRET = "reliability-test"


class Processes:
    """The web server and timer workers of one test, on one database."""

    def __init__(self, folder, database_url, clock):
        self.folder = Path(folder)
        self.env = {**os.environ, "DATABASE_URL": database_url, "XUNCHA_CLOCK": clock,
                    "XUNCHA_SECRET_KEY": SECRET}
        self.started = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_log = self.folder / "gunicorn.log"

    def _spawn(self, args, log):
        process = subprocess.Popen(args, env=self.env, cwd=self.folder, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=open(log, "a"))
        self.started.append(process)
        return process

    def web(self, workers=2):
        """gunicorn on this test's port (the same one again after a kill); waits until healthy."""
        process = self._spawn([str(VENV_BIN / "gunicorn"), "--workers", str(workers),
                               "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                               *NO_CONTROL_SOCKET, "server:create_app()"], self.web_log)
        wait_until(lambda: requests.get(f"{self.url}/healthz", timeout=2).ok, 60,
                   "gunicorn to answer /healthz", self.web_log)
        return process

    def worker(self, poll_seconds=0.2):
        log = self.folder / f"worker-{len(self.started)}.log"
        process = self._spawn([str(VENV_BIN / "flask"), "--app", "server", "worker",
                               "--poll-seconds", str(poll_seconds)], log)
        process.log = log
        return process

    @staticmethod
    def kill(process, sig=signal.SIGKILL):
        """Signal the process's whole group (gunicorn's master and workers) and reap it."""
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(process)
            try:        # a gunicorn worker orphaned by its master's death is in the same group
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def processes_for(tmp_path):
    """processes_for(database_url, clock) -> Processes; all of them stopped at teardown."""
    made = []

    def make(database_url, clock="system"):
        made.append(Processes(tmp_path, database_url, clock))
        return made[-1]
    yield make
    for processes in made:
        processes.stop_all()


@pytest.fixture
def mini_db_for(tmp_path):
    """mini_db_for(database_url, clock) -> app: the mini procedure deployed on that database,
    users office1..8 and leader; its connections closed at teardown."""
    made = []

    def make(database_url, clock="system"):
        made.append(build_app(database_url, MINI, tmp_path, clock_mode=clock))
        desk = Desk(made[-1])
        for number in range(1, 9):
            desk.add_user(f"office{number}", "office")
        desk.add_user("leader", "team_leader")
        return made[-1]
    yield make
    for app in made:
        app.extensions["xuncha"].engine.dispose()


@pytest.fixture
def mini_db(database_url, mini_db_for):
    return mini_db_for(database_url)


def log_in(base_url, username):
    session = requests.Session()
    answer = session.post(f"{base_url}/api/session", timeout=10,
                          json={"username": username, "password": "secret"})
    assert answer.status_code == 200, answer.text
    return session
