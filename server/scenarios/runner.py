"""The reviewer's runner: the behaviour scenarios against a procedure, with a report.

    result = run(out_dir=folder)                            # processes/ and forms/ on disk
    result = run(bpmn_files=["draft/report.bpmn"], ...)     # a draft replacing some diagrams
    result = run(version=3, services=services, ...)         # a deployed version
    result = run(version=3, overrides={"forms/x.json": b"..."}, ...)   # draft files, same path
    result = run(driver="http", tags="R3.3.4", progress=print)

The procedure is copied into `out_dir/source` (a given BPMN file replaces the file that defines
the same process ids; a version's files are read from the database), then the suite runs in a
subprocess (`python -m pytest server/scenarios/suite.py -p server.scenarios.plugin …`), so a run
started from the web app cannot disturb the server. While it runs, `progress` receives one dict
per event (see runner_plugin.py: "collected", then "scenario" per scenario). The run directory
then holds cucumber.json, coverage.json, pytest.log, result.json (the RunResult), register.json
and report.html. `RunResult.passed` is true only when every selected scenario passed.
"""
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .. import PROJECT_ROOT
from ..engine.bundle import InvalidBundle, load_bundle
from ..engine.calendar import BEIJING
from ..engine.parser import read_xml
from ..services.versions import SOURCE_DIRS, read_source_tree
from . import register
from .coverage import BPMN, FLOW_NODES, Diagrams

SUITE = Path(__file__).with_name("suite.py")
MAIN_PROCESS = "safety_inspection"
DRIVERS = ("engine", "http")
DMN_DECISION = "decision"
TYPE_NAMES = {"startEvent": "开始事件", "endEvent": "结束事件", "intermediateThrowEvent": "中间事件",
              "intermediateCatchEvent": "中间捕获事件", "boundaryEvent": "边界事件",
              "exclusiveGateway": "排他网关", "parallelGateway": "并行网关",
              "inclusiveGateway": "包容网关", "eventBasedGateway": "事件网关",
              "callActivity": "调用活动", "subProcess": "子流程", "userTask": "用户任务",
              "scriptTask": "脚本任务", "businessRuleTask": "业务规则任务"}


class RunnerError(Exception):
    """The run cannot start: a file that defines no process, an unknown version, an invalid
    procedure. The message says what to do, in Chinese."""


@dataclass
class RunResult:
    passed: bool
    scenarios: list                 # {name, feature, clauses, status, failing_step, message, …}
    coverage: dict                  # see diagram_coverage()
    files: dict                     # name -> path in the run directory
    source: dict                    # what was tested: {"kind", "description", "replaced", …}
    driver: str
    tags: str | None = None
    exit_status: int = 0            # pytest's
    seconds: float = 0.0
    started_at: str = ""
    error: str | None = None        # why nothing (or not everything) ran
    counts: dict = field(default_factory=dict)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def load(cls, run_dir):
        return cls(**json.loads((Path(run_dir) / "result.json").read_text(encoding="utf-8")))


# ---- the procedure under test ------------------------------------------------------------------
def defined_ids(path, content=None):
    """The process ids a .bpmn file defines (decision ids for a .dmn file)."""
    try:
        root = read_xml(content if content is not None else Path(path).read_bytes())
    except Exception as exc:
        raise RunnerError(f"{Path(path).name} 不是有效的 XML：{exc}") from None
    wanted = DMN_DECISION if str(path).endswith(".dmn") else "process"
    return {element.get("id") for element in root.iter()
            if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == wanted
            and element.get("id")}


def replace_diagrams(root, files):
    """Put each given file in place of the file(s) under root/processes defining the same ids;
    a file defining ids no file defines is added. Answers [{"file", "replaces", "ids"}]."""
    processes = Path(root) / "processes"
    owners = {}
    for path in sorted(processes.glob("*.bpmn")) + sorted(processes.glob("*.dmn")):
        for found in defined_ids(path):
            owners[found] = path
    replaced = []
    for given in map(Path, files):
        if not given.is_file():
            raise RunnerError(f"找不到文件：{given}")
        ids = defined_ids(given)
        if not ids:
            kind = "决策（decision）" if given.suffix == ".dmn" else "流程（bpmn:process）"
            raise RunnerError(f"{given.name} 中没有定义任何{kind}，无法确定要替换哪个流程图")
        old = sorted({owners[i] for i in ids if i in owners})
        target = old[0] if len(old) == 1 else processes / given.name
        if target.exists() and target not in old:
            raise RunnerError(f"{given.name} 与 processes/{target.name} 同名，但定义的流程不同"
                              f"（{'、'.join(sorted(ids))}），请改名后再试")
        for path in old:
            path.unlink(missing_ok=True)
        shutil.copyfile(given, target)
        replaced.append({"file": str(given), "replaces": [p.name for p in old], "ids": sorted(ids),
                         "written_as": target.name})
    return replaced


def version_files(services, version):
    """{path: content} of a deployed version."""
    from sqlalchemy import select

    from ..services.context import unit_of_work
    from ..store import schema
    table = schema.version_files
    with unit_of_work(services) as uow:
        rows = uow.conn.execute(select(table.c.path, table.c.content)
                                .where(table.c.version_id == version)).all()
    if not rows:
        raise RunnerError(f"流程版本 {version} 不存在（可用 GET /api/processes 查看已部署的版本）")
    return {row.path: bytes(row.content) for row in rows}


def _write(target, name, content, origin):
    """Write one procedure file (`processes/x.bpmn`, `forms/y.json`) under target."""
    path = (target / name).resolve()
    if path.parent.parent != target.resolve() or path.parent.name not in SOURCE_DIRS:
        raise RunnerError(f"{origin}中有不安全的文件路径：{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return existed


def prepare_source(target, source=None, version=None, bpmn_files=(), services=None,
                   overrides=None):
    """Copy the procedure under test to `target` (processes/, forms/); describe it. `overrides`
    ({"forms/x.json": content, …}) replace the files of the same path (or are added)."""
    target = Path(target)
    if version is not None:
        if services is None:
            raise RunnerError("按版本运行需要数据库（应用的 DATABASE_URL）")
        for name, content in version_files(services, version).items():
            _write(target, name, content, f"版本 {version} ")
        description = {"kind": "version", "version": version, "description": f"已部署的流程版本 {version}"}
    else:
        base = Path(source or PROJECT_ROOT)
        for part in SOURCE_DIRS:
            shutil.copytree(base / part, target / part)
        description = {"kind": "disk", "root": str(base),
                       "description": f"{base / 'processes'}（磁盘上的流程）"}
    for part in SOURCE_DIRS:
        (target / part).mkdir(parents=True, exist_ok=True)
    if overrides:
        description["overrides"] = [
            {"file": name, "new": not _write(target, name, content, "草稿")}
            for name, content in sorted(overrides.items())]
    if bpmn_files:
        description["replaced"] = replace_diagrams(target, bpmn_files)
    if overrides or bpmn_files:
        description["kind"] = "draft"
        names = "、".join([Path(r["file"]).name for r in description.get("replaced", ())]
                         + [Path(f["file"]).name for f in description.get("overrides", ())])
        description["description"] += f"，以 {names} 替换"
    try:
        load_bundle(read_source_tree(target))
    except InvalidBundle as exc:
        problems = "\n".join(f"  {p.file} {p.element or ''}：{p.message}" for p in exc.problems)
        raise RunnerError(f"流程无法加载：\n{problems}") from None
    return description


# ---- running the suite -------------------------------------------------------------------------
def marker_expression(tags):
    """"R3.3.4", "@R3.3.4,@R4.3" or a pytest -m expression -> the -m expression."""
    if not tags:
        return None
    text = tags if isinstance(tags, str) else ",".join(tags)
    if any(word in text.split() for word in ("and", "or", "not")):
        return text.replace("@", "")
    parts = [p.strip().lstrip("@") for p in text.replace("，", ",").replace(" ", ",").split(",")]
    return " or ".join(p for p in parts if p)


def pytest_command(source_root, out, driver="engine", url=None, tags=None, features=None):
    command = [sys.executable, "-m", "pytest", str(SUITE), "-p", "server.scenarios.plugin",
               "-p", "server.scenarios.runner_plugin", "--xuncha-source", str(source_root),
               "--xuncha-driver", driver, "--cucumberjson", str(out / "cucumber.json"),
               "--xuncha-coverage", str(out / "coverage.json"), "-q", "-p", "no:cacheprovider",
               "-o", "addopts=", "--rootdir", str(PROJECT_ROOT)]
    if features:
        command += ["--xuncha-features", str(features)]
    if url:
        command += ["--xuncha-url", url]
    expression = marker_expression(tags)
    if expression:
        command += ["-m", expression]
    return command


def run_pytest(command, log_path, progress=None):
    """Run pytest with a progress pipe; (exit status, progress events)."""
    read_end, write_end = os.pipe()
    env = {**os.environ, "XUNCHA_PROGRESS_FD": str(write_end)}
    env.pop("DATABASE_URL", None)         # the drivers make their own databases
    events = []

    def follow(stream):
        with os.fdopen(stream, encoding="utf-8") as lines:
            for line in lines:
                event = json.loads(line)
                events.append(event)
                try:
                    if progress is not None:
                        progress(event)
                except Exception:       # keep draining the pipe, or pytest would block on it
                    logging.getLogger(__name__).exception("progress callback failed")

    with open(log_path, "w", encoding="utf-8") as log:
        try:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, pass_fds=(write_end,))
        finally:
            os.close(write_end)
        reader = threading.Thread(target=follow, args=(read_end,), daemon=True)
        reader.start()
        try:
            status = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        reader.join(timeout=10)
    return status, events


SCENARIO_KEYS = ("name", "feature", "feature_file", "line", "example", "clauses", "status",
                 "failing_step", "step_line", "message", "seconds", "nodeid")


def scenario_results(events):
    return [{key: event.get(key) for key in SCENARIO_KEYS}
            for event in events if event.get("event") == "scenario"]


EXIT_MESSAGES = {2: "运行被中断", 3: "pytest 内部错误", 4: "参数或流程有误，场景未能运行",
                 5: "没有符合条件的场景"}


def run(source=None, version=None, bpmn_files=(), driver="engine", url=None, tags=None,
        out_dir=None, progress=None, services=None, features=None, overrides=None):
    """Run the scenarios; write the run directory; answer a RunResult (see the module doc)."""
    if driver not in DRIVERS:
        raise RunnerError(f"未知的驱动：{driver}（可选 engine、http）")
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="xuncha-scenario-run-"))
    out.mkdir(parents=True, exist_ok=True)
    started, clock = datetime.now(BEIJING), time.perf_counter()
    if (out / "source").exists():           # a directory used before: nothing stale is read
        shutil.rmtree(out / "source")
    for name in ("cucumber.json", "coverage.json"):
        (out / name).unlink(missing_ok=True)
    described = prepare_source(out / "source", source, version, bpmn_files, services, overrides)
    if progress is not None:
        progress({"event": "prepared", "source": described["description"], "driver": driver})
    command = pytest_command(out / "source", out, driver, url, tags, features)
    status, events = run_pytest(command, out / "pytest.log", progress)
    scenarios = scenario_results(events)
    files = read_source_tree(out / "source")
    collected = _read_json(out / "coverage.json")
    if driver == "http" and url and not (collected or {}).get("processes"):
        collected = None            # a shared server does not tell what its instances ran
    coverage = diagram_coverage(files, collected)
    counts = {kind: sum(s["status"] == kind for s in scenarios)
              for kind in ("passed", "failed", "skipped")}
    counts["total"] = len(scenarios)
    error = EXIT_MESSAGES.get(status)
    if error and status != 5:
        error += "：\n" + _tail(out / "pytest.log")
    result = RunResult(
        passed=status == 0 and bool(scenarios) and counts["passed"] == len(scenarios),
        scenarios=scenarios, coverage=coverage, files={}, source=described, driver=driver,
        tags=marker_expression(tags), exit_status=status, seconds=round(time.perf_counter() - clock, 2),
        started_at=started.isoformat(), error=error, counts=counts)
    write_outputs(out, result, files, features)
    return result


def write_outputs(out, result, files, features=None):
    from . import report
    clause_register = register.build(features, result.scenarios, run=str(out))
    written = {"cucumber_json": "cucumber.json", "coverage": "coverage.json", "log": "pytest.log",
               "result": "result.json", "register": "register.json", "html": "report.html"}
    result.files = {name: str(out / file) for name, file in written.items()
                    if (out / file).exists() or name in ("result", "register", "html")}
    (out / "register.json").write_text(json.dumps(clause_register.to_dict(), ensure_ascii=False,
                                                  indent=1), encoding="utf-8")
    (out / "report.html").write_text(report.render(result, clause_register, files),
                                     encoding="utf-8")
    (out / "result.json").write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1),
                                     encoding="utf-8")


def _read_json(path):
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _tail(path, chars=3000):
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""


# ---- coverage of the diagrams --------------------------------------------------------------------
def _elements(files):
    """{process id: {"name", "file", "nodes": {id: (type, name)}, "flows": {id: (src, tgt, name)}}}"""
    found = {}
    for path, content in files.items():
        if not path.endswith(".bpmn"):
            continue
        for process in read_xml(content).iter(f"{BPMN}process"):
            entry = found.setdefault(process.get("id"), {
                "name": process.get("name") or process.get("id"), "file": path,
                "nodes": {}, "flows": {}})
            for element in process.iter():
                if element.tag in FLOW_NODES:
                    kind = element.tag.rsplit("}", 1)[1]
                    entry["nodes"][element.get("id")] = (TYPE_NAMES.get(kind, kind),
                                                         element.get("name") or "")
                elif element.tag == f"{BPMN}sequenceFlow":
                    entry["flows"][element.get("id")] = (element.get("sourceRef"),
                                                         element.get("targetRef"),
                                                         element.get("name") or "")
    return found


def _ratio(part, whole):
    return round(part / whole, 4) if whole else 1.0


def diagram_coverage(files, collected, main=MAIN_PROCESS):
    """Flow nodes and sequence flows per process: totals from the diagrams, covered from the
    run's coverage file (None: not collected, e.g. against a shared HTTP server). Processes
    reached from `main` count in the totals; others are listed with reached = False."""
    elements, reached = _elements(files), set(Diagrams(files).reachable(main))
    ran = (collected or {}).get("processes", {})
    processes = {}
    for pid, entry in sorted(elements.items(), key=lambda item: (item[0] not in reached, item[0])):
        nodes_ran = set(ran.get(pid, {}).get("nodes", ())) & set(entry["nodes"])
        flows_ran = set(ran.get(pid, {}).get("flows", ())) & set(entry["flows"])
        names = {node: name or kind for node, (kind, name) in entry["nodes"].items()}
        processes[pid] = {
            "name": entry["name"], "file": entry["file"], "reached": pid in reached,
            "nodes_total": len(entry["nodes"]), "nodes_covered": len(nodes_ran),
            "nodes_ratio": _ratio(len(nodes_ran), len(entry["nodes"])),
            "flows_total": len(entry["flows"]), "flows_covered": len(flows_ran),
            "flows_ratio": _ratio(len(flows_ran), len(entry["flows"])),
            "covered_nodes": sorted(nodes_ran), "covered_flows": sorted(flows_ran),
            "uncovered_nodes": [{"id": node, "type": kind, "name": name}
                                for node, (kind, name) in sorted(entry["nodes"].items())
                                if node not in nodes_ran],
            "uncovered_flows": [{"id": flow, "name": name, "source": source, "target": target,
                                 "label": f"{names.get(source, source)} → {names.get(target, target)}"}
                                for flow, (source, target, name) in sorted(entry["flows"].items())
                                if flow not in flows_ran]}
    main_tree = [row for pid, row in processes.items() if pid in reached]
    totals = {key: sum(row[key] for row in main_tree)
              for key in ("nodes_total", "nodes_covered", "flows_total", "flows_covered")}
    totals["nodes_ratio"] = _ratio(totals["nodes_covered"], totals["nodes_total"])
    totals["flows_ratio"] = _ratio(totals["flows_covered"], totals["flows_total"])
    return {"available": collected is not None, "main": main, "processes": processes,
            "totals": totals}
