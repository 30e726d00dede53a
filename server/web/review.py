"""Compliance review pages (/review): run the behaviour scenarios against a deployed version or
uploaded draft diagrams, follow a run, read its results per clause with the diagrams' coverage,
the clause register, and the history of runs per version. Reviewers, process owners, the office
and admins; the scenario_runs service does the work."""
from pathlib import PurePosixPath

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import login_required

from ..engine.calendar import BEIJING
from ..scenarios import register
from ..scenarios.register import CATEGORY_NAMES, RESULT_NAMES
from ..services import access, scenario_results, scenario_runs, scenario_work, versions
from ..services.context import unit_of_work
from ..services.errors import InvalidInput
from .api.scenario_runs import whole_number
from .auth import actor, services

bp = Blueprint("review", __name__, template_folder="templates", static_folder="static",
               static_url_path="/review/assets")
STATES = {"queued": "排队中", "running": "运行中", "passed": "全部通过", "failed": "未通过",
          "error": "运行出错"}
STATUS = {"passed": "通过", "failed": "未通过", "skipped": "跳过"}


def init_app(app):
    app.register_blueprint(bp)
    scenario_work.configure(app.extensions["xuncha"], app.config.get("SCENARIO_RUNS_MAX", 1))


@bp.before_request
@login_required
def _reviewers_only():
    access.require_role(actor(), *scenario_runs.REVIEW_ROLES)


@bp.context_processor
def helpers():
    return {"states": STATES, "status_names": STATUS, "result_names": RESULT_NAMES,
            "category_names": CATEGORY_NAMES, "when": when}


def when(value):
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""


@bp.get("/review")
def index(errors=None, status=200):
    with unit_of_work(services()) as uow:
        deployed = versions.list_versions(uow)
    runs = scenario_runs.list_runs(services(), limit=200)
    latest = {}
    for run in runs:                    # newest first: the first of a version is its latest
        if run["kind"] == "version":
            latest.setdefault(run["version_id"], run)
    return render_template("review/index.html", versions=deployed[::-1], latest=latest,
                           runs=runs[:20], errors=errors or {}, form=request.form), status


@bp.post("/review/runs")
def start():
    uploads = [f for f in request.files.getlist("files") if f.filename]
    arguments = {"tags": request.form.get("tags") or None, "label": request.form.get("label", "")}
    try:
        if request.form.get("kind") == "draft":
            arguments["files"] = {f.filename: f.read() for f in uploads}
            arguments["version_id"] = whole_number(request.form.get("base"), "version")
        else:
            arguments["version_id"] = whole_number(request.form.get("version"), "version")
            if arguments["version_id"] is None:
                raise InvalidInput("请选择要运行的流程版本", {"version": "请选择流程版本"})
        run_id = scenario_runs.start_run(services(), actor(), **arguments)
    except InvalidInput as exc:
        return index(errors={"message": exc.message, "fields": exc.fields}, status=422)
    return redirect(url_for(".show", run_id=run_id))


@bp.get("/review/runs/<int:run_id>")
def show(run_id):
    run = scenario_runs.get_run(services(), run_id)
    result = run["result"]
    clauses = sorted((result.get("clauses") or {}).items(),
                     key=lambda item: (not item[1]["failed"], item[0]))
    failing = {}
    for scenario in result.get("scenarios") or ():
        if scenario["status"] == "failed":
            for clause_id in _clause_ids(scenario):
                failing.setdefault(clause_id, []).append(scenario)
    return render_template("review/run.html", run=run, result=result, clauses=clauses,
                           failing=failing, diagrams=_diagrams(run),
                           finished=run["state"] in scenario_runs.FINAL)


def _clause_ids(scenario):
    titles = scenario_results.clause_titles()
    return [titles.get(tag, (tag,))[0] for tag in scenario.get("clauses") or ["（未标注条款）"]]


def _diagrams(run):
    """The diagrams of the processes the run reached, with markers: the main process, those
    the draft changed, then the most covered first."""
    coverage = run["result"].get("coverage") or {}
    if not coverage.get("available"):
        return []
    shown = {}
    for pid, row in coverage["processes"].items():
        if not row["reached"]:
            continue
        entry = shown.setdefault(row["file"], {"file": row["file"], "names": [],
                                               "covered": [], "uncovered": []})
        entry["names"].append(row["name"])
        entry["covered"] += row["covered_nodes"] + row["covered_flows"]
        entry["uncovered"] += [n["id"] for n in row["uncovered_nodes"]]
        entry["uncovered"] += [f["id"] for f in row["uncovered_flows"]]
    for entry in shown.values():
        entry["name"] = PurePosixPath(entry["file"]).name
    main = (coverage["processes"].get(coverage.get("main")) or {}).get("file")
    changed = set(run["files"]) | {f"processes/{item['written_as']}" for item in
                                   (run["result"].get("source") or {}).get("replaced", ())}
    order = sorted(shown, key=lambda file: (file != main, file not in changed,
                                            -len(shown[file]["covered"]), file))
    return [shown[file] for file in order]


@bp.get("/review/runs/<int:run_id>/diagrams/<name>")
def diagram(run_id, name):
    run = scenario_runs.get_run(services(), run_id)
    xml = scenario_runs.tested_diagrams(services(), run).get(f"processes/{name}")
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=300"})


@bp.get("/review/versions/<int:version_id>")
def history(version_id):
    with unit_of_work(services()) as uow:
        found = [v for v in versions.list_versions(uow) if v["id"] == version_id]
    if not found:
        abort(404)
    runs = scenario_runs.list_runs(services(), version_id=version_id)
    return render_template("review/history.html", version=found[0], runs=runs)


@bp.get("/review/register")
def clause_register():
    """Every clause with the scenarios tagged with it, the last result of the latest full run
    against the active version, and the gaps."""
    latest = next((run for run in scenario_runs.list_runs(services(), limit=200)
                   if run["kind"] == "version" and run["state"] in ("passed", "failed")
                   and not run["result"]["tags"]), None)
    if latest is not None:
        data = scenario_runs.get_run(services(), latest["id"])["result"]["register"]
    else:
        data = register.build().to_dict()
    return render_template("review/register.html", register=data, latest=latest)
