"""Decision tables (DMN) that process owners edit: evaluated over plain data, checked at load.

SpiffWorkflow's DMN engine evaluates a table in the context of a task (its data and its
workflow's script engine). Rules checked outside a running task (a form's rule before the task
completes) give it that context through `_Context`.
"""
import ast
from types import SimpleNamespace

from SpiffWorkflow.exceptions import SpiffWorkflowException

from .expressions import Code


class DecisionError(RuntimeError):
    """A decision table failed while evaluating (a cell raised)."""


class _Context:
    """What the DMN engine reads of a task: its data, the workflow's script engine, and (for its
    error messages) a task spec."""

    def __init__(self, data, script_engine):
        self.data = data
        self.workflow = SimpleNamespace(script_engine=script_engine, data_objects={})
        self.task_spec = SimpleNamespace(name="decision", bpmn_id=None, bpmn_name=None)


def decide(engine, data, script_engine):
    """The outputs of the first matching rule (an empty dict when none matches).

    A name an input reads that the data lacks (a field of a later form) reads as None.
    """
    context = dict.fromkeys(input_names(engine)) | dict(data)
    try:
        return dict(engine.result(_Context(context, script_engine)))
    except (SpiffWorkflowException, AttributeError) as exc:
        raise DecisionError(str(exc)) from exc


def input_names(engine):
    """The variable names the table's input expressions read (not calls of functions)."""
    names = set()
    for item in engine.decision_table.inputs:
        tree = ast.parse(item.expression or "None", mode="eval")
        called = {node.func.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        bound = {node.id for node in ast.walk(tree)
                 if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        names |= {node.id for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)} - called - bound
    return names - {"True", "False", "None"}


def decision_code(decision_id, engine):
    """Every expression in a table, for the sandbox check at load time."""
    table = engine.decision_table
    for item in table.inputs:
        if item.expression:
            yield Code(decision_id, item.expression, "eval")
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs is not None and lhs.strip():
                    # A cell is either an expression or a comparison ("< 6") applied to the input.
                    yield Code(f"{decision_id}/{rule.id}", _as_expression(lhs), "eval")
        for entry in rule.outputEntries:
            if getattr(entry, "text", ""):
                yield Code(f"{decision_id}/{rule.id}", entry.text, "eval")


def _as_expression(cell):
    try:
        ast.parse(cell, mode="eval")
        return cell.replace("?", "value")
    except SyntaxError:
        return f"value {cell}"
