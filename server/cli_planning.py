"""`flask --app server plan|registers|coverage|leave …`: planning over the same services."""
import json

import click
from flask.cli import AppGroup

from .cli import acting, fail_on_service_error, services
from .services import coverage, leave, planning, registers
from .services.context import unit_of_work

plan_cli = AppGroup("plan", help="Annual inspection plans (R1.2, R3.1a-c).")
registers_cli = AppGroup("registers", help="External and past inspections the planning rules read.")
coverage_cli = AppGroup("coverage", help="Two-year coverage of the counties (R3.1a).")
leave_cli = AppGroup("leave", help="Leave requests of team members (R4.2.3).")


def _echo_json(value):
    click.echo(json.dumps(value, default=str, ensure_ascii=False, indent=2))


@plan_cli.command("start")
@click.argument("year", type=int)
@click.option("--user", required=True)
@fail_on_service_error
def plan_start(year, user):
    """Start YEAR's plan: candidates and default exclusions for the office to draft."""
    actor = acting(user)
    with unit_of_work(services()) as uow:
        instance_id = planning.start_plan(uow, actor, year)
    click.echo(instance_id)


@plan_cli.command("list")
@click.option("--year", type=int, default=None)
@fail_on_service_error
def plan_list(year):
    with unit_of_work(services()) as uow:
        plans = planning.list_plans(uow, year)
    for plan in plans:
        click.echo(f"{plan['instance_id']}  {plan['year']}年  {plan['state']}  "
                   f"发起巡查 {len(plan['inspections'] or [])} 个")


@registers_cli.command("external-add")
@click.argument("organisation")
@click.option("--body", type=click.Choice(sorted(registers.BODIES)), required=True)
@click.option("--year", type=int, required=True)
@click.option("--joint", is_flag=True, help="the city joined it (counts for coverage)")
@click.option("--note", default="")
@click.option("--user", required=True)
@fail_on_service_error
def external_add(organisation, body, year, joint, note, user):
    """Register an inspection by the State Council's or the province's commission."""
    actor = acting(user)
    with unit_of_work(services()) as uow:
        entry = registers.add_external_inspection(uow, actor, organisation, body, year, joint, note)
    click.echo(f"已登记（编号 {entry}）")


@registers_cli.command("external-list")
@click.option("--year", type=int, default=None)
@fail_on_service_error
def external_list(year):
    with unit_of_work(services()) as uow:
        rows = registers.list_external_inspections(uow, year=year)
    for row in rows:
        joint = " 与市级一并进行" if row["joint_with_city"] else ""
        click.echo(f"{row['id']}  {row['year']}  {row['organisation_name']}  "
                   f"{registers.BODIES[row['body']]}{joint}  {row['note']}")


@registers_cli.command("history-add")
@click.argument("organisation")
@click.option("--type", "inspection_type", type=click.Choice(sorted(registers.TYPES)), required=True)
@click.option("--onsite-start", required=True, help="YYYY-MM-DD")
@click.option("--fieldwork-end", default=None, help="YYYY-MM-DD")
@click.option("--joint-with-province", is_flag=True)
@click.option("--note", default="")
@click.option("--user", required=True)
@fail_on_service_error
def history_add(organisation, inspection_type, onsite_start, fieldwork_end, joint_with_province,
                note, user):
    """Register an inspection the city made outside the system."""
    actor = acting(user)
    with unit_of_work(services()) as uow:
        entry = registers.add_past_inspection(uow, actor, organisation, inspection_type,
                                              onsite_start, fieldwork_end, joint_with_province, note)
    click.echo(f"已登记（编号 {entry}）")


@registers_cli.command("history-list")
@fail_on_service_error
def history_list():
    with unit_of_work(services()) as uow:
        rows = registers.list_history(uow)
    for row in rows:
        end = row["fieldwork_end"].isoformat() if row["fieldwork_end"] else "进行中"
        click.echo(f"{row['id']}  {row['organisation_name']}  {registers.TYPES[row['inspection_type']]}  "
                   f"{row['onsite_start'].isoformat()} ~ {end}")


@coverage_cli.command("show")
@click.option("--year", type=int, default=None, help="a year of the cycle (default: today's)")
@click.option("--json", "as_json", is_flag=True)
@fail_on_service_error
def coverage_show(year, as_json):
    """Which counties the current (or YEAR's) two-year cycle has covered."""
    with unit_of_work(services()) as uow:
        cycle = coverage.current_cycle(uow, year)
        rows = coverage.county_coverage(uow, cycle)
        warn_on = coverage.warning_day(uow, cycle)
    if as_json:
        _echo_json({"cycle": cycle.label, "warning_date": warn_on.isoformat(), "counties": rows})
        return
    click.echo(f"巡查周期 {cycle.label}（预警日 {warn_on.isoformat()}）")
    for row in rows:
        by = row["by"]
        how = f"已覆盖：{by['basis']}（{by['date']}）" if by else "未覆盖"
        click.echo(f"  {row['name']}  {how}")
    click.echo(f"已覆盖 {sum(r['covered'] for r in rows)}/{len(rows)} 个县区")


@coverage_cli.command("configure")
@click.option("--start-year", type=int, default=None, help="first year of a cycle, e.g. 2024")
@click.option("--warning-date", default=None, help="MM-DD in the cycle's second year")
@click.option("--user", required=True)
@fail_on_service_error
def coverage_configure(start_year, warning_date, user):
    actor = acting(user)
    with unit_of_work(services()) as uow:
        values = coverage.configure(uow, actor, start_year, warning_date)
    click.echo(f"周期起始年度 {values['cycle_start_year']}，预警日 {values['warning_date']}")


@coverage_cli.command("warn")
@fail_on_service_error
def coverage_warn():
    """Give the early warning if its day has come (run daily, e.g. from cron); once per cycle."""
    with unit_of_work(services()) as uow:
        result = coverage.issue_warning_if_due(uow)
    if result is None:
        click.echo("无需预警")
    else:
        click.echo(f"{result['cycle']}：未覆盖 {len(result['uncovered'])} 个县区 "
                   f"{'、'.join(result['uncovered'])}")


@leave_cli.command("request")
@click.argument("inspection_id")
@click.option("--user", required=True)
@fail_on_service_error
def leave_request(inspection_id, user):
    """Open a leave request for a member of the inspection's team (the office fills it in)."""
    actor = acting(user)
    with unit_of_work(services()) as uow:
        click.echo(leave.request_leave(uow, actor, inspection_id))


def init_app(app):
    for command in (plan_cli, registers_cli, coverage_cli, leave_cli):
        app.cli.add_command(command)
