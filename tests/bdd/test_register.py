"""The clause register: every clause of the catalogue, its scenarios, its last result, the gaps."""
import json
from pathlib import Path

import pytest

from server import PROJECT_ROOT, create_app
from server.scenarios import glossary, register

CATALOGUE = PROJECT_ROOT.parent / "shared" / "regulation" / "clauses.md"


@pytest.fixture(scope="module")
def built():
    return register.build()


def row(found, clause_id):
    return next(r for r in found.rows if r["id"] == clause_id)


def test_the_committed_copy_matches_the_catalogue():
    if not CATALOGUE.exists():
        pytest.skip(f"{CATALOGUE} is not beside the repository (the copy is what the product reads)")
    assert register.parse_catalogue(CATALOGUE.read_text(encoding="utf-8")) == register.load_clauses(), \
        "regenerate: .venv/bin/python -m server.scenarios.register --catalogue " + str(CATALOGUE)


def test_every_clause_the_features_may_tag_is_in_the_register():
    ids = {clause["id"] for clause in register.load_clauses()}
    assert set(glossary.CLAUSES) <= ids
    assert "R3.2.1–R3.2.8" in ids


def test_gaps_are_automatable_clauses_without_scenarios(built, tmp_path):
    assert built.gaps == []                 # every automatable clause has a scenario
    for feature in (PROJECT_ROOT / "features").glob("*.feature"):
        if feature.name != "规划.feature":
            (tmp_path / feature.name).write_bytes(feature.read_bytes())
    without_planning = register.build(features_dir=tmp_path)
    assert {r["id"] for r in without_planning.gaps} == {"R0.1", "R1.2", "R3.1a", "R3.1b", "R3.1c", "R5"}
    for found in built.rows:
        if set(found["category"]) <= {"f"}:          # f only, or a heading without category
            assert not found["gap"] and not found["automatable"], found["id"]
            assert found["result"] in ("not_applicable", "not_run", "passed", "failed")
    assert not row(built, "R0.2")["gap"] and row(built, "R0.2")["result"] == "not_applicable"
    confidentiality = row(built, "R4.2.2")             # c, f: automatable in part, and tagged
    assert confidentiality["automatable"] and confidentiality["scenarios"] and not confidentiality["gap"]
    assert built.to_dict()["counts"]["gaps"] == len(built.gaps)
    assert built.unknown_tags == {}


def test_scenarios_come_from_the_tags_and_a_range_counts_its_parent(built):
    report = row(built, "R3.3.4")
    assert len(report["scenarios"]) >= 10
    assert {s["file"] for s in report["scenarios"]} == {"报告.feature"}
    assert all(s["status"] == "not_run" for s in report["scenarios"])
    assert report["result"] == "not_run"
    items = row(built, "R3.2.1–R3.2.8")
    assert items["scenarios"] == row(built, "R3.2")["scenarios"] != []


def test_last_results_per_scenario_and_clause(built):
    report = row(built, "R3.3.4")["scenarios"]
    results = [{"feature": s["feature"], "name": s["name"], "status": "passed"} for s in report]
    results[0]["status"] = "failed"
    entry = {"feature": report[0]["feature"], "name": report[0]["name"]}
    results.append({**entry, "status": "passed"})      # another example row of the same outline
    found = register.build(results=results)
    assert row(found, "R3.3.4")["result"] == "failed"
    assert row(found, "R3.3.4")["scenarios"][0]["status"] == "failed"
    assert row(found, "R3.3.4")["scenarios"][1]["status"] == "passed"
    assert row(found, "R3.3.6")["result"] == "not_run"
    passing = register.build(results=[{**r, "status": "passed"} for r in results])
    assert row(passing, "R3.3.4")["result"] == "passed"


def test_the_command_prints_the_register_with_the_last_run(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "SECRET_KEY": "t",
                      "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    answer = app.test_cli_runner().invoke(args=["scenarios", "register"])
    assert answer.exit_code == 0, answer.output
    assert "R3.1a" in answer.output and "← 缺少场景" not in answer.output
    assert "缺少场景 0 条" in answer.output
    # a run's results (as result.json holds them) become the last results
    run = Path(app.instance_path) / "scenario-runs" / "20261129-100000-000000"
    run.mkdir(parents=True)
    name = row(register.build(), "R4.3")["scenarios"][0]
    (run / "result.json").write_text(json.dumps({
        "passed": False, "coverage": {}, "files": {}, "source": {}, "driver": "engine",
        "scenarios": [{"feature": name["feature"], "name": name["name"], "status": "failed"}]},
        ensure_ascii=False), encoding="utf-8")
    answer = app.test_cli_runner().invoke(args=["scenarios", "register", "--json"])
    found = json.loads(answer.output)
    assert found["run"] == str(run)
    assert next(r for r in found["clauses"] if r["id"] == "R4.3")["result"] == "failed"
