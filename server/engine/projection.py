"""What a running instance looks like from outside: open user tasks, waiting timers, fired
timers not yet reported, the earliest due time. One walk over the task tree."""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from .progress import completed_forms

READY = TaskState.READY


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
    kind: str                       # "deadline", "reminder" or "" for a plain timer
    attached_task: str | None       # id of the task a boundary timer is bound to
    due_at: datetime | None
    provisional: bool


@dataclass(frozen=True)
class FiredTimer:
    id: str
    bpmn_id: str
    kind: str
    attached_task: str | None


@dataclass(frozen=True)
class Projection:
    open_tasks: tuple
    timers: tuple
    fired: tuple                    # fired since last acknowledged

    @property
    def next_due_at(self):
        dues = [t.due_at for t in self.timers if t.due_at is not None]
        return min(dues) if dues else None

    def task(self, task_id):
        return next((t for t in self.open_tasks if t.id == task_id), None)


def walk(workflow):
    """Every task, in the order of `workflow.get_tasks()` (depth first, a subprocess's tasks
    before the children of the task that started it), as a list, without the library's
    filtering iterator (a tenth of the cost)."""
    subprocesses = workflow.subprocesses
    found, stack = [], [workflow.task_tree]
    push, pop, append = stack.append, stack.pop, found.append
    while stack:
        task = pop()
        append(task)
        if task._children:
            tasks = task.workflow.tasks
            for child in reversed(task._children):
                push(tasks[child])
        if subprocesses:
            subprocess = subprocesses.get(task.id)
            if subprocess is not None:
                push(subprocess.task_tree)
    return found


def project(bundle, workflow):
    user_tasks, timers, fired, late = [], [], [], {}
    for task in walk(workflow):
        spec = task.task_spec
        if task._state == READY and spec.manual:
            user_tasks.append(task)
        elif isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            _timer(bundle, task, timers, fired, late)
    open_tasks = tuple(_open_task(bundle, task, timers, late) for task in user_tasks
                       if bundle.task_meta(task) is not None)
    return Projection(open_tasks, tuple(timers), tuple(fired))


def acknowledge(workflow, fired):
    """Mark fired timers as reported, so the next projection does not report them again."""
    for timer in fired:
        task = workflow.get_task_from_id(UUID(timer.id))
        if task is not None:
            task.internal_data["reported"] = True


def _timer(bundle, task, timers, fired, late):
    meta = bundle.timer_meta(task)
    kind = meta.kind if meta else ""
    if task.state == TaskState.WAITING:
        timers.append(PendingTimer(str(task.id), task.task_spec.bpmn_id, kind, _attached(task),
                                   _due_at(task), bool(task.internal_data.get("provisional"))))
    elif task.state == TaskState.COMPLETED:
        attached = _attached(task)
        if kind == "deadline" and attached:
            late[attached] = (_due_at(task), bool(task.internal_data.get("provisional")))
        if not task.internal_data.get("reported"):
            fired.append(FiredTimer(str(task.id), task.task_spec.bpmn_id, kind, attached))


def _open_task(bundle, task, timers, late):
    meta = bundle.task_meta(task)
    task_id = str(task.id)
    deadline = next((t for t in timers if t.attached_task == task_id and t.kind == "deadline"), None)
    due_at, provisional = (deadline.due_at, deadline.provisional) if deadline else \
        late.get(task_id, (None, False))
    return OpenTask(task_id, meta.bpmn_id, meta.name, meta.process_id, meta.stage, meta.role,
                    task.data.get(meta.organisation_field), meta.form, meta.clauses, due_at,
                    provisional, task_id in late)


def _attached(timer_task):
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
    if isinstance(value, dict):                    # cycle timers keep {"next": ...}
        value = value.get("next")
    if value is None:
        return None
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if isinstance(parsed, datetime) else None


def current_data(workflow, bundle=None):
    """The data as the running instance sees it: merged from its last and open tasks.

    With the bundle, what a user task submitted in a parallel branch that has already finished
    is laid over it too (e.g. 公布巡查结果 beside 通报市委组织部): such a task is an ancestor of no
    open task, so its data has not flowed into any of them yet. Read-only fields are the
    process's and are not laid over.
    """
    merged = dict(workflow.data)
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    open_tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    for task in open_tasks:
        merged.update(task.data)
    if bundle is not None:
        upstream = _ancestors(open_tasks)
        for task_id, form, task_data in completed_forms(bundle, workflow):
            if task_id in upstream:
                continue
            read_only = form.read_only_fields()
            merged.update({k: task_data[k] for k in form.schema.get("properties", {})
                           if k in task_data and k not in read_only})
    return merged


def _ancestors(tasks):
    found = set()
    for task in tasks:
        parent = task.parent
        while parent is not None and parent.id not in found:
            found.add(parent.id)
            parent = parent.parent
    return found
