"""Progress of a scenario run, for the runner (`-p server.scenarios.runner_plugin`).

Writes one JSON object per line to the file descriptor named by `XUNCHA_PROGRESS_FD` (a pipe the
runner reads while pytest runs): `{"event": "collected", "total": n}` once the scenarios are
selected, then per scenario `{"event": "scenario", "index", "total", "nodeid", "name", "feature",
"feature_file", "line", "example", "clauses", "status", "failing_step", "step_line", "message",
"seconds"}`. Without the variable it does nothing.
"""
import json
import os

import pytest

ENV = "XUNCHA_PROGRESS_FD"


def _channel(config):
    channel = getattr(config, "_xuncha_progress", None)
    if channel is None and os.environ.get(ENV):
        channel = os.fdopen(int(os.environ[ENV]), "w", encoding="utf-8", buffering=1)
        config._xuncha_progress = channel
        config._xuncha_progress_count = 0
    return channel


def _emit(config, event):
    channel = _channel(config)
    if channel is not None:
        channel.write(json.dumps(event, ensure_ascii=False) + "\n")


def pytest_collection_finish(session):
    session.config._xuncha_progress_total = len(session.items)
    _emit(session.config, {"event": "collected", "total": len(session.items)})


def _scenario(item):
    from pytest_bdd.scenario import scenario_wrapper_template_registry
    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example") if callspec else None
    return {
        "nodeid": item.nodeid,
        "name": template.name if template else item.name,
        "feature": template.feature.name if template else "",
        "feature_file": template.feature.rel_filename if template else "",
        "line": template.line_number if template else None,
        "example": "、".join(map(str, example.values())) if example else None,
        "clauses": [mark.args[0] for mark in item.iter_markers("clause")],
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # One event per scenario: at its call, or at a set-up that failed or skipped it.
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _report(item, report, call)


def _report(item, report, call):
    config = item.config
    if _channel(config) is None:
        return
    config._xuncha_progress_count += 1
    failed = getattr(item, "_xuncha_failed_step", None) if report.failed else None
    if failed:
        step, exception = failed
        failing_step, step_line, message = f"{step.keyword} {step.name}", step.line_number, str(exception)
    elif report.failed:
        failing_step, step_line = None, None
        message = str(call.excinfo.value) if call.excinfo else report.longreprtext[-2000:]
    else:
        failing_step = step_line = message = None
    status = "passed" if report.passed else "skipped" if report.skipped else "failed"
    _emit(config, {"event": "scenario", "index": config._xuncha_progress_count,
                   "total": getattr(config, "_xuncha_progress_total", None), **_scenario(item),
                   "status": status, "failing_step": failing_step, "step_line": step_line,
                   "message": message, "seconds": round(call.duration, 3)})


def pytest_unconfigure(config):
    channel = getattr(config, "_xuncha_progress", None)
    if channel is not None:
        channel.close()
