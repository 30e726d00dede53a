"""Scenario runs: the behaviour scenarios against a deployed version or a draft, for reviewers
and for the deployment gate.

    run_id = start_run(services, actor, version_id=3)                        # a deployed version
    run_id = start_run(services, actor, files={"inspection_report.bpmn": xml})  # a draft
    get_run(services, run_id)  -> {id, state, total, done, version_id, draft_id, label,
                                   created_by, created_at, finished_at, kind, files, result}
    wait_for(services, run_id, timeout=300)
    list_runs(services, version_id=3)

Draft files (path or file name -> bytes or str) are laid over a deployed version (the given one,
else the active one): a file whose path (processes/x.bpmn, forms/y.json; a bare name goes to the
folder of its kind) the version has replaces it; a diagram (.bpmn, .dmn) of another name replaces
the diagram defining the same process or decision ids. The input is checked before anything is
written (a 422 with a message per file); the run itself happens in the background
(scenario_work.py). `state`: queued, running, passed, failed or error. `result` of a finished
run: scenarios (feature, name, clauses, status, failing_step, message, …), clauses ({clause id:
{title, passed, failed, skipped}}), coverage (per process: covered and uncovered flow nodes and
sequence flows), register (every clause with its scenarios and gaps), source, counts, error.
"""
import json
import re
import tempfile
import time
from pathlib import Path, PurePosixPath

from sqlalchemy import insert, select

from ..scenarios import runner
from ..store import schema
from . import access, scenario_work
from .context import unit_of_work
from .errors import Conflict, InvalidInput, NotFound
from .versions import active_version

R = schema.scenario_runs
REVIEW_ROLES = ("reviewer", "process_owner", "office", "admin")
FINAL = ("passed", "failed", "error")
FOLDERS = {".bpmn": "processes", ".dmn": "processes", ".json": "forms"}
MAX_FILES = 30
MAX_FILE_BYTES = 2 * 1024 * 1024
TAGS = re.compile(r"[A-Za-z0-9.@,，()\s–-]*")      # clause ids, and/or/not, commas
COLUMNS = (R.c.id, R.c.state, R.c.total, R.c.done, R.c.version_id, R.c.draft_id, R.c.label,
           R.c.created_by, R.c.created_at, R.c.finished_at, R.c.files, R.c.result)


def is_id(value):
    """A row id: a positive integer the database columns can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 31


# ---- starting ----------------------------------------------------------------------------------
def start_run(services, actor, *, version_id=None, files=None, draft_id=None, label="",
              tags=None) -> int:
    """Check the input, record a queued run (audited) and queue it; answer its id. `draft_id`
    only labels the run (a process owner's draft it checks); `tags` limits the run to the
    scenarios of some clauses ("R3.3.4" or "R3.3.4, R4.3")."""
    access.require_role(actor, *REVIEW_ROLES)
    label, tags = _text(label, "label", 200), _text(tags, "tags", 200) or None
    if tags and not TAGS.fullmatch(tags):
        raise InvalidInput("条款筛选有误", {"tags": "请填写条款编号，如 R3.3.4 或 R3.3.4, R4.3"})
    if draft_id is not None and not is_id(draft_id):
        raise InvalidInput("草稿编号须为正整数", {"draft": "须为正整数"})
    if files is None and version_id is None:
        raise InvalidInput("请选择要运行的流程版本，或上传草稿流程图",
                           {"version": "请选择流程版本", "files": "或上传草稿文件"})
    if scenario_work.executor(services).is_full():
        raise Conflict("等待运行的场景过多，请等前面的运行结束后再试")
    draft = check_files(files) if files is not None else None
    version_id = _existing_version(services, version_id)
    if draft is not None:
        _check_procedure(services, version_id, draft)
    partial = {**scenario_work.owner_stamp(), "tags": tags}
    with unit_of_work(services) as uow:
        run_id = uow.conn.execute(insert(R).values(
            created_at=uow.now, created_by=actor.username, version_id=version_id,
            draft_id=draft_id, label=label, state="queued", total=0, done=0, result=partial,
            files={p: c.decode("utf-8") for p, c in draft.items()} if draft else None,
        ).returning(R.c.id)).scalar_one()
        uow.audit(actor, "scenario_run.started", run=run_id, version=version_id,
                  draft=draft_id, files=sorted(draft or ()), tags=tags, label=label)
        plan = scenario_work.Plan(run_id, version_id, draft, tags)
        uow.after_commit.append(
            lambda: scenario_work.executor(services).submit(plan, partial))
    return run_id


def _text(value, field, limit):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("输入有误", {field: "须为文本"})
    if len(value.strip()) > limit:
        raise InvalidInput("输入有误", {field: f"不超过 {limit} 个字符"})
    return value.strip()


def _existing_version(services, version_id):
    """The given deployed version (422 when there is none such), or the active one."""
    with unit_of_work(services) as uow:
        if version_id is None:
            try:
                return active_version(uow)
            except NotFound as exc:
                raise InvalidInput(exc.message, {"version": exc.message}) from None
        if not is_id(version_id):
            raise InvalidInput("流程版本须为正整数", {"version": "须为正整数"})
        t = schema.process_versions
        if uow.conn.execute(select(t.c.id).where(t.c.id == version_id)).first() is None:
            raise InvalidInput(f"流程版本 {version_id} 不存在", {
                "version": f"流程版本 {version_id} 不存在（GET /api/processes 列出已部署的版本）"})
    return version_id


def check_files(files):
    """{"processes/x.bpmn" | "forms/y.json": bytes} from draft files, each checked alone
    (InvalidInput with a message per file, field `files/<name>`)."""
    if not isinstance(files, dict) or not files:
        raise InvalidInput("请上传至少一个草稿文件（.bpmn 流程图，也可含 .dmn 决策表、.json 表单）",
                           {"files": "请选择文件"})
    if len(files) > MAX_FILES:
        raise InvalidInput("文件过多", {"files": f"一次最多 {MAX_FILES} 个文件"})
    checked, problems = {}, {}
    for name, content in files.items():
        path, problem = _check_file(str(name), content)
        if problem is None and path in checked:
            problem = "与另一个文件同名"
        if problem:
            problems[f"files/{PurePosixPath(str(name)).name or name}"] = problem
        else:
            checked[path] = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if problems:
        raise InvalidInput("草稿文件有误：" + "；".join(f"{k.removeprefix('files/')}：{v}"
                                                    for k, v in problems.items()), problems)
    return checked


def _check_file(name, content):
    """(normalised path, None) or (None, what is wrong in Chinese)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in FOLDERS or base.startswith("."):
        return None, "只接受 .bpmn 流程图、.dmn 决策表和 .json 表单文件"
    if not isinstance(content, (bytes, bytearray, str)):
        return None, "文件内容须为文本"
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(data) > MAX_FILE_BYTES:
        return None, f"文件过大（不超过 {MAX_FILE_BYTES // 1024 // 1024} MB）"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "须为 UTF-8 编码的文本文件"
    return f"{FOLDERS[suffix]}/{base}", (_form_problem(data) if suffix == ".json"
                                          else _diagram_problem(base, data))


def _diagram_problem(name, data):
    try:
        ids = runner.defined_ids(name, data)
    except runner.RunnerError as exc:
        return str(exc)
    if not ids:
        return ("不是可解析的决策表：没有定义任何决策（decision）" if name.lower().endswith(".dmn")
                else "不是可解析的流程图：没有定义任何流程（bpmn:process）")
    return None


def _form_problem(data):
    try:
        form = json.loads(data)
    except ValueError as exc:
        return f"不是有效的 JSON：{exc}"
    if not isinstance(form, dict) or not isinstance(form.get("schema"), dict):
        return "不是表单文件：须为含 schema 的 JSON 对象"
    return None


def _check_procedure(services, version_id, draft):
    """The version with the draft laid over it must load, as the run will load it."""
    with tempfile.TemporaryDirectory(prefix="xuncha-draft-check-") as folder:
        diagrams, overrides = scenario_work.runner_arguments(services, version_id, draft,
                                                             Path(folder) / "draft")
        try:
            runner.prepare_source(Path(folder) / "source", version=version_id,
                                  bpmn_files=diagrams, services=services, overrides=overrides)
        except runner.RunnerError as exc:
            raise InvalidInput("草稿流程无法运行：" + str(exc), {"files": str(exc)}) from None


# ---- reading -----------------------------------------------------------------------------------
def _rows(services, where, limit=None):
    query = select(*COLUMNS).where(*where).order_by(R.c.id.desc())
    with unit_of_work(services) as uow:
        rows = uow.conn.execute(query.limit(limit) if limit else query).all()
    if scenario_work.settle(services, rows):
        with unit_of_work(services) as uow:
            rows = uow.conn.execute(query.limit(limit) if limit else query).all()
    return rows


def _run_dict(row, result):
    return {"id": row.id, "state": row.state, "total": row.total, "done": row.done,
            "version_id": row.version_id, "draft_id": row.draft_id, "label": row.label,
            "created_by": row.created_by, "created_at": row.created_at,
            "finished_at": row.finished_at, "kind": "draft" if row.files else "version",
            "files": sorted(row.files or ()), "result": result}


def get_run(services, run_id) -> dict:
    """One run with its result (while running: the scenarios finished so far)."""
    if not is_id(run_id):
        raise NotFound(f"场景运行 {run_id} 不存在")
    rows = _rows(services, [R.c.id == run_id])
    if not rows:
        raise NotFound(f"场景运行 {run_id} 不存在")
    row = rows[0]
    result = {k: v for k, v in (row.result or {}).items() if k not in ("owner", "heartbeat")}
    return _run_dict(row, result)


def list_runs(services, version_id=None, draft_id=None, limit=100):
    """Runs, newest first; `result` is a summary: passed, counts, failed_clauses, error."""
    where = [R.c.version_id == version_id] if version_id is not None else []
    where += [R.c.draft_id == draft_id] if draft_id is not None else []
    return [_run_dict(row, _summary(row.result or {})) for row in _rows(services, where, limit)]


def _summary(result):
    return {"passed": result.get("passed"), "counts": result.get("counts"),
            "error": result.get("error"), "tags": result.get("tags"),
            "failed_clauses": sorted(cid for cid, c in (result.get("clauses") or {}).items()
                                     if c.get("failed"))}


def wait_for(services, run_id, timeout=300.0, poll_seconds=0.2):
    """The run once it has finished (passed, failed or error); TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(services, run_id)
        if run["state"] in FINAL:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"scenario run {run_id} still {run['state']} after {timeout} s")
        time.sleep(poll_seconds)


def tested_diagrams(services, run):
    """{path: BPMN XML} of the procedure a run tested (a `get_run` dict): the version's
    diagrams with the draft's in place of those they replaced."""
    with unit_of_work(services) as uow:
        draft = uow.conn.execute(select(R.c.files).where(R.c.id == run["id"])).scalar() or {}
    found = {path: content.decode("utf-8")
             for path, content in runner.version_files(services, run["version_id"]).items()
             if path.endswith(".bpmn")}
    source = run["result"].get("source") or {}
    for item in source.get("replaced", ()):
        for old in item["replaces"]:
            found.pop(f"processes/{old}", None)
        content = draft.get(f"processes/{item['file']}")
        if content is not None:
            found[f"processes/{item['written_as']}"] = content
    found.update({item["file"]: draft[item["file"]] for item in source.get("overrides", ())
                  if item["file"].endswith(".bpmn") and item["file"] in draft})
    return found
