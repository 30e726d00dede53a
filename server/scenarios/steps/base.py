"""What every step module uses: the registry of definitions (for the lint), the decorators that
fill it, the fixtures that carry a scenario's state, and small helpers.

State passes through fixtures: `scenario_driver` (the Driver, from the plugin), `inspection` (the
reference of the inspection a scenario started), `scenario_inputs` (field values, by task and
Chinese title, that givens set for tasks completed later) and `outcome` (the refusal of the last
attempt, if any).
"""
import pytest
from pytest_bdd import given, step, then, when

from ..records import Refusal
from ..normalize import step as pattern

# Every definition, for the lint: (type or None, parser, function).
DEFINITIONS = []


def _define(decorator, kind, text, **kwargs):
    parser = pattern(text)

    def register(fn):
        DEFINITIONS.append((kind, parser, fn))
        return decorator(parser, stacklevel=2, **kwargs)(fn)
    return register


def Given(text, **kw):
    return _define(given, "given", text, **kw)


def When(text, **kw):
    return _define(when, "when", text, **kw)


def Then(text, **kw):
    return _define(then, "then", text, **kw)


def Step(text, **kw):
    return _define(lambda p, **k: step(p, **k), None, text, **kw)


# ---- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def inspection():
    """The reference of the inspection the scenario started (None until then)."""
    return None


@pytest.fixture
def outcome():
    """The refusal of the last attempted action (None: it was accepted)."""
    return None


@pytest.fixture
def scenario_inputs():
    """Field values for tasks completed later: {task name: {field title: value}}."""
    return {}


def needs(inspection):
    assert inspection is not None, "场景尚未启动巡查（缺少“启动对…的巡查”或“已进入…阶段”等前提）"
    return inspection


def rows(datatable):
    """A two-column table (字段 | 值) as {title: value}."""
    return {row[0].strip(): row[1] for row in datatable[1:]}


def records(datatable):
    """A table with a header row as a list of {column title: cell}."""
    header = [cell.strip() for cell in datatable[0]]
    return [dict(zip(header, row)) for row in datatable[1:]]


def attempt(action, *args, **kwargs):
    try:
        action(*args, **kwargs)
    except Refusal as refusal:
        return refusal
    return None


def must(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except Refusal as refusal:
        raise AssertionError(f"被拒绝：{refusal}") from None
