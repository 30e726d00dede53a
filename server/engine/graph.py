"""Graph checks on a diagram's sequence flows: every element is reachable from a start event,
and from every element some path reaches an end event (a loop with no way out never ends).

SpiffWorkflow parses such diagrams without complaint; an instance would then wait forever or a
task would never be offered, so the problems are found when a version is loaded or deployed.
"""
from typing import Iterator, NamedTuple

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
FLOW_NODES = frozenset(
    "startEvent endEvent task userTask scriptTask serviceTask manualTask businessRuleTask "
    "sendTask receiveTask callActivity subProcess transaction adHocSubProcess "
    "exclusiveGateway parallelGateway inclusiveGateway eventBasedGateway complexGateway "
    "intermediateCatchEvent intermediateThrowEvent boundaryEvent".split())
SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")


class GraphProblem(NamedTuple):
    element: str
    message: str


class _Scope:
    """The flow nodes directly inside one process or sub-process, with their sequence flows."""

    def __init__(self, element):
        self.nodes = {}
        for child in element:
            tag = _local(child.tag)
            if tag in FLOW_NODES and child.get("id"):
                self.nodes[child.get("id")] = (tag, child)
        self.successors = {node: set() for node in self.nodes}
        self.predecessors = {node: set() for node in self.nodes}   # ways out, read backwards
        for child in element.iterfind(f"{BPMN}sequenceFlow"):
            self._link(child.get("sourceRef"), child.get("targetRef"))
        for node, (tag, child) in self.nodes.items():
            if tag == "boundaryEvent":          # a boundary event starts when its host is active
                # A non-interrupting one is no way out: the host must still leave by its flows.
                self._link(child.get("attachedToRef"), node,
                           way_out=child.get("cancelActivity") != "false")

    def _link(self, source, target, way_out=True):
        if source in self.nodes and target in self.nodes:
            self.successors[source].add(target)
            if way_out:
                self.predecessors[target].add(source)

    def starts(self):
        return {n for n, (tag, _) in self.nodes.items() if tag == "startEvent"}

    def ends(self):
        return {n for n, (tag, _) in self.nodes.items() if tag == "endEvent"}


def graph_problems(root) -> Iterator[GraphProblem]:
    """Problems of every process and sub-process in a parsed BPMN document."""
    for element in root.iter():
        if _local(element.tag) in SCOPES and _has_flow(element):
            yield from _scope_problems(_Scope(element))


def _scope_problems(scope):
    reached = _closure(scope.starts(), scope.successors)
    ending = _closure(scope.ends(), scope.predecessors)
    for node, (tag, child) in scope.nodes.items():
        if child.get("triggeredByEvent") == "true":
            continue                            # an event sub-process starts on its event
        if node not in reached:
            yield GraphProblem(node, "元素不可达：没有从开始事件通往它的路径")
        elif node not in ending:
            yield GraphProblem(node, "流程无法结束：从该元素出发没有通往结束事件的路径")


def _closure(seeds, edges):
    seen, stack = set(seeds), list(seeds)
    while stack:
        for nxt in edges[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _has_flow(element):
    return any(_local(child.tag) in FLOW_NODES for child in element)


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
