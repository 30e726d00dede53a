"""Workflow state as compact JSON without the spec.

The default serializer embeds the whole spec (about two thirds of the bytes) in every instance and
rebuilds it on every load. A deployed version's spec is immutable and already parsed in memory, so
instances store only a reference to it and are restored against the cached spec objects. A
workflow kept in memory between requests also keeps the JSON of its finished tasks, written once
(_tasks_dict): a late inspection's save writes only what is still under way.
"""
import os
from copy import deepcopy
from functools import cache
from types import ModuleType
from typing import NamedTuple

import orjson

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .restore import RestoringSubWorkflowConverter, RestoringTaskConverter, uuid
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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_IDS = {}


def _text(task_id):
    """str(task_id), remembered: UUID.__str__ and UUID.__hash__ run in Python and a dump formats
    every id several times; keyed by the UUID's int, whose hash is computed in C."""
    text = _IDS.get(task_id.int)
    if text is None:
        if len(_IDS) >= 100_000:
            _IDS.clear()
        text = _IDS[task_id.int] = str(task_id)
    return text


def _clean(data):
    """What the registry's `clean` keeps of a dict: no callables, no modules."""
    return {k: v for k, v in data.items() if not callable(v) and not isinstance(v, ModuleType)}


def _task_dict(task, parent, typename):
    """TaskConverter.to_dict and the registry's typename: the task, its data stored as a delta
    against its parent's."""
    mine = task.data
    if parent is None:
        data, delta = mine, {}
    else:
        theirs = parent.data
        data = {}
        if mine == theirs:                          # most tasks: inherited unchanged (C compare)
            delta = {"updates": {}, "deletions": []}
        else:
            delta = {"updates": {k: v for k, v in mine.items()
                                 if k not in theirs or v != theirs[k]},
                     "deletions": [k for k in theirs if k not in mine]}
    internal = task.internal_data
    return {
        "id": _text(task.id),
        "parent": _text(task._parent) if parent is not None else None,
        "children": [_text(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task.state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": _clean(internal) if internal else {},
        "data": data,
        "delta": delta,
        "typename": typename,
    }


FINISHED = TaskState.FINISHED_MASK
_KEPT = "_xuncha_kept_json"      # attribute of a (sub)workflow: task id -> Kept


class Kept(NamedTuple):
    """A finished task's JSON, and what it was written from."""
    state: int
    last_state_change: float
    triggered: bool
    internal_keys: int
    spec: object
    children: list
    json: orjson.Fragment


def _tasks_dict(workflow, typename, reuse=True):
    """The tasks of one (sub)workflow, by id.

    A finished task whose parent has finished does not change as the workflow runs on: the engine
    adds tasks after it and drops unfinished ones below it. Its JSON is kept with the workflow and
    reused by the next dump (in a late inspection, most tasks). Reused only while what could still
    change is as it was: the task's state (a reset), its children (one dropped), the keys of its
    internal data (a fired timer marked reported) and its spec (a migration). Our own code that
    changes a finished task's data otherwise calls `forget_json`.
    """
    tasks, out = workflow.tasks, {}
    before = workflow.__dict__.get(_KEPT, {}) if reuse else {}
    kept = {}
    for key, task in tasks.items():
        parent = tasks.get(task._parent)            # task.parent, without the property
        if not (task._state & FINISHED and (parent is None or parent._state & FINISHED)):
            out[_text(key)] = _task_dict(task, parent, typename)
            continue
        entry = before.get(key)
        if (entry is None or entry.state != task._state
                or entry.last_state_change != task.last_state_change
                or entry.triggered != task.triggered or entry.spec is not task.task_spec
                or entry.internal_keys != len(task.internal_data)
                or entry.children != task._children):
            entry = Kept(task._state, task.last_state_change, task.triggered,
                         len(task.internal_data), task.task_spec, list(task._children),
                         orjson.Fragment(_compact(_encode(_task_dict(task, parent, typename)))))
        kept[key] = entry
        out[_text(key)] = entry.json
    if reuse:
        workflow.__dict__[_KEPT] = kept
    return out


def _compact(data: bytes) -> bytes:
    """A copy of its own size: orjson's result keeps a 4 KiB buffer, too much to keep by the
    hundred."""
    return memoryview(data).tobytes()


def forget_json(workflow):
    """Drop the kept JSON of a workflow's tasks (after changing finished tasks' data)."""
    for each in (workflow, *workflow.subprocesses.values()):
        each.__dict__.pop(_KEPT, None)


class LeanTaskConverter(RestoringTaskConverter):
    """The library's task format, written and read faster (dump_state does not come through
    its to_dict)."""

    def to_dict(self, task):
        dct = _task_dict(task, task.parent, None)
        del dct["typename"]                     # the registry adds it
        return dct


class _LibraryReadingTaskConverter(LeanTaskConverter):
    from_dict = TaskConverter.from_dict


def _make_serializer(library_reading=False):
    config = register_converters(deepcopy(SPIFF_CONFIG))
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    if library_reading:
        config[Task] = _LibraryReadingTaskConverter
    else:
        config[Task] = LeanTaskConverter
        config[BpmnSubWorkflow] = RestoringSubWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()


_ENCODE = SERIALIZER._encoder_cls().default
# orjson writes datetimes natively; pass them to the registry so they restore as datetimes.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
_TYPENAMES = SERIALIZER.registry.typenames


def _workflow_dict(workflow, reuse):
    """WorkflowConverter.to_dict as the serializer writes it in encoder mode (nested values
    the registry knows are converted by the encoder's `default`)."""
    last_task = workflow.last_task
    return {
        "data": _clean(workflow.data),
        "correlations": workflow.correlations,
        "last_task": _text(last_task.id) if last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_dict(workflow, _TYPENAMES[Task], reuse),
        "root": _text(workflow.task_tree.id),
    }


def state_dict(workflow, reuse=True) -> dict:
    """What the library's serialize_json writes (less the spec), as a dict: the top workflow as
    SpecFreeWorkflowConverter, its subprocesses as BpmnSubWorkflowConverter, tasks as
    LeanTaskConverter, each with its typename, without a call through the registry per task.
    Finished tasks come as their kept JSON (`reuse`; see _tasks_dict)."""
    dct = _workflow_dict(workflow, reuse)
    dct["spec"] = workflow.spec.name
    subprocesses = {}
    for key, subprocess in workflow.subprocesses.items():
        sub = _workflow_dict(subprocess, reuse)
        sub["parent_task_id"] = str(subprocess.parent_task_id)
        sub["spec"] = subprocess.spec.name
        sub["typename"] = _TYPENAMES[type(subprocess)]
        subprocesses[str(key)] = sub
    dct["subprocesses"] = subprocesses
    dct["bpmn_events"] = workflow.bpmn_events      # converted by the encoder, as in encoder mode
    dct["typename"] = _TYPENAMES[type(workflow)]
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return dct


def _encode(value) -> bytes:
    return orjson.dumps(value, default=_ENCODE, option=_OPTIONS)


def _fresh(workflow) -> bytes:
    """The state written afresh, reusing none of the kept JSON."""
    return _encode(state_dict(workflow, reuse=False))


def dump_state(workflow) -> str:
    """Same JSON as the library's serialize_json (spec by name), written by orjson."""
    return dump_state_utf8(workflow).decode()


def dump_state_utf8(workflow) -> bytes:
    """dump_state as UTF-8 bytes: what SQLite stores, without decoding a late inspection's
    80 KB to a str that its driver would encode again.

    With XUNCHA_VERIFY_STATE=1 (the test suite sets it) every dump is also written without the
    kept JSON of finished tasks, and a difference raises: a task changed that was thought final.
    """
    state = _encode(state_dict(workflow))
    if _verifying() and _fresh(workflow) != state:
        raise AssertionError(f"kept JSON of finished tasks is stale in {workflow.spec.name}")
    return state


def load_state(state: str, spec, subprocess_specs, script_engine):
    """Restore a workflow against its already parsed spec; the script engine is re-attached.

    With XUNCHA_VERIFY_STATE=1 the state is also read with the library's own converters, and a
    workflow that writes back differently (or waits for other events) raises.
    """
    workflow = _read(SERIALIZER, state, spec, subprocess_specs, script_engine)
    if _verifying():
        reference = _read(_library_reading(), state, spec, subprocess_specs, script_engine)
        if (_fresh(workflow) != _fresh(reference)
                or len(workflow.event_manager.tasks) != len(reference.event_manager.tasks)):
            raise AssertionError(f"restore.py read a {spec.name} state unlike the library")
    return workflow


def _read(serializer, state, spec, subprocess_specs, script_engine):
    dct = orjson.loads(state)
    serializer.migrate(dct)
    workflow = serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


@cache
def _library_reading():
    return _make_serializer(library_reading=True)


def _verifying():
    return os.environ.get("XUNCHA_VERIFY_STATE") == "1"
