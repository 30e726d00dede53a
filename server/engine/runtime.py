"""Running one instance: start, complete a task, deliver a message, advance its timers.

Functions over a SpiffWorkflow `BpmnWorkflow` and the `Bundle` it was built from. They know
nothing of storage: callers load and save state around them (services do it in one transaction).
"""
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from .decisions import DecisionError, decide
from .serialization import forget_json

OPEN = TaskState.READY


class EngineError(RuntimeError):
    """The diagram failed while running (a script or expression raised, a gateway found no path)."""


class TaskNotOpen(LookupError):
    """No open user task with that id in this instance."""


class InvalidTaskData(ValueError):
    def __init__(self, fields):
        self.fields = fields
        super().__init__("表单数据有误：" + "；".join(f"{k or '表单'}：{v}" for k, v in fields.items()))


def start(bundle, process_id, data, script_engine):
    spec, subprocess_specs = bundle.spec_for(process_id)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    advance(workflow)
    return workflow


def complete(bundle, workflow, task_id, data):
    """Validate `data` against the task's form and rules, then run the task and what follows."""
    task = open_user_task(workflow, task_id)
    meta = bundle.task_meta(task)
    form = bundle.forms[meta.form]
    submitted = check_submission(bundle, form, data, task.data, workflow.script_engine)
    task.data.update(submitted)
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc
    advance(workflow)
    return task


def check_submission(bundle, form, data, process_data, script_engine):
    """The data a task will take from a submission, or InvalidTaskData with field errors.

    Only the form's own fields may be written; read-only ones belong to the process (e.g. a
    roster size a script computed) and rules read the process's value. Decision tables read the
    process's data beneath what the form submits.
    """
    unknown = sorted(set(data) - set(form.field_titles()))
    if unknown:
        raise InvalidTaskData({key: "表单中没有该字段" for key in unknown})
    read_only = form.read_only_fields()
    submitted = {k: v for k, v in (form.defaults() | data).items() if k not in read_only}
    known = {k: process_data.get(k) for k in read_only}

    def evaluate(expression, names):
        return script_engine.environment.evaluate(expression, dict(names))

    def run_decision(decision_id, names):
        return decide(bundle.decisions[decision_id], {**process_data, **names}, script_engine)

    try:
        errors = form.validate(submitted, evaluate, known, run_decision)
    except DecisionError as exc:
        raise EngineError(f"决策表出错：{exc}") from exc
    if errors:
        raise InvalidTaskData(errors)
    return submitted


class NotWaiting(LookupError):
    """The instance is not waiting for that message now (e.g. the hotline has closed)."""


def deliver_message(workflow, name, payload):
    """Hand a message (e.g. a public report) to the instance; NotWaiting if nothing catches it."""
    try:
        workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
    except WorkflowException as exc:
        raise NotWaiting(name) from exc
    advance(workflow)


def advance(workflow):
    """Run what the engine can run now, firing timers due by its clock."""
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


def open_user_task(workflow, task_id):
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError):
        task = None
    if task is None or task.state != OPEN or not task.task_spec.manual:
        raise TaskNotOpen(f"任务 {task_id} 不存在或已完成")
    return task


def recompute_timers(workflow, provisional_only=False):
    """Re-evaluate waiting timers (a calendar year was loaded, or a start date was corrected)."""
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        if not isinstance(task.task_spec.event_definition, TimerEventDefinition):
            continue
        if provisional_only and not task.internal_data.get("provisional"):
            continue
        task.internal_data.pop("event_value", None)
        task.internal_data.pop("provisional", None)
    advance(workflow)


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
    forget_json(workflow)           # a parent changed may have finished (serialization)
    recompute_timers(workflow)
