"""Which parts of the diagrams the scenarios ran: flow nodes and sequence flows per process.

A flow node counts when a task of its BPMN element reached COMPLETED (user and script tasks,
gateways, events, call activities); a sequence flow counts when both of its ends ran one after
the other. The flows and the list of all flow nodes come from the diagrams' XML.
"""
from collections import defaultdict

from SpiffWorkflow.util.task import TaskState

from ..engine.parser import read_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
FLOW_NODES = {f"{BPMN}{tag}" for tag in (
    "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
    "task", "userTask", "scriptTask", "serviceTask", "manualTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "complexGateway")}
GATEWAYS = {"ExclusiveGateway", "ParallelGateway", "InclusiveGateway"}


class Diagrams:
    """The flow nodes, sequence flows and called processes of every process in a bundle."""

    def __init__(self, files):
        self.nodes = {}             # process id -> {node id}
        self.flows = {}             # process id -> {(source, target): flow id}
        self.calls = defaultdict(set)
        for path, content in files.items():
            if path.endswith(".bpmn"):
                self._read(read_xml(content))

    def _read(self, root):
        for process in root.iter(f"{BPMN}process"):
            pid = process.get("id")
            nodes = self.nodes.setdefault(pid, set())
            flows = self.flows.setdefault(pid, {})
            for element in process.iter():
                if element.tag in FLOW_NODES:
                    nodes.add(element.get("id"))
                    if element.tag == f"{BPMN}callActivity" and element.get("calledElement"):
                        self.calls[pid].add(element.get("calledElement"))
                elif element.tag == f"{BPMN}sequenceFlow":
                    flows[(element.get("sourceRef"), element.get("targetRef"))] = element.get("id")

    def reachable(self, main):
        """`main` and every process it calls, directly or not."""
        seen, todo = set(), [main]
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in self.nodes:
                continue
            seen.add(pid)
            todo.extend(self.calls.get(pid, ()))
        return sorted(seen)


def _bpmn_id(task):
    return getattr(task.task_spec, "bpmn_id", None)


def executed(workflow, diagrams):
    """{process id: {"nodes": set, "flows": set}} of one workflow and its subprocesses."""
    result = defaultdict(lambda: {"nodes": set(), "flows": set()})
    for wf in (workflow, *workflow.subprocesses.values()):
        pid = wf.spec.name
        index = diagrams.flows.get(pid, {})
        tasks = list(wf.tasks.values())
        done = {_bpmn_id(t) for t in tasks if t.state == TaskState.COMPLETED and _bpmn_id(t)}
        for task in tasks:
            node = _bpmn_id(task)
            if node is None or node not in done:
                continue
            # A join completes in one branch; the other branches' instances of it are cancelled,
            # but their incoming flows were taken all the same.
            reached = task.state == TaskState.COMPLETED or (
                task.state == TaskState.CANCELLED
                and type(task.task_spec).__name__ in GATEWAYS)
            if not reached:
                continue
            if task.state == TaskState.COMPLETED:
                result[pid]["nodes"].add(node)
            before = task.parent
            while before is not None and _bpmn_id(before) is None:
                before = before.parent
            if before is not None and before.state == TaskState.COMPLETED:
                flow = index.get((_bpmn_id(before), node))
                if flow:
                    result[pid]["flows"].add(flow)
    return result


def merge(into, more):
    for pid, found in more.items():
        target = into.setdefault(pid, {"nodes": set(), "flows": set()})
        target["nodes"].update(found["nodes"])
        target["flows"].update(found["flows"])
    return into


def as_json(collected):
    return {"processes": {pid: {"nodes": sorted(found["nodes"]), "flows": sorted(found["flows"])}
                          for pid, found in sorted(collected.items())}}


def summary(collected, diagrams, main="safety_inspection"):
    """Per process reached from `main`: flow nodes run / all, and the ones never run."""
    rows = {}
    for pid in diagrams.reachable(main):
        ran = set(collected.get(pid, {}).get("nodes", ())) & diagrams.nodes[pid]
        rows[pid] = {"run": len(ran), "total": len(diagrams.nodes[pid]),
                     "missing": sorted(diagrams.nodes[pid] - ran)}
    total = sum(r["total"] for r in rows.values())
    run = sum(r["run"] for r in rows.values())
    return {"processes": rows, "run": run, "total": total,
            "ratio": run / total if total else 1.0}
