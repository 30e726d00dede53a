"""A deployable bundle: the BPMN diagrams and forms of one version, parsed and validated once.

Bundles are immutable and cached by content hash, so every instance of a version shares one
parsed spec (parsing costs milliseconds; deserializing a spec per request would dominate).
"""
import hashlib
import threading
from dataclasses import dataclass
from typing import Mapping

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from lxml.etree import LxmlError

from . import roles
from .decisions import decision_code
from .expressions import spec_code
from .form_lint import convention_problems
from .forms import FormError, parse_form
from .graph import graph_problems
from .parser import UnsafeXml, XunchaParser, read_xml
from .sandbox import SandboxViolation, check_source


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle, pinned to a file and, where known, an element."""
    file: str
    element: str | None
    message: str

    def to_dict(self):
        return {"file": self.file, "element": self.element, "message": self.message}


class InvalidBundle(ValueError):
    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.file} {p.element or ''}: {p.message}" for p in self.problems))


@dataclass(frozen=True)
class TaskMeta:
    bpmn_id: str
    name: str
    process_id: str
    stage: str
    role: str
    form: str
    clauses: tuple
    organisation_field: str


@dataclass(frozen=True)
class TimerMeta:
    bpmn_id: str
    process_id: str
    kind: str            # "deadline", "reminder" or "" for a plain timer
    attached_to: str | None


class Bundle:
    def __init__(self, files, content_hash, specs, forms, tasks, timers, process_names,
                 decisions=None, properties=None):
        self.files = files
        self.content_hash = content_hash
        self.specs = specs                  # process id -> (spec, subprocess specs)
        self.forms = forms                  # form file name -> Form
        self.tasks = tasks                  # (process id, bpmn id) -> TaskMeta
        self.timers = timers                # (process id, bpmn id) -> TimerMeta
        self.process_names = process_names  # process id -> name
        self.decisions = decisions or {}    # decision id -> DMN engine
        self.properties = properties or {}  # process id -> {name: value} (process extensions)

    def regulation(self, process_id):
        """R0.1, R5: the regulation a process implements, from its extension properties
        `regulation`, `regulationAdopted`, `regulationAdoptedBy` and `regulationVersion`; None when it names none."""
        found = self.properties.get(process_id) or {}
        if not found.get("regulation"):
            return None
        return {"name": found["regulation"], "adopted": found.get("regulationAdopted"),
                "adopted_by": found.get("regulationAdoptedBy"),
                "version": found.get("regulationVersion")}

    def spec_for(self, process_id):
        try:
            return self.specs[process_id]
        except KeyError:
            raise KeyError(f"no process {process_id!r} in this version") from None

    def task_meta(self, task):
        return self.tasks.get((task.workflow.spec.name, task.task_spec.bpmn_id))

    def timer_meta(self, task):
        return self.timers.get((task.workflow.spec.name, task.task_spec.bpmn_id))


def content_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path] + b"\0")
    return digest.hexdigest()


_CACHE: dict[str, Bundle] = {}
_CACHE_LOCK = threading.Lock()


def load_bundle(files: Mapping[str, bytes]) -> Bundle:
    """Parse and validate `{"processes/x.bpmn": bytes, "forms/y.json": bytes}`; cached by hash."""
    key = content_hash(files)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    bundle = _build(dict(files), key)
    with _CACHE_LOCK:
        return _CACHE.setdefault(key, bundle)


def _build(files, key):
    problems = []
    forms = _parse_forms(files, problems)
    parser = _parse_diagrams(files, problems)
    properties = _process_properties(files) if parser else {}
    specs, names = _build_specs(parser, problems) if parser else ({}, {})
    decisions = _build_decisions(parser, problems) if parser else {}
    _check_form_decisions(forms, decisions, problems)
    _check_read_first(forms, problems)
    tasks, timers = _index(specs, names, forms, problems)
    if problems:
        raise InvalidBundle(problems)
    return Bundle(files, key, specs, forms, tasks, timers, names, decisions, properties)


def _parse_forms(files, problems):
    forms = {}
    for path, content in files.items():
        if path.startswith("forms/") and path.endswith(".json"):
            name = path.removeprefix("forms/")
            try:
                forms[name] = parse_form(name, content)
            except FormError as exc:
                problems.append(Problem(path, None, str(exc)))
                continue
            problems.extend(Problem(path, p.path, p.message)
                            for p in convention_problems(content, roles.ROLES))
            for source in forms[name].rule_sources():
                _check(problems, path, None, source, "eval")
    return forms


def _parse_diagrams(files, problems):
    parser = XunchaParser()
    paths = sorted(p for p in files if p.endswith((".bpmn", ".dmn")))
    if not any(p.endswith(".bpmn") for p in paths):
        problems.append(Problem("processes/", None, "没有流程图"))
        return None
    for path in paths:
        try:
            root = read_xml(files[path])
            if path.endswith(".dmn"):
                parser.add_dmn_xml(root, path)
                continue
            parser.validator.validate(root, path)
            parser.add_bpmn_xml(root, path)
            problems.extend(Problem(path, p.element, p.message) for p in graph_problems(root))
        except (UnsafeXml, LxmlError) as exc:
            problems.append(Problem(path, None, f"XML 无效：{exc}"))
        except ValidationException as exc:
            problems.append(_from_validation(exc, path))
    return None if problems else parser


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _process_properties(files):
    """The `spiffworkflow:properties` of each process element (SpiffWorkflow 3.2 reads extension
    properties of tasks only): {process id: {name: value}}. The diagrams parsed already."""
    found = {}
    for path in sorted(p for p in files if p.endswith(".bpmn")):
        root = read_xml(files[path])
        for process in root.iterfind(f"{{{BPMN_NS}}}process"):
            props = {prop.get("name"): prop.get("value") for prop in process.iterfind(
                f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
                if prop.get("name")}
            if props:
                found[process.get("id")] = props
    return found


def _build_specs(parser, problems):
    specs, names = {}, {}
    for process_id in parser.get_process_ids():
        try:
            spec = parser.get_spec(process_id)
            specs[process_id] = (spec, parser.get_subprocess_specs(process_id))
        except ValidationException as exc:
            problems.append(_from_validation(exc, exc.file_name or ""))
            continue
        names[process_id] = spec.description or process_id
        for code in spec_code(spec):
            _check(problems, spec.file, code.element, code.source, code.mode)
    return specs, names


def _build_decisions(parser, problems):
    decisions = {}
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        try:
            decisions[decision_id] = parser.get_engine(decision_id, None)
        except ValidationException as exc:
            problems.append(_from_validation(exc, dmn_parser.filename or ""))
            continue
        for code in decision_code(decision_id, decisions[decision_id]):
            _check(problems, dmn_parser.filename, code.element, code.source, code.mode)
    return decisions


def _check_form_decisions(forms, decisions, problems):
    for name, form in forms.items():
        for decision_id in form.decision_ids():
            if decision_id not in decisions:
                problems.append(Problem(f"forms/{name}", None, f"规则引用的决策表 {decision_id} 不存在"))


def _check_read_first(forms, problems):
    """`ui.read_first` names data collected by some form (what a receipt signs for)."""
    collected = {name for form in forms.values() for name in form.schema.get("properties", {})}
    for form_name, form in forms.items():
        for i, name in enumerate(form.ui.get("read_first") or []):
            if name not in collected:
                problems.append(Problem(f"forms/{form_name}", f"ui/read_first/{i}",
                                        f"没有表单收集字段 {name}"))


def _index(specs, names, forms, problems):
    tasks, timers = {}, {}
    for process_id, (spec, _subs) in specs.items():
        stage = names[process_id].removeprefix("巡查")
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, UserTask):
                meta = _user_task_meta(task_spec, process_id, stage, forms, problems, spec.file)
                if meta:
                    tasks[(process_id, meta.bpmn_id)] = meta
            elif _is_timer(task_spec):
                timers[(process_id, task_spec.bpmn_id)] = _timer_meta(task_spec, process_id)
    return tasks, timers


def _user_task_meta(task_spec, process_id, stage, forms, problems, file):
    properties = task_spec.extensions.get("properties", {})
    element = task_spec.bpmn_id
    role = roles.role_for_lane(task_spec.lane)
    form = properties.get("formJsonSchemaFilename", "")
    clauses = tuple(properties.get("clauses", "").split())
    if role is None:
        problems.append(Problem(file, element, f"用户任务所在泳道“{task_spec.lane or '无'}”不对应已知角色"))
    if not form:
        problems.append(Problem(file, element, "用户任务未指定表单 formJsonSchemaFilename"))
    elif form not in forms:
        problems.append(Problem(file, element, f"表单 {form} 不存在"))
    if not clauses:
        problems.append(Problem(file, element, "用户任务未标注条款编号 clauses"))
    return TaskMeta(element, task_spec.bpmn_name or element, process_id, stage, role or "",
                    form, clauses, properties.get("organisationField", "target"))


def _is_timer(task_spec):
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)


def _timer_meta(task_spec, process_id):
    properties = getattr(task_spec, "extensions", {}).get("properties", {})
    attached = None
    if isinstance(task_spec, BoundaryEvent):
        split = task_spec.inputs[0].name               # "<attached id>.BoundaryEventSplit"
        attached = split.removesuffix(".BoundaryEventSplit")
    return TimerMeta(task_spec.bpmn_id, process_id, properties.get("deadlineKind", ""), attached)


def _check(problems, file, element, source, mode):
    try:
        check_source(source, mode)
    except SandboxViolation as exc:
        problems.append(Problem(file, element, f"表达式不安全：{exc.message}（{source.strip()[:60]}）"))
    except SyntaxError as exc:
        problems.append(Problem(file, element, f"表达式语法错误：{exc.msg}（{source.strip()[:60]}）"))


def _from_validation(exc, path):
    where = f"（第 {exc.line_number} 行）" if getattr(exc, "line_number", "") else ""
    return Problem(exc.file_name or path, getattr(exc, "id", None) or None, f"{exc}{where}")
