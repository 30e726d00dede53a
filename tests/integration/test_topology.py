"""The production topology on loopback: gunicorn with two web workers and two timer workers
sharing one database (SQLite here, PostgreSQL in CI's second pass)."""
import os
import subprocess

import pytest
import requests

from tests.conftest import MINI, Desk, build_app
from tests.subprocesses import NO_CONTROL_SOCKET, VENV_BIN, free_port, wait_until


@pytest.fixture
def topology(database_url, tmp_path):
    app = build_app(database_url, MINI, tmp_path, clock_mode="system")
    Desk(app).add_user("office", "office")
    url = app.config["DATABASE_URL"]
    app.extensions["xuncha"].engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "XUNCHA_CLOCK": "system",
           "XUNCHA_SECRET_KEY": "topology-test", "XUNCHA_LOG_FORMAT": "json"}
    processes = [subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "30", *NO_CONTROL_SOCKET, "server:create_app()"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "w"))]
    processes += [subprocess.Popen(
        [str(VENV_BIN / "flask"), "--app", "server", "worker", "--poll-seconds", "0.2"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{base}/healthz", timeout=2).ok, 30, "gunicorn")
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def test_web_workers_and_timer_workers_share_the_work(topology):
    office = requests.Session()
    assert office.post(f"{topology}/api/session", timeout=5,
                       json={"username": "office", "password": "secret"}).ok
    answer = office.post(f"{topology}/api/instances", timeout=5,
                         json={"process": "wait", "data": {"target": "单县"}})
    assert answer.status_code == 201
    instance_id = answer.json()["id"]

    def task_arrived():     # the 2-second timer is fired by one of the timer workers
        return office.get(f"{topology}/api/tasks", timeout=5).json()["total"] == 1
    wait_until(task_arrived, 15, "the timer worker to fire the timer")
    task = office.get(f"{topology}/api/tasks", timeout=5).json()["tasks"][0]
    assert task["name"] == "计时后办理"
    done = office.post(f"{topology}/api/tasks/{task['id']}/complete", timeout=5,
                       json={"data": {}})
    assert done.status_code == 200
    detail = office.get(f"{topology}/api/instances/{instance_id}", timeout=5).json()
    assert detail["state"] == "completed"
    assert requests.get(f"{topology}/healthz", timeout=5).json() == {"status": "ok"}
    metrics = requests.get(f"{topology}/metrics", timeout=5).text
    assert 'xuncha_instances{state="completed"} 1' in metrics
