"""Check the features before running them: `python -m server.scenarios.lint [FEATURES_DIR]`.

Reports, with file and line:
- 未定义的步骤: a step no definition matches (a typo, or a task renamed in the diagrams);
- 有歧义的步骤: a step two definitions match (pytest-bdd would pick one silently);
- 重复的场景名: two scenarios of one feature with the same name (all but the last are dropped);
- 未标注条款 / 未知条款: a scenario without a clause tag, or with an ID not in the catalogue;
- 无法解析: a feature file that is not valid Gherkin.
Exit status 1 when there is any problem.
"""
import argparse
import difflib
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.feature import get_features
from pytest_bdd.gherkin_parser import get_gherkin_document

from . import glossary
from .normalize import normalize


@dataclass(frozen=True)
class Problem:
    kind: str           # undefined, ambiguous, duplicate, untagged, unknown_clause, unparsable
    file: str
    line: int
    scenario: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        scenario = f"［{self.scenario}］" if self.scenario else ""
        return f"{where} {scenario}{self.message}"


def lint(features_dir, definitions=None):
    """Problems of the .feature files under `features_dir`, against the step definitions
    (default: the step library; configure the glossary for the bundle under test first)."""
    if definitions is None:
        from .steps import DEFINITIONS as definitions
    root = Path(features_dir)
    problems = []
    files = sorted(root.rglob("*.feature"))
    parsed = []
    for path in files:
        try:
            document = get_gherkin_document(str(path))
        except Exception as exc:            # pytest-bdd raises its own parse errors
            problems.append(Problem("unparsable", _rel(path, root), getattr(exc, "line", 0), "",
                                    f"无法解析：{exc}"))
            continue
        problems.extend(_duplicates(document, path, root))
        parsed.append(path)
    for feature in get_features([str(p) for p in parsed]):
        path = Path(feature.filename)
        for template in feature.scenarios.values():
            problems.extend(_tags(template, path, root))
            contexts = [ctx for examples in template.examples for ctx in examples.as_contexts()]
            seen = set()
            for context in contexts or [{}]:
                for step in template.render(context).steps:
                    key = (step.type, step.name, step.line_number)
                    if key in seen:
                        continue
                    seen.add(key)
                    problems.extend(_match(step, template, path, root, definitions))
    return problems


def _rel(path, root):
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _scenarios(children):
    for child in children:
        if child.scenario is not None:
            yield child.scenario
        if child.rule is not None:
            yield from _scenarios(child.rule.children)


def _duplicates(document, path, root):
    if document.feature is None:
        return []
    scenarios = list(_scenarios(document.feature.children))
    counts = Counter(s.name for s in scenarios)
    return [Problem("duplicate", _rel(path, root), s.location.line, s.name,
                    f"重复的场景名：“{s.name}”出现 {counts[s.name]} 次（pytest-bdd 只保留最后一个）")
            for s in scenarios if counts[s.name] > 1]


def _tags(template, path, root):
    tags = set(template.tags) | set(template.feature.tags)
    if template.rule is not None:
        tags |= set(template.rule.tags)
    clauses = [t for t in tags if glossary.is_clause_tag(t)]
    where = (_rel(path, root), template.line_number, template.name)
    if not clauses:
        return [Problem("untagged", *where, "未标注条款：每个场景须以条款编号为标签，如 @R3.3.4")]
    return [Problem("unknown_clause", *where, f"未知条款：@{c}（不在条款目录中）")
            for c in sorted(clauses) if c not in glossary.CLAUSES]


def _match(step, template, path, root, definitions):
    found = [(kind, parser) for kind, parser, _fn in definitions
             if (kind is None or kind == step.type) and parser.is_matching(step.name)]
    where = (_rel(path, root), step.line_number, template.name)
    text = f"{step.keyword} {step.name}"
    if not found:
        return [Problem("undefined", *where, f"未定义的步骤：{text}{_hint(step, definitions)}")]
    if len(found) > 1:
        patterns = "；".join(parser.pattern for _kind, parser in found)
        return [Problem("ambiguous", *where, f"有歧义的步骤：{text}，同时匹配：{patterns}")]
    return []


def _hint(step, definitions):
    """The definition whose fixed words are closest to the step's, as a hint."""
    def skeleton(text):
        return re.sub(r'"[^"]*"', '""', re.sub(r"\{[^}]*\}", "", text))

    text = skeleton(normalize(step.name))
    scored = [(difflib.SequenceMatcher(None, skeleton(parser.name), text).ratio(), parser.pattern)
              for kind, parser, _fn in definitions if kind in (None, step.type)]
    best = max(scored, default=(0, ""))
    return f"（最接近的步骤：{best[1]}）" if best[0] >= 0.5 else ""


def main(argv=None):
    from .. import PROJECT_ROOT
    parser = argparse.ArgumentParser(prog="python -m server.scenarios.lint",
                                     description="检查场景：未定义或有歧义的步骤、重复的场景名、未标注条款")
    parser.add_argument("features", nargs="?", default=str(PROJECT_ROOT / "features"))
    parser.add_argument("--source", default=str(PROJECT_ROOT),
                        help="流程目录（含 processes/ 和 forms/），任务名称取自其中")
    parser.add_argument("--steps", action="store_true", help="列出步骤库中的全部步骤")
    args = parser.parse_args(argv)
    glossary.configure(args.source)
    if args.steps:
        from .steps import DEFINITIONS
        words = {"given": "假如", "when": "当", "then": "那么", None: "（任意）"}
        for kind, step_parser, _fn in DEFINITIONS:
            print(f"{words[kind]}\t{step_parser.pattern}")
        return 0
    problems = lint(args.features)
    for problem in problems:
        print(problem)
    count = len(list(Path(args.features).rglob("*.feature")))
    print(f"检查了 {count} 个功能文件：{'发现 ' + str(len(problems)) + ' 个问题' if problems else '没有问题'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
