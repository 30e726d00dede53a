"""Running one instance: start, read its open user tasks and timers, complete, tick.

Functions over a SpiffWorkflow `BpmnWorkflow` and the `Bundle` it was built from. They know
nothing of storage: callers load and save state around them (services do it in one transaction).
"""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

OPEN = TaskState.READY


class EngineError(RuntimeError):
    """The diagram failed while running (a script or expression raised, a gateway found no path)."""


class TaskNotOpen(LookupError):
    """No open user task with that id in this instance."""


class InvalidTaskData(ValueError):
    def __init__(self, fields):
        self.fields = fields
        super().__init__("表单数据有误：" + "；".join(f"{k or '表单'}：{v}" for k, v in fields.items()))


@dataclass(frozen=True)
class OpenTask:
    id: str
    bpmn_id: str
    name: str
    process_id: str
    stage: str
    role: str
    organisation: str | None
    form: str
    clauses: tuple
    due_at: datetime | None
    provisional: bool
    overdue: bool


@dataclass(frozen=True)
class PendingTimer:
    id: str
    bpmn_id: str
    kind: str
    attached_task: str | None     # id of the open task the timer is bound to
    due_at: datetime | None
    provisional: bool


@dataclass(frozen=True)
class FiredTimer:
    bpmn_id: str
    kind: str
    attached_task: str | None


def start(bundle, process_id, data, script_engine):
    spec, subprocess_specs = bundle.spec_for(process_id)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _advance(workflow)
    return workflow


def complete(bundle, workflow, task_id, data):
    """Validate `data` against the task's form and rules, then run the task and what follows."""
    task = open_user_task(workflow, task_id)
    meta = bundle.task_meta(task)
    form = bundle.forms[meta.form]
    # Read-only fields belong to the process (e.g. a roster size a script computed): a client
    # cannot overwrite them, and rules read the process's value.
    read_only = form.read_only_fields()
    submitted = {k: v for k, v in (form.defaults() | data).items() if k not in read_only}
    known = {k: task.data.get(k) for k in read_only}
    errors = form.validate(submitted, lambda expr, names: _evaluate(workflow, expr, names), known)
    if errors:
        raise InvalidTaskData(errors)
    task.data.update(submitted)
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc
    _advance(workflow)
    return task


class NotWaiting(LookupError):
    """The instance is not waiting for that message now (e.g. the hotline has closed)."""


def deliver_message(workflow, name, payload):
    """Hand a message (e.g. a public report) to the instance; NotWaiting if nothing catches it."""
    try:
        workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
    except WorkflowException as exc:
        raise NotWaiting(name) from exc
    _advance(workflow)


def tick(bundle, workflow):
    """Fire every timer that is due by the engine's clock; report what fired."""
    before = {t.id: t for t in pending_timers(bundle, workflow)}
    _advance(workflow)
    after = {t.id for t in pending_timers(bundle, workflow)}
    fired = []
    for timer_id, timer in before.items():
        task = workflow.get_task_from_id(UUID(timer_id))
        if timer_id not in after and task is not None and task.state == TaskState.COMPLETED:
            fired.append(FiredTimer(timer.bpmn_id, timer.kind, timer.attached_task))
    return fired


def _advance(workflow):
    try:
        workflow.refresh_timers()
        workflow.do_engine_steps()
        # A step may start timers already due (e.g. a deadline in the past): settle them too.
        for _ in range(10):
            workflow.refresh_timers()
            if not workflow.get_tasks(state=TaskState.READY, manual=False):
                break
            workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc


def _evaluate(workflow, expression, names):
    return workflow.script_engine.environment.evaluate(expression, dict(names))


def open_user_task(workflow, task_id):
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError):
        task = None
    if task is None or task.state != OPEN or not task.task_spec.manual:
        raise TaskNotOpen(f"任务 {task_id} 不存在或已完成")
    return task


def open_tasks(bundle, workflow):
    timers = pending_timers(bundle, workflow)
    fired = _fired_deadlines(bundle, workflow)
    result = []
    for task in workflow.get_tasks(state=OPEN, manual=True):
        meta = bundle.task_meta(task)
        if meta is None:
            continue
        task_id = str(task.id)
        deadline = next((t for t in timers if t.attached_task == task_id and t.kind == "deadline"), None)
        overdue = task_id in fired
        result.append(OpenTask(
            id=task_id, bpmn_id=meta.bpmn_id, name=meta.name, process_id=meta.process_id,
            stage=meta.stage, role=meta.role, organisation=task.data.get(meta.organisation_field),
            form=meta.form, clauses=meta.clauses,
            due_at=deadline.due_at if deadline else fired.get(task_id, (None, False))[0],
            provisional=deadline.provisional if deadline else fired.get(task_id, (None, False))[1],
            overdue=overdue))
    return result


def pending_timers(bundle, workflow):
    result = []
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        if not isinstance(task.task_spec.event_definition, TimerEventDefinition):
            continue
        meta = bundle.timer_meta(task)
        result.append(PendingTimer(
            id=str(task.id), bpmn_id=task.task_spec.bpmn_id, kind=meta.kind if meta else "",
            attached_task=_attached_task_id(task), due_at=_due_at(task),
            provisional=bool(task.internal_data.get("provisional"))))
    return result


def _fired_deadlines(bundle, workflow):
    """Open tasks whose deadline timer has fired: task id -> (due instant, provisional)."""
    fired = {}
    for task in workflow.get_tasks(spec_class=CatchingEvent):
        meta = bundle.timer_meta(task)
        if meta and meta.kind == "deadline" and task.state == TaskState.COMPLETED:
            attached = _attached_task_id(task)
            if attached:
                fired[attached] = (_due_at(task), bool(task.internal_data.get("provisional")))
    return fired


def _attached_task_id(timer_task):
    """A boundary timer's sibling under the BoundaryEventSplit is the task it is attached to."""
    split = timer_task.parent
    if split is None or not split.task_spec.name.endswith(".BoundaryEventSplit"):
        return None
    for sibling in split.children:
        if sibling is not timer_task and not isinstance(sibling.task_spec, CatchingEvent):
            return str(sibling.id)
    return None


def _due_at(task):
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(value, dict):                    # cycle timers keep {"next": ...}
        value = value.get("next")
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if isinstance(parsed, datetime) else None


def next_due_at(bundle, workflow):
    dues = [t.due_at for t in pending_timers(bundle, workflow) if t.due_at is not None]
    return min(dues) if dues else None


def recompute_timers(workflow, provisional_only=False):
    """Re-evaluate waiting timers (a calendar year was loaded, or a start date was corrected)."""
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        if not isinstance(task.task_spec.event_definition, TimerEventDefinition):
            continue
        if provisional_only and not task.internal_data.get("provisional"):
            continue
        task.internal_data.pop("event_value", None)
        task.internal_data.pop("provisional", None)
    _advance(workflow)


def correct_data(workflow, changes):
    """Change data fields in every unfinished task (e.g. a corrected end of fieldwork).

    A waiting timer re-inherits its parent's data whenever it is refreshed, so the parent (the
    split that started the boundary events) is corrected too.
    """
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        for holder in (task, task.parent):
            if holder is None:
                continue
            for key, value in changes.items():
                if key in holder.data:
                    holder.data[key] = value
    recompute_timers(workflow)


def current_data(workflow):
    """The data as the running instance sees it: merged from its open and last tasks."""
    merged = dict(workflow.data)
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        merged.update(task.data)
    return merged
