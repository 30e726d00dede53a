"""Reading a stored state back into a workflow, faster than the library's converters.

A late inspection's state holds some 116 tasks and 500 task ids. The library's task converter
parses every id with `UUID()` (Python code) and rebuilds each task's data from its parent's with
`DeepMerge.merge({}, parent.data)`, a Python loop per key; restoring took about 3.5 ms. These
converters do the same work with ids parsed once per process and the parent's data copied the
way that merge copies it (one level deep: the top-level dicts, lists and sets are copies, what
is nested in them is shared, as in the library). The result is the same workflow;
`serialization.load_state` compares the two readings when XUNCHA_VERIFY_STATE=1.
"""
from copy import copy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

_UUIDS = {}
_MUTABLE = (dict, list, set)


def uuid(text):
    """UUID(text), remembered (a workflow's ids come back on every restore of it)."""
    found = _UUIDS.get(text)
    if found is None:
        if len(_UUIDS) >= 100_000:
            _UUIDS.clear()
        found = _UUIDS[text] = UUID(text)
    return found


def inherited(data):
    """What DeepMerge.merge({}, data) returns: a copy, its mutable values copied one level
    (`copy` only for subclasses: the methods of the plain types run in C)."""
    return {key: value.copy() if type(value) in _MUTABLE
            else copy(value) if isinstance(value, _MUTABLE) else value
            for key, value in data.items()}


class RestoringTaskConverter(TaskConverter):
    """TaskConverter.from_dict, step for step."""

    def from_dict(self, dct, workflow):
        spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, spec, state=dct["state"], id=uuid(dct["id"]))
        parent_id = dct["parent"]
        task._parent = uuid(parent_id) if parent_id is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        restore = self.registry.restore
        task.internal_data = restore(dct["internal_data"])
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = workflow.tasks.get(task._parent) if task._parent is not None else None
        if delta and parent is not None:
            data = inherited(parent.data)
            data.update(restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = restore(dct["data"])
        task.data = data
        return task


class RestoringSubWorkflowConverter(BpmnSubWorkflowConverter):
    """BpmnSubWorkflowConverter.from_dict with ids parsed once."""

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], uuid, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(uuid(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess
