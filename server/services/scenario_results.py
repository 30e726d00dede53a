"""What a finished scenario run keeps in its row: the scenarios (without this machine's paths),
a summary per clause with the clause titles of clauses.json, the coverage, the clause register."""
from pathlib import PurePosixPath

from ..scenarios import register

SCENARIO_KEYS = ("feature", "name", "example", "clauses", "status", "failing_step", "step_line",
                 "message", "seconds")

def compact_scenario(scenario):
    return {key: scenario.get(key) for key in SCENARIO_KEYS}


def clause_titles():
    """{scenario tag: (clause id, title)} from clauses.json (a range clause owns its items)."""
    found = {}
    for clause in register.load_clauses():
        for tag in clause["tags"]:
            found.setdefault(tag, (clause["id"], clause["title"]))
    return found


def clause_summary(scenarios):
    """{clause id: {"title", "passed", "failed", "skipped"}} over the scenarios' clause tags."""
    titles, summary = clause_titles(), {}
    for scenario in scenarios:
        for tag in scenario.get("clauses") or ["（未标注条款）"]:
            clause_id, title = titles.get(tag, (tag, ""))
            entry = summary.setdefault(clause_id, {"title": title, "passed": 0, "failed": 0,
                                                   "skipped": 0})
            entry[scenario["status"]] = entry.get(scenario["status"], 0) + 1
    return summary


def _register(data):
    keep = ("id", "title", "category", "automatable", "gap", "result")
    return {"gaps": data["gaps"], "counts": data["counts"], "clauses": [
        {**{key: row[key] for key in keep},
         "scenarios": [{key: s[key] for key in ("feature", "name", "status")}
                       for s in row["scenarios"]]} for row in data["clauses"]]}


def _source(source):
    """What was tested, without this machine's paths."""
    kept = {key: value for key, value in source.items() if key != "root"}
    kept["replaced"] = [{**item, "file": PurePosixPath(item["file"]).name}
                        for item in source.get("replaced", ())]
    return kept


def summarise(result, clause_register):
    """The stored result of a finished run (RunResult dict + register.json)."""
    scenarios = [compact_scenario(s) for s in result["scenarios"]]
    return {"passed": result["passed"], "counts": result["counts"], "seconds": result["seconds"],
            "started_at": result["started_at"], "tags": result["tags"],
            "driver": result["driver"], "error": result["error"],
            "source": _source(result["source"]), "scenarios": scenarios,
            "clauses": clause_summary(scenarios), "coverage": result["coverage"],
            "register": _register(clause_register)}
