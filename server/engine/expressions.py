"""Every piece of diagram code in a parsed spec, so it can be checked before anything runs."""
from typing import Iterator, NamedTuple


class Code(NamedTuple):
    element: str      # BPMN id of the element the code belongs to
    source: str
    mode: str         # "eval" for expressions, "exec" for scripts


def spec_code(process_spec) -> Iterator[Code]:
    for task_spec in process_spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        for attr in ("script", "prescript", "postscript"):
            source = getattr(task_spec, attr, None)
            if source:
                yield Code(element, source, "exec")
        for condition, _output in getattr(task_spec, "cond_task_specs", ()):
            if condition is not None:
                yield Code(element, condition.args[0], "eval")
        yield from _event_code(element, getattr(task_spec, "event_definition", None))
        for attr in ("cardinality", "condition", "completion_condition"):
            source = getattr(task_spec, attr, None)
            if isinstance(source, str) and source:
                yield Code(element, source, "eval")


def _event_code(element, definition):
    if definition is None:
        return
    for inner in getattr(definition, "event_definitions", ()):   # multiple-event definitions
        yield from _event_code(element, inner)
    expression = getattr(definition, "expression", None)
    if isinstance(expression, str) and expression:
        yield Code(element, expression, "eval")
    for correlation in getattr(definition, "correlation_properties", ()) or ():
        if getattr(correlation, "retrieval_expression", None):
            yield Code(element, correlation.retrieval_expression, "eval")
