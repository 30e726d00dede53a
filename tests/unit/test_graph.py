"""Graph checks at load: elements no path reaches, and paths that can never end, are refused
with the element named (so neither the editor nor `flask deploy` accepts such a diagram)."""
from pathlib import Path

import pytest
from lxml import etree

from server.engine.bundle import InvalidBundle, load_bundle
from server.engine.graph import graph_problems

from server.services.versions import read_source_tree

ROOT = Path(__file__).resolve().parents[2]
MINI = read_source_tree(ROOT / "tests" / "fixtures" / "mini")

UNREACHABLE = "元素不可达：没有从开始事件通往它的路径"
NEVER_ENDS = "流程无法结束：从该元素出发没有通往结束事件的路径"


def mini_text():
    return MINI["processes/mini.bpmn"].decode()


def with_diagram(text):
    return {**MINI, "processes/mini.bpmn": text.encode()}


def problems(files):
    with pytest.raises(InvalidBundle) as error:
        load_bundle(files)
    return {(p.element, p.message) for p in error.value.problems}


def test_the_fixture_and_the_real_procedure_have_no_graph_problems():
    for files in (MINI, read_source_tree(ROOT)):
        for path, content in files.items():
            if path.endswith(".bpmn"):
                assert list(graph_problems(etree.fromstring(content))) == [], path


def test_an_element_without_incoming_flow_is_unreachable():
    # The only flow into "sign" now goes straight to the end event.
    text = mini_text().replace('<bpmn:sequenceFlow id="f6" sourceRef="write" targetRef="sign"/>',
                               '<bpmn:sequenceFlow id="f6" sourceRef="write" targetRef="end"/>')
    found = problems(with_diagram(text))
    assert ("sign", UNREACHABLE) in found
    assert not any(element == "write" for element, _ in found)


def test_a_loop_without_an_exit_never_ends():
    # After signing, the flow goes back to writing instead of to the end event.
    text = mini_text().replace('sourceRef="sign" targetRef="end"', 'sourceRef="sign" targetRef="write"')
    found = problems(with_diagram(text))
    assert {("sign", NEVER_ENDS), ("write", NEVER_ENDS), ("plan", NEVER_ENDS)} <= found
    assert ("end", UNREACHABLE) in found
    # The boundary paths still end (reminder → end): only the trapped elements are named.
    assert not any(element in ("remind", "supervise") for element, _ in found)


def test_a_task_with_no_way_on_never_ends():
    text = mini_text().replace('<bpmn:sequenceFlow id="f5" sourceRef="supervise" targetRef="supervise_end"/>', "")
    found = problems(with_diagram(text))
    assert ("supervise", NEVER_ENDS) in found
    assert ("supervise_end", UNREACHABLE) in found
