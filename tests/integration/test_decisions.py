"""Decision tables are the one source of truth for the rules they hold (issue: planning rules)."""
import shutil

import pytest

from server.engine.bundle import InvalidBundle, load_bundle
from server.services.errors import InvalidInput
from server.services.samples import ROSTER, SAMPLES
from server.services.versions import read_source_tree
from tests.conftest import ROOT, Desk, build_app

TABLE = "processes/team_composition.dmn"
FIVE = [m for m in ROSTER if m["username"] != "team_member4"]   # 5 counted, plus an expert


def copy_procedure(tmp_path, edit=None):
    source = tmp_path / "procedure"
    for folder in ("processes", "forms"):
        shutil.copytree(ROOT / folder, source / folder)
    if edit:
        path = source / TABLE
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return source


def office_desk(app):
    desk = Desk(app)
    desk.add_user("office", "office")
    return desk


def roster_answer(desk, members):
    """What drafting a roster of `members` for a new inspection answers: {} or field errors."""
    instance_id = desk.start("office", "单县")
    desk.complete("office", "制定巡查工作方案", SAMPLES["work_plan.json"], instance_id)
    try:
        desk.complete("office", "拟定巡查组名单", {"members": members}, instance_id)
    except InvalidInput as exc:
        return exc.fields
    return {}


def test_minimum_team_size_comes_from_the_decision_table(database_url, tmp_path):
    answer = roster_answer(office_desk(build_app(database_url, ROOT, tmp_path / "a")), FIVE)
    assert answer == {"size_exception_reason": "不足6人须填写例外理由"}


def test_changing_the_table_changes_which_rosters_are_accepted(database_url, tmp_path):
    source = copy_procedure(tmp_path, lambda text: text.replace(
        "!= 'expert']) &lt; 6", "!= 'expert']) &lt; 5"))
    assert "&lt; 5" in (source / TABLE).read_text(encoding="utf-8")
    desk = office_desk(build_app(database_url, source, tmp_path / "b"))
    assert roster_answer(desk, FIVE) == {}
    assert roster_answer(desk, FIVE[:-2]) == {"size_exception_reason": "不足6人须填写例外理由"}


def test_a_sandbox_escape_in_a_table_cell_is_refused(tmp_path):
    source = copy_procedure(tmp_path, lambda text: text.replace(
        "<text>!= 1</text>", "<text>().__class__</text>", 1))
    with pytest.raises(InvalidBundle) as error:
        load_bundle(read_source_tree(source))
    assert any(p.element and p.element.startswith("team_composition/") and "不安全" in p.message
               for p in error.value.problems)


def test_a_form_naming_a_missing_table_is_refused():
    files = read_source_tree(ROOT)
    del files[TABLE]
    with pytest.raises(InvalidBundle) as error:
        load_bundle(files)
    assert any("决策表 team_composition 不存在" in p.message for p in error.value.problems)
