"""The landing page answers; CLI commands run over the same services."""
from server.services import tasks
from server.services.context import unit_of_work


def test_index_lists_the_deployed_processes(mini_app):
    response = mini_app.test_client().get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已部署的流程" in page and "巡查报告" in page and "第 1 版" in page


def test_cli_creates_a_user_starts_an_instance_and_completes_a_task(mini_app, mini_desk):
    runner = mini_app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "office2", "--role", "office",
                                 "--password-stdin"], input="pass1234\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["instances", "start", "--user", "office2", "--target", "单县",
                                 "--process", "mini"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["tasks", "list", "--user", "office2"])
    assert "确认巡查结束" in listing.output and "共 1 项" in listing.output
    task_id = listing.output.split()[0]
    bad = runner.invoke(args=["tasks", "complete", task_id, "--user", "office2", "--data", "{}"])
    assert bad.exit_code == 1 and "fieldwork_end：此项为必填项" in bad.output
    done = runner.invoke(args=["tasks", "complete", task_id, "--user", "office2",
                               "--data", '{"fieldwork_end": "2025-09-26"}'])
    assert done.exit_code == 0, done.output
    office = mini_desk.actor("office")
    with unit_of_work(mini_desk.services) as uow:
        total, _ = tasks.list_tasks(uow, office, state="completed")
    assert total == 1


def test_clock_set_refuses_going_back(mini_app, mini_desk):
    runner = mini_app.test_cli_runner()
    ok = runner.invoke(args=["clock", "set", "2025-10-01T00:00:00+08:00"])
    assert ok.exit_code == 0, ok.output
    back = runner.invoke(args=["clock", "set", "2025-09-01T00:00:00+08:00"])
    assert back.exit_code == 1 and "时钟只能向前拨动" in back.output


def test_cli_loads_a_year_schedule(mini_app, mini_desk, tmp_path):
    schedule = tmp_path / "2027.json"
    schedule.write_text('{"year": 2027, "holidays": ["2027-01-01"], "workdays": [], '
                        '"source": "国办发明电〔2026〕1号"}', encoding="utf-8")
    runner = mini_app.test_cli_runner()
    result = runner.invoke(args=["calendar", "load", str(schedule)])
    assert result.exit_code == 0, result.output
    assert "已载入 2027 年节假日安排" in result.output
    schedule.write_text('{"year": 2027, "holidays": ["2026-01-01"], "workdays": []}')
    bad = runner.invoke(args=["calendar", "load", str(schedule)])
    assert bad.exit_code == 1 and "年度节假日安排无效" in bad.output
