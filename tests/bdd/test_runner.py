"""The reviewer's runner (`flask --app server scenarios run`): on the procedure on disk, with a
draft diagram replacing one of it, and against a deployed version; its result and files."""
import json
from pathlib import Path

import pytest

from server import PROJECT_ROOT, create_app
from server.scenarios import runner
from server.services.context import SYSTEM, unit_of_work
from server.services.versions import deploy_version, read_source_tree

REPORT = "processes/inspection_report.bpmn"


def late_report(text):
    """The report deadline at 20 working days instead of the regulation's 15 (R3.3.4)."""
    assert text.count("add_working_days(fieldwork_end, 15)") == 1
    return text.replace("add_working_days(fieldwork_end, 15)", "add_working_days(fieldwork_end, 20)")


@pytest.fixture
def no_database_app(tmp_path):
    """An app whose database cannot be reached: `scenarios run` must not need one."""
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "SECRET_KEY": "t",
                      "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    return app


def test_a_run_on_the_procedure_on_disk(tmp_path):
    events = []
    result = runner.run(tags="R3.3.4", out_dir=tmp_path / "run", progress=events.append)
    assert result.passed and result.exit_status == 0
    assert result.counts["total"] == result.counts["passed"] >= 10
    assert all("R3.3.4" in s["clauses"] and s["status"] == "passed" for s in result.scenarios)
    assert result.source["kind"] == "disk"
    # progress: what was tested, how many, then one line per scenario, numbered
    assert [e["event"] for e in events[:2]] == ["prepared", "collected"]
    numbered = [e for e in events if e["event"] == "scenario"]
    assert [e["index"] for e in numbered] == list(range(1, len(result.scenarios) + 1))
    assert {e["total"] for e in numbered} == {len(result.scenarios)}
    # files
    for name in ("cucumber_json", "coverage", "result", "register", "html", "log"):
        assert Path(result.files[name]).is_file(), name
    cucumber = json.loads(Path(result.files["cucumber_json"]).read_text(encoding="utf-8"))
    assert sum(len(f["elements"]) for f in cucumber) == result.counts["total"]
    assert runner.RunResult.load(tmp_path / "run").to_dict() == result.to_dict()
    # coverage: the report stage fully run, other stages named where they were not
    coverage = result.coverage
    assert coverage["available"]
    report = coverage["processes"]["inspection_report"]
    assert report["reached"] and report["nodes_covered"] == report["nodes_total"] > 10
    assert report["flows_total"] > 10 and report["flows_ratio"] > 0.9
    feedback = coverage["processes"]["inspection_feedback"]
    assert feedback["uncovered_nodes"] and all(n["id"] and n["type"] for n in feedback["uncovered_nodes"])
    assert "组织约谈" in {n["name"] for n in feedback["uncovered_nodes"]}
    assert not coverage["processes"]["annual_plan"]["reached"]
    assert 0 < coverage["totals"]["nodes_covered"] < coverage["totals"]["nodes_total"]
    html = Path(result.files["html"]).read_text(encoding="utf-8")
    assert "巡查场景运行报告" in html and "bpmn-navigated-viewer" in html
    assert '"covered"' in html and "inspection_report" in html and "R3.1a" in html


def test_a_draft_with_a_late_report_deadline_fails_its_clause(tmp_path, no_database_app):
    draft = tmp_path / "报告草稿.bpmn"
    draft.write_text(late_report((PROJECT_ROOT / REPORT).read_text(encoding="utf-8")),
                     encoding="utf-8")
    answer = no_database_app.test_cli_runner().invoke(args=[
        "scenarios", "run", "--bpmn", str(draft), "--tags", "R3.3.4 or R3.3.6",
        "--out", str(tmp_path / "run")])
    assert answer.exit_code == 1, answer.output
    assert "以 报告草稿.bpmn 替换" in answer.output
    assert "未通过 R3.3.4 报告期限为现场巡查结束后第15个工作日" in answer.output
    assert '失败步骤：而且 巡查组组长收到"提交巡查工作报告"任务，办理期限为2025年10月23日' in answer.output
    assert "原因：“提交巡查工作报告”的办理期限为2025年10月30日，不是2025年10月23日" in answer.output
    assert "流程覆盖" in answer.output and "report.html" in answer.output
    result = runner.RunResult.load(tmp_path / "run")
    assert not result.passed
    assert result.source["replaced"][0]["replaces"] == ["inspection_report.bpmn"]
    failed = {s["name"] for s in result.scenarios if s["status"] == "failed"}
    assert failed and all("R3.3.4" in s["clauses"] for s in result.scenarios
                          if s["status"] == "failed")
    assert all(s["status"] == "passed" for s in result.scenarios if "R3.3.4" not in s["clauses"])
    written = (tmp_path / "run" / "source" / REPORT).read_text(encoding="utf-8")
    assert "add_working_days(fieldwork_end, 20)" in written
    register = json.loads((tmp_path / "run" / "register.json").read_text(encoding="utf-8"))
    assert next(r for r in register["clauses"] if r["id"] == "R3.3.4")["result"] == "failed"
    assert next(r for r in register["clauses"] if r["id"] == "R3.3.6")["result"] == "passed"


def test_a_file_that_defines_no_process_is_refused(tmp_path, no_database_app):
    empty = tmp_path / "empty.bpmn"
    empty.write_text('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>',
                     encoding="utf-8")
    answer = no_database_app.test_cli_runner().invoke(args=[
        "scenarios", "run", "--bpmn", str(empty), "--out", str(tmp_path / "run")])
    assert answer.exit_code == 2
    assert "empty.bpmn 中没有定义任何流程（bpmn:process），无法确定要替换哪个流程图" in answer.output
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions", encoding="utf-8")
    with pytest.raises(runner.RunnerError, match="broken.bpmn 不是有效的 XML"):
        runner.run(bpmn_files=[broken], out_dir=tmp_path / "run2")


def test_a_given_file_takes_the_place_of_the_one_defining_its_process(tmp_path):
    source = tmp_path / "source"
    runner.prepare_source(source)
    renamed = tmp_path / "my_report.bpmn"
    renamed.write_bytes((PROJECT_ROOT / REPORT).read_bytes())
    new = PROJECT_ROOT / "tests" / "fixtures" / "mini" / "processes" / "wait.bpmn"
    replaced = runner.replace_diagrams(source, [renamed, new])
    assert replaced == [
        {"file": str(renamed), "replaces": ["inspection_report.bpmn"],
         "ids": ["inspection_report"], "written_as": "inspection_report.bpmn"},
        {"file": str(new), "replaces": [], "ids": ["wait"], "written_as": "wait.bpmn"}]
    assert not (source / "processes" / "my_report.bpmn").exists()
    assert (source / "processes" / "wait.bpmn").exists()


@pytest.mark.parametrize("given, expression", [
    ("R3.3.4", "R3.3.4"), ("@R3.3.4", "R3.3.4"), ("R3.3.4,R4.3", "R3.3.4 or R4.3"),
    ("@R3.3.4 @R4.3", "R3.3.4 or R4.3"), ("R3.3.4 or not R4.3", "R3.3.4 or not R4.3"),
    (None, None), ("", None)])
def test_tags_become_a_marker_expression(given, expression):
    assert runner.marker_expression(given) == expression


def test_a_deployed_version_is_run_from_the_database(app, tmp_path):
    services = app.extensions["xuncha"]
    files = read_source_tree(PROJECT_ROOT)
    files[REPORT] = late_report(files[REPORT].decode("utf-8")).encode("utf-8")
    with unit_of_work(services) as uow:
        late = deploy_version(uow, SYSTEM, files, note="报告期限改为20个工作日")
    assert late == 2
    answer = app.test_cli_runner().invoke(args=[
        "scenarios", "run", "--version", str(late), "--tags", "R3.3.4",
        "--out", str(tmp_path / "run")])
    assert answer.exit_code == 1, answer.output
    assert f"已部署的流程版本 {late}" in answer.output
    assert "办理期限为2025年10月30日，不是2025年10月23日" in answer.output
    assert (tmp_path / "run" / "source" / REPORT).read_bytes() == files[REPORT]
    missing = app.test_cli_runner().invoke(args=["scenarios", "run", "--version", "99",
                                                 "--out", str(tmp_path / "run99")])
    assert missing.exit_code == 2 and "流程版本 99 不存在" in missing.output
