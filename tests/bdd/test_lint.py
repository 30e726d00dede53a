"""The lint: the project's features are clean; a broken feature is reported precisely."""
import subprocess
import sys

from server import PROJECT_ROOT
from server.scenarios import lint as scenario_lint
from server.scenarios.normalize import step
from server.scenarios.steps import DEFINITIONS

BROKEN = """# language: zh-CN
功能: 有问题的功能

  @R3.3.4
  场景: 重复的名字
    假如 对"单县"的巡查已进入"报告"阶段
    那么 巡查状态为"报告中"

  @R3.3.4
  场景: 重复的名字
    假如 对"单县"的巡查已进入"报告"阶段
    那么 组长收到"写一份报告"任务

  场景: 没有条款标签
    假如 对"单县"的巡查已进入"报告"阶段

  @R9.9
  场景: 条款不存在
    假如 对"单县"的巡查已进入"报告"阶段
"""


def kinds(problems):
    return sorted((p.kind, p.line) for p in problems)


def test_the_features_are_clean():
    assert scenario_lint.lint(PROJECT_ROOT / "features") == []


def test_a_broken_feature_is_reported(tmp_path):
    (tmp_path / "broken.feature").write_text(BROKEN, encoding="utf-8")
    problems = scenario_lint.lint(tmp_path)
    assert kinds(problems) == [("duplicate", 5), ("duplicate", 10), ("undefined", 12),
                               ("unknown_clause", 18), ("untagged", 14)]
    undefined = next(p for p in problems if p.kind == "undefined")
    assert "写一份报告" in undefined.message and undefined.file == "broken.feature"
    assert "最接近的步骤" in undefined.message


def test_a_step_two_definitions_match_is_ambiguous(tmp_path):
    (tmp_path / "ok.feature").write_text(BROKEN.split("\n  @R3.3.4\n  场景: 重复的名字\n    假如")[0] + """
  @R3.3.4
  场景: 状态
    假如 对"单县"的巡查已进入"报告"阶段
    那么 巡查状态为"报告中"
""", encoding="utf-8")
    assert scenario_lint.lint(tmp_path) == []
    overlapping = DEFINITIONS + [("then", step('巡查状态为"{text:文本}"'), lambda text: None)]
    problems = scenario_lint.lint(tmp_path, definitions=overlapping)
    assert [p.kind for p in problems] == ["ambiguous"]
    assert '巡查状态为"{status:状态}"' in problems[0].message
    assert '巡查状态为"{text:文本}"' in problems[0].message


def test_unparsable_feature(tmp_path):
    (tmp_path / "bad.feature").write_text("# language: zh-CN\n功能： 全角冒号\n", encoding="utf-8")
    assert [p.kind for p in scenario_lint.lint(tmp_path)] == ["unparsable"]


def test_the_command_exits_1_on_problems(tmp_path):
    (tmp_path / "broken.feature").write_text(BROKEN, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "server.scenarios.lint", str(tmp_path)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "重复的场景名" in run.stdout and "未定义的步骤" in run.stdout
    clean = subprocess.run([sys.executable, "-m", "server.scenarios.lint"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
