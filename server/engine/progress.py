"""Where an instance stands, element by element, for the diagram view and the data view."""
from collections import deque

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def element_progress(workflow):
    """{process id: {"done": [...], "active": [...]}} over the workflow and its subprocesses.

    Active: ready, waiting or started elements (a running call activity, a user task, a receive
    task waiting for a message). A boundary timer or signal waiting beside its task is not active
    itself (the task it guards is); once it fired it counts as done. An element run again in a
    loop (a returned draft) is active, not done.
    """
    found = {}
    for task in workflow.get_tasks():
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        entry = found.setdefault(task.workflow.spec.name, {"done": set(), "active": set()})
        if task.state == TaskState.COMPLETED:
            entry["done"].add(bpmn_id)
        elif task.state & ACTIVE and not (isinstance(spec, BoundaryEvent)
                                          and task.state == TaskState.WAITING):
            entry["active"].add(bpmn_id)
    return {pid: {"done": sorted(e["done"] - e["active"]), "active": sorted(e["active"])}
            for pid, e in found.items()}


def walk(spec):
    """The task specs of a process spec, breadth first from its start (roughly diagram order)."""
    seen, queue, order = set(), deque([spec.start]), []
    while queue:
        task_spec = queue.popleft()
        if task_spec is None or task_spec.name in seen:
            continue
        seen.add(task_spec.name)
        order.append(task_spec)
        queue.extend(task_spec.outputs)
    return order


def called_processes(bundle, process_id):
    """The process and the processes it calls (recursively), in the order they are called."""
    spec, subprocess_specs = bundle.spec_for(process_id)
    specs = {process_id: spec, **subprocess_specs}
    order, queue = [], deque([process_id])
    while queue:
        pid = queue.popleft()
        if pid in order or pid not in specs:
            continue
        order.append(pid)
        queue.extend(t.spec for t in walk(specs[pid]) if isinstance(t, SubWorkflowTask))
    return order, specs


def completed_forms(bundle, workflow):
    """(task id, form, task data) of every completed user task, oldest first.

    A filter on state would not descend below unfinished tasks, so every task is looked at.
    """
    found = []
    for task in workflow.get_tasks():
        meta = bundle.task_meta(task) if task.state == TaskState.COMPLETED else None
        if meta is not None and meta.form in bundle.forms:
            found.append((task.last_state_change, task.id, bundle.forms[meta.form], task.data))
    return [entry[1:] for entry in sorted(found, key=lambda entry: entry[0])]


def forms_in_order(bundle, order, specs):
    names = []
    for pid in order:
        for task_spec in walk(specs[pid]):
            if isinstance(task_spec, UserTask):
                meta = bundle.tasks.get((pid, task_spec.bpmn_id))
                if meta and meta.form in bundle.forms and meta.form not in names:
                    names.append(meta.form)
    return [bundle.forms[name] for name in names]
