"""Two-year coverage of the counties (R3.1a, D3): fixed bienniums from a configurable start, what
counts (the coverage_counts table), the early warning to the office, once, and the CLI."""
import pytest
from sqlalchemy import select

from server.services import coverage
from server.services.context import unit_of_work
from server.services.errors import Forbidden, InvalidInput
from server.store import schema
from tests.conftest import Desk, build_app
from tests.integration.test_planning import (COUNTIES, Planner, copy_procedure,
                                             drive_to_fieldwork_end, staffed)


@pytest.fixture
def desk(app):
    return staffed(app)


@pytest.fixture
def planner(desk):
    return Planner(desk)


def covered(desk, year=None):
    with unit_of_work(desk.services) as uow:
        rows = coverage.county_coverage(uow, coverage.current_cycle(uow, year))
    assert sorted(r["code"] for r in rows) == sorted(COUNTIES)     # departments never count
    return {r["code"]: r["by"] for r in rows if r["covered"]}


@pytest.mark.parametrize("year, start, cycle", [
    (2024, 2024, (2024, 2025)), (2025, 2024, (2024, 2025)), (2026, 2024, (2026, 2027)),
    (2023, 2024, (2022, 2023)), (2025, 2025, (2025, 2026)), (2027, 2025, (2027, 2028))])
def test_fixed_biennium_from_a_configurable_start(year, start, cycle):
    assert (coverage.biennium(year, start).first_year, coverage.biennium(year, start).last_year) == cycle


def test_nothing_is_covered_at_first(desk):
    assert covered(desk) == {}


def test_a_completed_fieldwork_in_the_cycle_covers_a_county(desk, planner):
    planner.past("mudan", "full", "2024-05-06", "2024-05-24")        # first year of 2024-25
    planner.past("dingtao", "special", "2025-06-02", "2025-06-13")   # special counts (table)
    planner.past("caoxian", "full", "2023-11-01", "2023-11-20")      # previous cycle
    planner.past("chengwu", "full", "2025-10-20")                    # still on site
    planner.past("juye", "full", "2023-12-18", "2024-01-10")         # ended inside the cycle
    found = covered(desk)
    assert sorted(found) == ["dingtao", "juye", "mudan"]
    assert found["mudan"]["date"] == "2024-05-24" and found["mudan"]["source"] == "city"
    assert covered(desk, 2026) == {}                                  # next cycle starts afresh


def test_joint_provincial_inspections_count_and_others_do_not(desk, planner):
    planner.external("shanxian", 2025, joint=True)
    planner.external("dongming", 2025, joint=False)
    planner.external("yuncheng", 2023, joint=True)
    found = covered(desk)
    assert sorted(found) == ["shanxian"]
    assert "R3.1a" in found["shanxian"]["basis"]


def test_an_inspection_run_in_the_system_covers_its_county(desk):
    instance_id = desk.start("office", "曹县")
    drive_to_fieldwork_end(desk, instance_id, "caoxian", entry="2025-11-10", end="2025-11-28")
    found = covered(desk)
    assert list(found) == ["caoxian"] and found["caoxian"]["instance_id"] == instance_id


def test_the_cycle_start_is_a_setting(desk, planner):
    planner.past("mudan", "full", "2024-05-06", "2024-05-24")
    assert "mudan" in covered(desk)
    planner.run("office", coverage.configure, cycle_start_year=2025)
    with unit_of_work(desk.services) as uow:
        assert coverage.current_cycle(uow).label == "2025—2026年"
    assert covered(desk) == {}
    with pytest.raises(InvalidInput):
        planner.run("office", coverage.configure, warning_date="13-40")
    with pytest.raises(Forbidden):
        planner.run("team_leader", coverage.configure, cycle_start_year=2024)


def test_changing_the_counting_table_changes_coverage(database_url, tmp_path):
    """D3 leaves open whether special inspections count: the process owner says they do not."""
    source = copy_procedure(tmp_path, "processes/coverage_counts.dmn", lambda text: text.replace(
        '<inputEntry id="coverage_counts_rule_1_in_1"><text>-</text>',
        '<inputEntry id="coverage_counts_rule_1_in_1"><text>"full"</text>'))
    desk = staffed(build_app(database_url, source, tmp_path / "app"))
    planner = Planner(desk)
    planner.past("mudan", "full", "2024-05-06", "2024-05-24")
    planner.past("dingtao", "special", "2025-06-02", "2025-06-13")
    assert sorted(covered(desk)) == ["mudan"]


# ---------------------------------------------------------------------------- early warning
@pytest.fixture
def early_desk(app):
    """Staff as in the planning tests, on 2025-09-01, a month before the warning day."""
    desk = Desk(app)
    for username, role in (("office", "office"), ("admin", "admin"), ("deputy", "commission_leader")):
        desk.add_user(username, role)
    desk.set_clock("2025-09-01T09:00:00+08:00")
    return desk


def warn(desk):
    with unit_of_work(desk.services) as uow:
        return coverage.issue_warning_if_due(uow)


def test_the_office_is_warned_once_on_the_warning_day_about_uncovered_counties(early_desk):
    desk, planner = early_desk, Planner(early_desk)
    for code in COUNTIES[:7]:
        planner.past(code, "full", "2024-06-03", "2024-06-14")
    assert warn(desk) is None
    desk.set_clock("2025-09-30T23:59:59+08:00")
    assert warn(desk) is None
    assert [t for t in desk.inbox("office") if t["name"] == "处理两年全覆盖预警"] == []
    desk.set_clock("2025-10-01T00:00:00+08:00")     # the clock (or the worker) issues the warning
    assert warn(desk) is None                                    # once per cycle
    [task] = [t for t in desk.inbox("office") if t["name"] == "处理两年全覆盖预警"]
    result = {"instance_id": task["instance_id"]}
    assert task["clauses"] == ["R3.1a"]
    assert desk.instance(result["instance_id"])["data"]["warning_counties"] == ["东明县", "鄄城县"]
    with unit_of_work(desk.services) as uow:
        notes = uow.conn.execute(select(schema.notifications.c.message, schema.notifications.c.role)
                                 .where(schema.notifications.c.kind == "warning")).all()
    assert notes == [("两年全覆盖预警：2024—2025年尚有2个县区未巡查（东明县、鄄城县）", "office")]
    assert [t for t in desk.inbox("deputy") if t["name"] == "处理两年全覆盖预警"] == []
    desk.complete("office", "处理两年全覆盖预警", {"coverage_arrangement": "第四季度巡查鄄城县、东明县",
                                                  "arrangement_date": "2025-10-09"})
    assert desk.instance(result["instance_id"])["state"] == "completed"


def test_the_warning_day_is_a_setting_and_nothing_is_sent_when_all_are_covered(early_desk):
    desk, planner = early_desk, Planner(early_desk)
    planner.run("office", coverage.configure, warning_date="09-15")
    for code in COUNTIES:
        planner.external(code, 2024, joint=True)
    desk.set_clock("2025-09-14T23:00:00+08:00")
    assert warn(desk) is None                                    # not the warning day yet
    desk.set_clock("2025-09-15T08:00:00+08:00")     # the warning day: all covered, nothing sent
    assert [t for t in desk.inbox("office") if t["name"] == "处理两年全覆盖预警"] == []
    assert warn(desk) is None                                    # checked once for the cycle


def test_cli_coverage_show_configure_and_warn(app, early_desk):
    Planner(early_desk).past("mudan", "full", "2024-05-06", "2024-05-24")
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["coverage", "show"])
    assert shown.exit_code == 0, shown.output
    assert "巡查周期 2024—2025年（预警日 2025-10-01）" in shown.output
    assert "牡丹区  已覆盖：市级巡查已完成现场巡查（2024-05-24）" in shown.output
    assert "东明县  未覆盖" in shown.output and "已覆盖 1/9 个县区" in shown.output
    as_json = runner.invoke(args=["coverage", "show", "--json", "--year", "2026"])
    assert '"cycle": "2026—2027年"' in as_json.output
    configured = runner.invoke(args=["coverage", "configure", "--warning-date", "09-01",
                                     "--user", "office"])
    assert configured.exit_code == 0 and "预警日 09-01" in configured.output
    warned = runner.invoke(args=["coverage", "warn"])
    assert "未覆盖 8 个县区" in warned.output
    assert runner.invoke(args=["coverage", "warn"]).output.strip() == "无需预警"
    bad = runner.invoke(args=["coverage", "configure", "--warning-date", "x", "--user", "office"])
    assert bad.exit_code == 1 and "MM-DD" in bad.output


def test_cli_registers_and_plan(app, early_desk):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["registers", "external-add", "单县", "--body", "province",
                                "--year", "2026", "--user", "office"])
    assert added.exit_code == 0 and "已登记" in added.output
    listed = runner.invoke(args=["registers", "external-list"])
    assert "2026  单县  省政府安委会" in listed.output
    added = runner.invoke(args=["registers", "history-add", "caoxian", "--type", "special",
                                "--onsite-start", "2025-12-20", "--user", "office"])
    assert added.exit_code == 0
    assert "曹县  专项巡查  2025-12-20 ~ 进行中" in runner.invoke(args=["registers", "history-list"]).output
    started = runner.invoke(args=["plan", "start", "2026", "--user", "office"])
    assert started.exit_code == 0, started.output
    assert "2026年  drafting" in runner.invoke(args=["plan", "list"]).output
    again = runner.invoke(args=["plan", "start", "2026", "--user", "office"])
    assert again.exit_code == 1 and "已存在" in again.output
