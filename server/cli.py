"""`flask --app server …` commands over the same services as the web app."""
import functools
import json
import sys
import threading
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from .engine.calendar import last_day
from .services import calendar, clock, instances, tasks, users
from .services.context import unit_of_work
from .services.errors import ServiceError
from .services.setup import init_database
from .services.worker import run_worker


def services():
    return current_app.extensions["xuncha"]


def fail_on_service_error(fn):
    """Turn a service error into a Chinese message on stderr and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            for field, message in exc.fields.items():
                click.echo(f"  {field}：{message}", err=True)
            sys.exit(1)
    return wrapper


def acting(username):
    with unit_of_work(services()) as uow:
        return users.actor_for(uow, username)


@click.command("init")
@fail_on_service_error
def init_command():
    """Migrate the database, seed organisations, deploy processes/ and forms/."""
    version = init_database(services(), current_app.config["SOURCE_ROOT"])
    click.echo(f"数据库已就绪，当前流程版本：{version}")


@click.command("demo")
@fail_on_service_error
def demo_command():
    """Add demo users (password demo) and a few inspections in different stages."""
    from .services.demo import load_demo
    created = load_demo(services())
    click.echo(f"演示数据已就绪：新建用户 {created['users']} 个，巡查 {created['instances']} 个")


@click.command("worker")
@click.option("--poll-seconds", type=float, default=None)
def worker_command(poll_seconds):
    """Run the timer worker until interrupted."""
    run_worker(services(), poll_seconds=poll_seconds or current_app.config["WORKER_POLL_SECONDS"])


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve_command(host, port):
    """Serve the web app with the timer worker running in the same process."""
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, daemon=True, name="timer-worker", kwargs={
        "services": services(), "stop": stop,
        "poll_seconds": current_app.config["WORKER_POLL_SECONDS"]})
    worker.start()
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        stop.set()
        worker.join(timeout=5)


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--org", default=None)
@click.option("--name", default=None)
@click.option("--password-stdin", is_flag=True)
@fail_on_service_error
def users_create(username, roles, org, name, password_stdin):
    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else click.prompt("密码", hide_input=True, confirmation_prompt=True))
    with unit_of_work(services()) as uow:
        users.create_user(uow, username, password, list(roles), org, name)
    click.echo(f"已创建用户 {username}")


instances_cli = AppGroup("instances", help="Start and inspect inspections.")


@instances_cli.command("start")
@click.option("--user", required=True)
@click.option("--target", required=True, help="organisation code or name, e.g. shanxian or 单县")
@click.option("--process", default=instances.MAIN_PROCESS)
@fail_on_service_error
def instances_start(user, target, process):
    actor = acting(user)
    with unit_of_work(services()) as uow:
        instance_id = instances.start_instance(uow, actor, process, {"target": target})
    click.echo(instance_id)


@instances_cli.command("migrate")
@click.option("--user", required=True, help="a process owner")
@click.option("--to", "version", required=True, type=int, help="the target version")
@click.option("--instance", "chosen", multiple=True, help="instance id (repeatable; default: all)")
@click.option("--dry-run", is_flag=True, help="only say which instances can move and why not")
@fail_on_service_error
def instances_migrate(user, version, chosen, dry_run):
    """Move running inspections to another deployed version."""
    from .services import migration
    actor = acting(user)
    checks = migration.preview(services(), actor, version)
    if chosen:
        checks = [c for c in checks if c["instance_id"] in chosen]
    if not checks:
        click.echo("没有需要迁移的进行中巡查")
        return
    if not dry_run:
        checks = migration.migrate(services(), actor, version, [c["instance_id"] for c in checks])
    for c in checks:
        verdict = ("可迁移" if dry_run else "已迁移") if c["can_move"] else "不能迁移：" + "；".join(c["reasons"])
        click.echo(f"{c['instance_id']}  {c['title']}  版本 {c['from_version']}  {verdict}")


tasks_cli = AppGroup("tasks", help="Work on human tasks.")


@tasks_cli.command("list")
@click.option("--user", required=True)
@click.option("--json", "as_json", is_flag=True)
@fail_on_service_error
def tasks_list(user, as_json):
    actor = acting(user)
    with unit_of_work(services()) as uow:
        total, rows = tasks.list_tasks(uow, actor, limit=500)
    if as_json:
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    for row in rows:
        due = last_day(row["due_at"]).isoformat() if row["due_at"] else "-"
        flags = ("逾期 " if row["overdue"] else "") + ("暂定" if row["provisional"] else "")
        click.echo(f"{row['id']}  {row['stage']}  {row['name']}  期限 {due} {flags}")
    click.echo(f"共 {total} 项")


@tasks_cli.command("complete")
@click.argument("task_id")
@click.option("--user", required=True)
@click.option("--data", default="{}", help="form data as JSON, or @file.json")
@fail_on_service_error
def tasks_complete(task_id, user, data):
    text = open(data[1:], encoding="utf-8").read() if data.startswith("@") else data
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"不是有效的 JSON：{exc}", param_hint="--data")
    actor = acting(user)
    with unit_of_work(services()) as uow:
        tasks.complete_task(uow, actor, task_id, payload)
    click.echo("已办结")


clock_cli = AppGroup("clock", help="The fake clock (XUNCHA_CLOCK=fake).")


@clock_cli.command("set")
@click.argument("when")
@click.option("--user", default="admin")
@fail_on_service_error
def clock_set(when, user):
    try:
        now = datetime.fromisoformat(when)
    except ValueError:
        raise click.BadParameter("请使用 ISO 8601 时间，如 2025-10-24T00:00:00+08:00")
    fired = clock.set_clock(services(), acting(user), now)
    click.echo(f"时钟已设为 {now.isoformat()}，触发定时事件 {fired} 个")


calendar_cli = AppGroup("calendar", help="The working-day calendar.")


@calendar_cli.command("load")
@click.argument("schedule_file", type=click.File("r", encoding="utf-8"))
@click.option("--user", default="admin")
@fail_on_service_error
def calendar_load(schedule_file, user):
    """Load a year's official schedule (JSON: year, holidays, workdays, source)."""
    try:
        schedule = json.load(schedule_file)
    except ValueError as exc:
        raise click.BadParameter(f"不是有效的 JSON：{exc}", param_hint="SCHEDULE_FILE")
    actor = acting(user)
    with unit_of_work(services()) as uow:
        recomputed = calendar.load_year_schedule(uow, actor, schedule)
    click.echo(f"已载入 {schedule.get('year')} 年节假日安排，重新计算 {recomputed} 个巡查的暂定期限")


def init_app(app):
    for command in (init_command, demo_command, worker_command, serve_command, users_cli,
                    instances_cli, tasks_cli, clock_cli, calendar_cli):
        app.cli.add_command(command)
    from .cli_planning import init_app as init_planning_cli   # plan registers coverage leave
    init_planning_cli(app)
    from .cli_scenarios import init_app as init_scenarios_cli   # scenarios run|register
    init_scenarios_cli(app)
