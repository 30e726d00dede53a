"""The scenarios over the HTTP API, end to end (`scenarios run --driver http`).

The first test runs the whole behaviour suite against a live server on loopback, about a minute
and a half: it is part of `make test` on purpose (CI runs it), never skipped. The others run a
clause's scenarios against a scenario server started by hand and against a plain product server.
"""
import subprocess
import sys

import pytest

from server import PROJECT_ROOT
from server.scenarios import runner
from server.services import users
from server.services.context import unit_of_work
from server.services.demo import PASSWORD, demo_users
from tests.live_server import LiveServer
from tests.conftest import ROOT, build_app


def test_the_whole_suite_passes_over_http_against_a_live_server(tmp_path):
    result = runner.run(driver="http", out_dir=tmp_path / "run")
    failed = [(s["name"], s["failing_step"], s["message"]) for s in result.scenarios
              if s["status"] != "passed"]
    assert result.passed, failed or result.error
    assert result.counts["total"] >= 86
    coverage = result.coverage
    assert coverage["available"]
    for process, row in coverage["processes"].items():
        if row["reached"]:
            assert row["nodes_ratio"] >= 0.95, (process, row["uncovered_nodes"])
    assert coverage["totals"]["flows_ratio"] >= 0.9


@pytest.fixture
def scenario_server():
    process = subprocess.Popen(
        [sys.executable, "-m", "server.scenarios.scenario_server", "--source", str(PROJECT_ROOT)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    try:
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def test_a_scenario_server_given_by_url_is_reset_for_every_scenario(scenario_server, tmp_path):
    # The report deadline scenarios set the clock to 2024 and 2025 in no particular order.
    result = runner.run(driver="http", url=scenario_server, tags="R3.3.4", out_dir=tmp_path / "run")
    assert result.passed, [(s["name"], s["message"]) for s in result.scenarios if s["status"] != "passed"]
    assert result.coverage["available"]
    assert result.coverage["processes"]["inspection_report"]["nodes_ratio"] == 1.0


@pytest.fixture
def product_server(tmp_path):
    """A product server with the demo users, fake clock: shared by the scenarios (not reset)."""
    app = build_app(f"sqlite:///{tmp_path / 'shared.sqlite'}", ROOT, tmp_path)
    with unit_of_work(app.extensions["xuncha"]) as uow:
        for username, name, roles, org in demo_users():
            users.create_user(uow, username, PASSWORD, list(roles), org, name)
    with LiveServer(app) as server:
        yield server.url
    app.extensions["xuncha"].engine.dispose()


def test_a_shared_product_server_runs_scenarios_that_keep_the_clock(product_server, tmp_path):
    # The roster scenarios never set the clock: each starts its own inspection of 单县 on the
    # one database the server has, beside the inspections of the scenarios before it.
    result = runner.run(driver="http", url=product_server, tags="R2.1", out_dir=tmp_path / "run")
    assert result.passed, [(s["name"], s["message"]) for s in result.scenarios if s["status"] != "passed"]
    assert result.counts["total"] >= 8
    assert not result.coverage["available"]     # a product server does not tell what ran
