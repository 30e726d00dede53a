"""pytest plugin for the behaviour scenarios: `pytest … -p server.scenarios.plugin`.

Options:
  --xuncha-source DIR     the procedure to test: a directory with processes/ and forms/
                          (default: the installed project's own)
  --xuncha-features DIR   the .feature files (default: the project's features/)
  --xuncha-driver NAME    engine (in-process, default) or http
  --xuncha-url URL        the server the http driver talks to
  --xuncha-coverage FILE  write {"processes": {id: {"nodes": [...], "flows": [...]}}} at the end

Clause tags (@R3.3.4) become pytest markers of the same name, so `-m R3.3.4` or
`-m "R3.3.4 or R3.3.5b"` selects scenarios by clause. A failing scenario's report names its
clauses and the step that failed; the terminal summary lists the clauses that do not hold.
"""
import json
import time
from pathlib import Path

import pytest

from .. import PROJECT_ROOT
from ..engine.bundle import InvalidBundle
from . import glossary, steps
from .coverage import Diagrams, as_json, merge, summary

SECTION = "巡查场景"


def pytest_addoption(parser):
    group = parser.getgroup("xuncha", "巡查场景（behaviour scenarios）")
    group.addoption("--xuncha-source", default=None, metavar="DIR",
                    help="directory with processes/ and forms/ to test (default: the project's)")
    group.addoption("--xuncha-features", default=None, metavar="DIR",
                    help="directory with the .feature files (default: the project's features/)")
    group.addoption("--xuncha-driver", default="engine", choices=("engine", "http"),
                    help="run in-process on the services (engine) or over the HTTP API (http)")
    group.addoption("--xuncha-url", default=None, metavar="URL", help="server URL for --xuncha-driver http")
    group.addoption("--xuncha-coverage", default=None, metavar="FILE",
                    help="write the flow nodes and sequence flows the scenarios ran as JSON")


def source_root(config):
    return Path(config.getoption("xuncha_source") or PROJECT_ROOT).resolve()


def features_dir(config=None):
    """The features to collect (suite.py asks this while pytest collects it)."""
    if config is None:
        from pytest_bdd.utils import CONFIG_STACK
        config = CONFIG_STACK[-1] if CONFIG_STACK else None
    chosen = config.getoption("xuncha_features", None) if config is not None else None
    return Path(chosen or PROJECT_ROOT / "features").resolve()


def pytest_configure(config):
    config.addinivalue_line("markers", "clause(id): 场景所检验的制度条款")
    try:
        glossary.configure(source_root(config))
    except InvalidBundle as exc:
        problems = "\n".join(f"  {p.file} {p.element or ''}：{p.message}" for p in exc.problems)
        raise pytest.UsageError(f"{source_root(config)} 中的流程无法加载：\n{problems}") from None
    except OSError as exc:
        raise pytest.UsageError(f"无法读取流程目录 {source_root(config)}：{exc}") from None
    for module in steps.MODULES:
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, f"xuncha-{module.__name__}")
    config._xuncha = {"coverage": {}, "failures": [], "scenarios": {"passed": 0, "failed": 0},
                      "wall": 0.0, "cpu": 0.0}


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag, function):
    if not glossary.is_clause_tag(tag):
        return None
    from pytest_bdd.utils import CONFIG_STACK
    if CONFIG_STACK:
        CONFIG_STACK[-1].addinivalue_line("markers", f"{tag}: 条款 {tag}")
    getattr(pytest.mark, tag)(function)
    pytest.mark.clause(tag)(function)
    return True


@pytest.fixture(scope="session")
def xuncha_session(pytestconfig):
    """One per run: the template database (engine) or the server connection (http)."""
    if pytestconfig.getoption("xuncha_driver") == "http":
        try:
            from .http_driver import HttpSession
        except ImportError as exc:
            raise pytest.UsageError(f"HTTP 驱动无法加载（需要 requests：pip install -e '.[test]'）：{exc}")
        session = HttpSession(pytestconfig.getoption("xuncha_url"), source_root(pytestconfig))
    else:
        from .engine_driver import EngineSession
        session = EngineSession(source_root(pytestconfig))
    yield session
    session.close()


@pytest.fixture
def scenario_driver(xuncha_session, pytestconfig):
    """A driver for one scenario, on its own state."""
    driver = xuncha_session.driver()
    yield driver
    try:
        if pytestconfig.getoption("xuncha_coverage"):
            merge(pytestconfig._xuncha["coverage"], driver.executed())
    finally:
        driver.close()


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    # After a given step the state is one other scenarios are likely to start from.
    if step.type == "given" and "scenario_driver" in request.fixturenames:
        request.getfixturevalue("scenario_driver").checkpoint()


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    request.node._xuncha_failed_step = (step, exception)


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    request.node._xuncha_failed_step = (step, exception)


def _is_scenario(item):
    from pytest_bdd.scenario import scenario_wrapper_template_registry
    return getattr(item, "obj", None) in scenario_wrapper_template_registry


def _clauses(item):
    return [mark.args[0] for mark in item.iter_markers("clause")]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Time spent on scenarios (set-up, steps, tear-down), apart from other tests in the run."""
    started = (time.perf_counter(), time.process_time())
    yield
    state = getattr(item.config, "_xuncha", None)
    if state is not None and _is_scenario(item):
        state["wall"] += time.perf_counter() - started[0]
        state["cpu"] += time.process_time() - started[1]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and _is_scenario(item):
        counts = item.config._xuncha["scenarios"]
        counts["failed" if report.failed else "passed"] += 1
    failed = getattr(item, "_xuncha_failed_step", None)
    if report.when != "call" or not report.failed or failed is None:
        return
    step, exception = failed
    clauses = _clauses(item)
    titles = "；".join(f"{c} {glossary.CLAUSES.get(c, ('',))[0]}" for c in clauses)
    text = (f"条款：{titles or '（未标注）'}\n"
            f"失败步骤：{step.keyword} {step.name}（第 {step.line_number} 行）\n"
            f"原因：{exception}")
    if hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection(SECTION, text)
    else:
        report.sections.append((SECTION, text))
    item.config._xuncha["failures"].append(
        {"scenario": getattr(item, "originalname", item.name), "nodeid": item.nodeid,
         "clauses": clauses, "step": f"{step.keyword} {step.name}", "line": step.line_number,
         "reason": str(exception)})


def pytest_terminal_summary(terminalreporter, config):
    state = getattr(config, "_xuncha", None)
    if state is None:
        return
    counts, wall, cpu = state["scenarios"], state["wall"], state["cpu"]
    if counts["passed"] + counts["failed"]:
        terminalreporter.write_line(
            f"巡查场景：{counts['passed'] + counts['failed']} 个，通过 {counts['passed']} 个，"
            f"未通过 {counts['failed']} 个；用时 {wall:.1f} 秒（CPU {cpu:.1f} 秒）")
    if state["failures"]:
        terminalreporter.section("未通过的条款")
        by_clause = {}
        for failure in state["failures"]:
            for clause in failure["clauses"] or ["（未标注）"]:
                by_clause.setdefault(clause, []).append(failure)
        for clause in sorted(by_clause):
            title = glossary.CLAUSES.get(clause, ("",))[0]
            terminalreporter.write_line(f"{clause} {title}")
            for failure in by_clause[clause]:
                terminalreporter.write_line(f"    {failure['nodeid']}")
                terminalreporter.write_line(f"      失败步骤：{failure['step']}（第 {failure['line']} 行）")
    if config.getoption("xuncha_coverage", None) and state["coverage"]:
        diagrams = Diagrams(_files(config))
        found = summary(state["coverage"], diagrams)
        terminalreporter.write_line(
            f"流程节点覆盖：{found['run']}/{found['total']}（{found['ratio']:.1%}）")


def _files(config):
    from ..services.versions import read_source_tree
    return read_source_tree(source_root(config))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    path = config.getoption("xuncha_coverage", None)
    state = getattr(config, "_xuncha", None)
    if path and state is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(as_json(state["coverage"]), ensure_ascii=False, indent=1),
                              encoding="utf-8")
