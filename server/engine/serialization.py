"""Workflow state as compact JSON without the spec.

The default serializer embeds the whole spec (about two thirds of the bytes) in every instance and
rebuilds it on every load. A deployed version's spec is immutable and already parsed in memory, so
instances store only a reference to it and are restored against the cached spec objects.
"""
import json
from copy import deepcopy
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

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


def _make_serializer():
    config = register_converters(deepcopy(SPIFF_CONFIG))
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()


def dump_state(workflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def load_state(state: str, spec, subprocess_specs, script_engine):
    """Restore a workflow against its already parsed spec; the script engine is re-attached."""
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    return workflow

