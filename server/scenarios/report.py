"""The HTML report of a scenario run (`report.html` in the run directory).

Per clause (the register) and per scenario (the failing step and why, in the steps' words), the
coverage tables with the uncovered elements named, and every diagram of the procedure drawn by
bpmn-js NavigatedViewer with its elements marked `covered` or `uncovered`. The BPMN XML is in the
page; the viewer script is loaded from `assets`: by default the project's node_modules (a file
URL, for opening the report on this machine), or `/vendor/bpmn-js` when the app serves the page
(`render_run(run_dir, assets="/vendor/bpmn-js")`).
"""
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import PROJECT_ROOT
from ..services.versions import read_source_tree
from .register import RESULT_NAMES

TEMPLATES = Path(__file__).with_name("templates")
VIEWER_DIST = PROJECT_ROOT / "node_modules" / "bpmn-js" / "dist"
APP_ASSETS = "/vendor/bpmn-js"
STATUS_NAMES = {**RESULT_NAMES, "skipped": "跳过"}

_environment = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                           autoescape=select_autoescape(["html"]))


def default_assets():
    return VIEWER_DIST.as_uri() if VIEWER_DIST.is_dir() else APP_ASSETS


def _diagrams(coverage, files):
    """One entry per .bpmn file: its XML and the ids to mark."""
    by_file = {}
    for pid, row in coverage["processes"].items():
        entry = by_file.setdefault(row["file"], {"file": row["file"], "names": [],
                                                 "covered": [], "uncovered": []})
        entry["names"].append(row["name"])
        if coverage["available"]:
            entry["covered"] += row["covered_nodes"] + row["covered_flows"]
            entry["uncovered"] += [n["id"] for n in row["uncovered_nodes"]]
            entry["uncovered"] += [f["id"] for f in row["uncovered_flows"]]
    diagrams = []
    for path in sorted(by_file, key=lambda p: (p != _main_file(coverage), p)):
        entry = by_file[path]
        diagrams.append({"file": path, "title": "、".join(entry["names"]),
                         "xml": files[path].decode("utf-8") if isinstance(files[path], bytes)
                         else files[path],
                         "covered": entry["covered"], "uncovered": entry["uncovered"]})
    return diagrams


def _main_file(coverage):
    main = coverage["processes"].get(coverage.get("main"))
    return main["file"] if main else None


def _by_feature(scenarios):
    grouped = {}
    for scenario in scenarios:
        grouped.setdefault(scenario["feature"] or "（未知功能）", []).append(scenario)
    return list(grouped.items())


def render(result, clause_register, files, assets=None):
    """The report as HTML. `result` a RunResult (or its dict), `clause_register` a Register (or
    its dict), `files` the procedure's {path: content}."""
    result = result if isinstance(result, dict) else result.to_dict()
    register = clause_register if isinstance(clause_register, dict) else clause_register.to_dict()
    template = _environment.get_template("report.html")
    return template.render(
        result=result, register=register, coverage=result["coverage"],
        scenarios_by_feature=_by_feature(result["scenarios"]),
        diagrams=_diagrams(result["coverage"], files), result_names=STATUS_NAMES,
        assets=(assets or default_assets()).rstrip("/"))


def render_run(run_dir, assets=APP_ASSETS):
    """Render a finished run's report again, e.g. for a page of the app."""
    run_dir = Path(run_dir)
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    register = json.loads((run_dir / "register.json").read_text(encoding="utf-8"))
    return render(result, register, read_source_tree(run_dir / "source"), assets)
