"""The suite as a runner runs it (`suite.py` with the plugin, in a subprocess, against a copy of
the procedure), three times side by side:

- unaltered: every scenario passes, the scenarios alone run ≥ 95 % of the flow nodes of the main
  process and of every process it calls, in well under 10 s of CPU;
- a draft where every form gained a required field with a default: still all green;
- a draft with the report deadline at 20 working days instead of 15 and the interview escalation
  of overdue rectification removed: exactly the scenarios tagged R3.3.4 or R3.3.5b fail, and the
  output names the clause and the failing step.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest
from lxml import etree

from server import PROJECT_ROOT
from server.scenarios.coverage import Diagrams, summary
from server.services.versions import read_source_tree

SUITE = PROJECT_ROOT / "server" / "scenarios" / "suite.py"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BROKEN_CLAUSES = {"R3.3.4", "R3.3.5b"}


def copy_procedure(folder):
    for part in ("processes", "forms"):
        shutil.copytree(PROJECT_ROOT / part, folder / part)
    return folder


def add_required_field_with_default(folder):
    for path in (folder / "forms").glob("*.json"):
        form = json.loads(path.read_text(encoding="utf-8"))
        schema = form["schema"]
        schema["properties"]["record_level"] = {
            "type": "string", "title": "登记级别", "enum": ["normal", "important"],
            "x-enumNames": ["一般", "重要"], "default": "normal"}
        schema["required"] = [*schema.get("required", []), "record_level"]
        path.write_text(json.dumps(form, ensure_ascii=False, indent=1), encoding="utf-8")


def remove_elements(path, element_ids):
    """Remove flow nodes, the sequence flows touching them, lane references and their shapes."""
    tree = etree.parse(str(path))
    flows = {f.get("id") for f in tree.iter(f"{BPMN}sequenceFlow")
             if f.get("sourceRef") in element_ids or f.get("targetRef") in element_ids}
    gone = set(element_ids) | flows
    refs = {f"{BPMN}incoming", f"{BPMN}outgoing", f"{BPMN}flowNodeRef"}
    for element in list(tree.iter()):
        if (element.get("id") in gone or element.get("bpmnElement") in gone
                or (element.tag in refs and (element.text or "").strip() in gone)):
            element.getparent().remove(element)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def break_report_deadline_and_escalation(folder):
    report = folder / "processes" / "inspection_report.bpmn"
    text = report.read_text(encoding="utf-8")
    assert text.count("add_working_days(fieldwork_end, 15)") == 1
    report.write_text(text.replace("add_working_days(fieldwork_end, 15)",
                                   "add_working_days(fieldwork_end, 20)"), encoding="utf-8")
    remove_elements(folder / "processes" / "inspection_feedback.bpmn",
                    {"rectification_deadline", "overdue_guard", "set_trigger_overdue",
                     "interview_overdue", "overdue_end"})


class Run:
    def __init__(self, folder, source):
        self.folder = folder
        self.cucumber_path = folder / "cucumber.json"
        self.coverage_path = folder / "coverage.json"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", str(SUITE), "-p", "server.scenarios.plugin",
             "--xuncha-source", str(source), "--cucumberjson", str(self.cucumber_path),
             "--xuncha-coverage", str(self.coverage_path), "-q", "-p", "no:cacheprovider",
             "-o", "addopts="],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finish(self):
        if not hasattr(self, "output"):
            self.output, _ = self.process.communicate(timeout=600)
            self.returncode = self.process.returncode
        return self

    def scenarios(self):
        """[(id, name, tags, failed steps)] from the cucumber JSON."""
        found = []
        for feature in json.loads(self.cucumber_path.read_text(encoding="utf-8")):
            for element in feature["elements"]:
                tags = {t["name"].lstrip("@") for t in element["tags"]}
                failed = [s for s in element["steps"] if s["result"]["status"] == "failed"]
                found.append((element["id"], element["name"], tags, failed))
        return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    drafts = {}
    for name, change in (("unaltered", None), ("new_field", add_required_field_with_default),
                         ("broken", break_report_deadline_and_escalation)):
        folder = base / name
        source = copy_procedure(folder / "source")
        if change:
            change(source)
        drafts[name] = Run(folder, source)
    yield drafts
    for run in drafts.values():
        if run.process.poll() is None:
            run.process.kill()


def test_unaltered_procedure_passes_with_coverage_and_in_time(runs):
    run = runs["unaltered"].finish()
    assert run.returncode == 0, run.output[-3000:]
    scenarios = run.scenarios()
    assert len({name for _id, name, _tags, _failed in scenarios}) >= 40
    assert all(not failed for *_rest, failed in scenarios)
    assert all(any(re.fullmatch(r"R[\d.]+[a-z]?", t) for t in tags) for _id, _n, tags, _f in scenarios)
    collected = json.loads(run.coverage_path.read_text(encoding="utf-8"))["processes"]
    found = summary(collected, Diagrams(read_source_tree(PROJECT_ROOT)))
    assert len(found["processes"]) == 7
    for process, row in found["processes"].items():
        assert row["run"] / row["total"] >= 0.95, (process, row["missing"])
    assert found["ratio"] >= 0.95
    cpu = float(re.search(r"巡查场景：.*CPU ([\d.]+) 秒", run.output).group(1))
    assert cpu < 10, run.output[-500:]


def test_a_required_field_with_a_default_in_every_form_leaves_the_suite_green(runs):
    run = runs["new_field"].finish()
    assert run.returncode == 0, run.output[-3000:]
    assert all(not failed for *_rest, failed in run.scenarios())


def test_a_changed_deadline_and_a_removed_escalation_fail_exactly_their_clauses(runs):
    run = runs["broken"].finish()
    assert run.returncode == 1
    scenarios = run.scenarios()
    failed = {sid for sid, _name, _tags, steps in scenarios if steps}
    expected = {sid for sid, _name, tags, _steps in scenarios if tags & BROKEN_CLAUSES}
    assert failed == expected
    assert {c for _s, _n, tags, steps in scenarios if steps for c in tags} >= BROKEN_CLAUSES
    for _sid, name, tags, steps in scenarios:
        if steps:
            message = steps[0]["result"]["error_message"]
            assert "条款：" in message and any(c in message for c in tags & BROKEN_CLAUSES), name
            assert f"失败步骤：{steps[0]['keyword']} {steps[0]['name']}" in message, name
    assert "未通过的条款" in run.output
    assert "R3.3.4 巡查报告（15个工作日）" in run.output
    assert "R3.3.5b 整改报送（2个月）与约谈" in run.output
    assert "失败步骤：" in run.output
