"""Workflow state as compact JSON without the spec.

The default serializer embeds the whole spec (about two thirds of the bytes) in every instance and
rebuilds it on every load. A deployed version's spec is immutable and already parsed in memory, so
instances store only a reference to it and are restored against the cached spec objects.
"""
import orjson
from copy import deepcopy
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from .timers import register_converters


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None or spec.name != dct["spec"]:
            raise ValueError(f"state belongs to process {dct['spec']!r}, not to the given spec")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@lru_cache(maxsize=65536)
def _text(task_id):
    # UUID.__str__ costs microseconds and a dump formats every id several times.
    return str(task_id)


class LeanTaskConverter(TaskConverter):
    """The library's task format (data stored as a delta against the parent), written faster."""

    def to_dict(self, task):
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            mine, theirs = task.data, parent.data
            data, delta = {}, {
                "updates": {k: v for k, v in mine.items() if k not in theirs or theirs[k] != v},
                "deletions": [k for k in theirs if k not in mine]}
        return {
            "id": _text(task.id),
            "parent": _text(task._parent) if parent is not None else None,
            "children": [_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data) if task.internal_data else {},
            "data": data,
            "delta": delta,
        }


def _make_serializer():
    config = register_converters(deepcopy(SPIFF_CONFIG))
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    config[Task] = LeanTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()


_ENCODE = SERIALIZER._encoder_cls().default
# orjson writes datetimes natively; pass them to the registry so they restore as datetimes.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def dump_state(workflow) -> str:
    """Same JSON as the library's serialize_json, written by orjson (a third of the cost)."""
    SERIALIZER.registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
    finally:
        SERIALIZER.registry._encoder_mode = False
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return orjson.dumps(dct, default=_ENCODE, option=_OPTIONS).decode()


def load_state(state: str, spec, subprocess_specs, script_engine):
    """Restore a workflow against its already parsed spec; the script engine is re-attached."""
    dct = orjson.loads(state)
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    return workflow

