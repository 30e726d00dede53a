"""The clause register: every clause of the regulation, the scenarios tagged with it, their last
result, and the gaps (clauses a machine could check that no scenario checks).

The clauses come from `clauses.json` beside this file, generated from the catalogue table
(regulation/clauses.md §1) with `python -m server.scenarios.register --catalogue clauses.md`.
Categories: a process behaviour, b deadline/timer, c role/permission, d data/form field, e rule
a decision can check: automatable; f not automatable. A clause with any of a–e and no scenario
is a gap; a clause with only f (or none: a heading) never is.
"""
import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import PROJECT_ROOT
from . import glossary

CLAUSES_FILE = Path(__file__).with_name("clauses.json")
AUTOMATABLE = frozenset("abcde")
CATEGORY_NAMES = {"a": "流程行为", "b": "期限/定时", "c": "角色/权限", "d": "数据/表单",
                  "e": "可由决策检查的规则", "f": "不可自动检验"}
RESULT_NAMES = {"passed": "通过", "failed": "未通过", "not_run": "未运行", "none": "无场景",
                "not_applicable": "不适用"}
# Rows of the catalogue with no short title in the glossary (headings, the range of items).
TITLES = {"R2.2": "巡查人员条件（标题）", "R4.2": "巡查纪律（标题）",
          "R3.2.1–R3.2.8": "巡查内容八个方面的各项"}


# ---- the catalogue ---------------------------------------------------------------------------
def _cells(line):
    return [cell.strip().replace("**", "").strip() for cell in line.strip().strip("|").split("|")]


def _tags(clause_id):
    """The tags that count for a clause: its ID; for a range ("R3.2.1–R3.2.8"), every item and
    the clause the items belong to (R3.2)."""
    found = re.fullmatch(r"(R[\d.]+)\.(\d+)[–-]\1\.(\d+)", clause_id)
    if not found:
        return [clause_id]
    parent, first, last = found.group(1), int(found.group(2)), int(found.group(3))
    return [f"{parent}.{n}" for n in range(first, last + 1)] + [parent]


def parse_catalogue(text):
    """The rows of the §1 table of clauses.md, in order, as clauses.json holds them.

    A row for a range of items ("R3.2.1–R3.2.8") stays one clause; scenarios tagged with any
    item, or with the clause the items belong to (R3.2), count for it."""
    section = text.split("\n## 1.", 1)[1].split("\n## ", 1)[0]
    clauses = []
    for line in section.splitlines():
        if not line.startswith("| R"):
            continue
        clause_id, original, gloss, category, note = (_cells(line) + [""] * 5)[:5]
        clauses.append({
            "id": clause_id, "tags": _tags(clause_id),
            "title": glossary.CLAUSES.get(clause_id, (TITLES.get(clause_id, gloss),))[0],
            "gloss": gloss, "category": re.findall(r"[a-f]", category),
            "text": original, "note": note})
    return clauses


def load_clauses(path=CLAUSES_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ---- scenarios by tag ------------------------------------------------------------------------
def tagged_scenarios(features_dir=None):
    """{clause tag: [{"name", "feature", "file", "line"}]} from the .feature files."""
    from pytest_bdd.feature import get_features
    found = {}
    for feature in get_features([str(features_dir or PROJECT_ROOT / "features")]):
        for template in feature.scenarios.values():
            entry = {"name": template.name, "feature": feature.name,
                     "file": Path(feature.filename).name, "line": template.line_number}
            for tag in sorted(set(template.tags) | set(feature.tags)):
                if glossary.is_clause_tag(tag):
                    found.setdefault(tag, []).append(entry)
    return found


# ---- the register ----------------------------------------------------------------------------
@dataclass
class Register:
    rows: list                              # one per clause, in catalogue order
    unknown_tags: dict = field(default_factory=dict)     # tag -> scenarios (no such clause)
    run: str | None = None                  # where the results came from

    @property
    def gaps(self):
        return [row for row in self.rows if row["gap"]]

    def to_dict(self):
        return {"run": self.run, "clauses": self.rows, "gaps": [row["id"] for row in self.gaps],
                "unknown_tags": self.unknown_tags,
                "counts": {"clauses": len(self.rows),
                           "automatable": sum(row["automatable"] for row in self.rows),
                           "with_scenarios": sum(bool(row["scenarios"]) for row in self.rows),
                           "gaps": len(self.gaps)}}


def _status(results, scenario):
    """The scenario's last result: failed if any of its runs (example rows) failed."""
    found = results.get((scenario["feature"], scenario["name"]))
    if not found:
        return "not_run"
    return "failed" if "failed" in found else "passed" if "passed" in found else "not_run"


def _clause_result(scenarios, automatable):
    statuses = {s["status"] for s in scenarios}
    if not scenarios:
        return "none" if automatable else "not_applicable"
    if "failed" in statuses:
        return "failed"
    return "passed" if statuses == {"passed"} else "not_run" if "passed" not in statuses \
        else "passed"


def build(features_dir=None, results=None, clauses=None, run=None):
    """The register of `clauses` (default: clauses.json) against the features' tags and the
    scenario results of a run (`RunResult.scenarios`: dicts with feature, name, status)."""
    clauses = clauses if clauses is not None else load_clauses()
    by_tag = tagged_scenarios(features_dir)
    outcomes = {}
    for result in results or ():
        outcomes.setdefault((result["feature"], result["name"]), set()).add(result["status"])
    rows, known = [], set()
    for clause in clauses:
        known.update(clause["tags"])
        seen, scenarios = set(), []
        for tag in clause["tags"]:
            for scenario in by_tag.get(tag, ()):
                key = (scenario["feature"], scenario["name"])
                if key not in seen:
                    seen.add(key)
                    scenarios.append({**scenario, "status": _status(outcomes, scenario)})
        automatable = bool(AUTOMATABLE.intersection(clause["category"]))
        rows.append({**clause, "automatable": automatable, "scenarios": scenarios,
                     "result": _clause_result(scenarios, automatable),
                     "gap": automatable and not scenarios})
    unknown = {tag: found for tag, found in by_tag.items() if tag not in known}
    return Register(rows, unknown, run)


def render_text(register):
    """The register as a plain table for the terminal."""
    lines = [f"{'条款':<16}{'类别':<8}{'场景':>4}  {'最近结果':<6}  标题"]
    for row in register.rows:
        category = ",".join(row["category"]) or "—"
        mark = "  ← 缺少场景" if row["gap"] else ""
        lines.append(f"{row['id']:<16}{category:<8}{len(row['scenarios']):>4}  "
                     f"{RESULT_NAMES[row['result']]:<6}  {row['title']}{mark}")
    counts = register.to_dict()["counts"]
    lines.append("")
    lines.append(f"条款 {counts['clauses']} 条，可自动检验 {counts['automatable']} 条，"
                 f"有场景 {counts['with_scenarios']} 条，缺少场景 {counts['gaps']} 条"
                 + (f"：{'、'.join(r['id'] for r in register.gaps)}" if register.gaps else ""))
    for tag, found in sorted(register.unknown_tags.items()):
        lines.append(f"未知条款标签 @{tag}：{'、'.join(s['name'] for s in found)}")
    if register.run:
        lines.append(f"最近结果取自：{register.run}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="条款登记表（clauses.json）")
    parser.add_argument("--catalogue", type=Path,
                        help="regenerate clauses.json from the catalogue (regulation/clauses.md)")
    args = parser.parse_args(argv)
    if args.catalogue:
        clauses = parse_catalogue(args.catalogue.read_text(encoding="utf-8"))
        CLAUSES_FILE.write_text(json.dumps(clauses, ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
        print(f"{CLAUSES_FILE}：{len(clauses)} 条")
        return
    print(render_text(build()))


if __name__ == "__main__":
    main()
