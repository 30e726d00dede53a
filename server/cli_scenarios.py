"""`flask --app server scenarios run|register`: the behaviour scenarios for a reviewer.

    flask --app server scenarios run                         # processes/ on disk, no database
    flask --app server scenarios run --bpmn draft/inspection_report.bpmn --tags R3.3.4
    flask --app server scenarios run --version 3 --driver http
    flask --app server scenarios register                    # clauses, scenarios, last results

`run` exits with status 0 only when every selected scenario passed (1: some failed; 2: the run
could not start). Its files go to instance/scenario-runs/<time>/ unless --out is given.
"""
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup


scenarios_cli = AppGroup("scenarios", help="Behaviour scenarios: run them, show the clause register.")
STATUS = {"passed": "通过", "failed": "未通过", "skipped": "跳过"}
# The runner (pytest, the engine) is imported when a command runs, not with every app.


def runs_dir():
    return Path(current_app.instance_path) / "scenario-runs"


def latest_run():
    found = sorted(p for p in runs_dir().glob("*") if (p / "result.json").exists())
    return found[-1] if found else None


class Progress:
    """Prints a line per finished scenario: [12/86] 通过 R3.3.4 报告期限……"""

    def __init__(self, quiet=False):
        self.quiet = quiet

    def __call__(self, event):
        kind = event.get("event")
        if kind == "prepared":
            click.echo(f"所测流程：{event['source']}；驱动：{event['driver']}")
        elif kind == "collected":
            click.echo(f"共 {event['total']} 个场景")
        elif kind == "scenario":
            self.scenario(event)

    def scenario(self, event):
        failed = event["status"] == "failed"
        if self.quiet and not failed:
            return
        example = f" [{event['example']}]" if event.get("example") else ""
        line = (f"[{event['index']}/{event['total']}] {STATUS[event['status']]} "
                f"{' '.join(event['clauses']) or '（未标注条款）'} {event['name']}{example}")
        click.secho(line, fg="red" if failed else None)
        if failed:
            click.echo(f"      失败步骤：{event.get('failing_step') or '（场景准备时出错）'}"
                       + (f"（第 {event['step_line']} 行）" if event.get("step_line") else ""))
            click.echo(f"      原因：{(event.get('message') or '').strip()}")


def echo_summary(result):
    counts = result.counts
    click.echo("")
    click.echo(f"场景 {counts.get('total', 0)} 个：通过 {counts.get('passed', 0)} 个，"
               f"未通过 {counts.get('failed', 0)} 个"
               + (f"，跳过 {counts['skipped']} 个" if counts.get("skipped") else "")
               + f"；用时 {result.seconds:.1f} 秒")
    failed = [s for s in result.scenarios if s["status"] == "failed"]
    if failed:
        click.secho("未通过的场景：", fg="red")
        for scenario in failed:
            click.echo(f"  {' '.join(scenario['clauses'])} {scenario['feature']} / {scenario['name']}")
            click.echo(f"      失败步骤：{scenario['failing_step'] or '（场景准备时出错）'}")
    if result.error:
        click.secho(result.error, fg="red", err=True)
    echo_coverage(result.coverage)


def echo_coverage(coverage):
    if not coverage["available"]:
        click.echo("流程覆盖：本次运行未收集（共享服务器）")
        return
    totals = coverage["totals"]
    click.echo(f"流程覆盖（{coverage['main']} 及其调用的流程）：流程节点 {totals['nodes_covered']}/"
               f"{totals['nodes_total']}（{totals['nodes_ratio']:.1%}），顺序流 "
               f"{totals['flows_covered']}/{totals['flows_total']}（{totals['flows_ratio']:.1%}）")
    for pid, row in coverage["processes"].items():
        note = "" if row["reached"] else "（不由巡查主流程调用）"
        click.echo(f"  {row['name']}（{pid}）{note}：流程节点 {row['nodes_covered']}/"
                   f"{row['nodes_total']}（{row['nodes_ratio']:.1%}），顺序流 "
                   f"{row['flows_covered']}/{row['flows_total']}（{row['flows_ratio']:.1%}）")
        nodes = [f"{n['name'] or n['type']}（{n['id']}）" for n in row["uncovered_nodes"]]
        flows = [f"{f['label']}（{f['id']}）" for f in row["uncovered_flows"]]
        if nodes:
            click.echo(f"      未覆盖的流程节点：{'；'.join(nodes)}")
        if flows:
            click.echo(f"      未覆盖的顺序流：{'；'.join(flows)}")


@scenarios_cli.command("run")
@click.option("--version", "version", type=int, default=None, help="run against deployed version N")
@click.option("--bpmn", "bpmn_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="a diagram replacing the one that defines the same process ids (repeatable)")
@click.option("--driver", type=click.Choice(("engine", "http")), default="engine", show_default=True)
@click.option("--url", default=None, help="server for --driver http (default: one started here)")
@click.option("--tags", default=None, help='clauses, e.g. R3.3.4 or "R3.3.4 or R4.3"')
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="run directory (default: instance/scenario-runs/<time>)")
@click.option("--quiet", is_flag=True, help="print only the failing scenarios while running")
def run_command(version, bpmn_files, driver, url, tags, out_dir, quiet):
    """Run the behaviour scenarios; exit status 0 only when every scenario passes."""
    from .scenarios import runner
    if url and driver != "http":
        raise click.BadParameter("--url 只用于 --driver http", param_hint="--url")
    out = Path(out_dir) if out_dir else runs_dir() / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    services = current_app.extensions["xuncha"] if version is not None else None
    try:
        result = runner.run(version=version, bpmn_files=bpmn_files, driver=driver, url=url,
                            tags=tags, out_dir=out, progress=Progress(quiet), services=services)
    except runner.RunnerError as exc:
        click.secho(f"错误：{exc}", fg="red", err=True)
        sys.exit(2)
    echo_summary(result)
    click.echo(f"报告：{result.files['html']}")
    click.echo(f"Cucumber JSON：{result.files.get('cucumber_json', '（未生成）')}")
    click.echo(f"条款登记表：{result.files['register']}")
    sys.exit(0 if result.passed else 1)


@scenarios_cli.command("register")
@click.option("--run", "run_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="take the last results from this run directory (default: the latest run)")
@click.option("--json", "as_json", is_flag=True)
def register_command(run_dir, as_json):
    """Every clause with its scenarios and last result; the gaps."""
    from .scenarios import register, runner
    run_dir = Path(run_dir) if run_dir else latest_run()
    results = runner.RunResult.load(run_dir).scenarios if run_dir else None
    found = register.build(results=results, run=str(run_dir) if run_dir else None)
    if as_json:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(register.render_text(found))


def init_app(app):
    app.cli.add_command(scenarios_cli)
