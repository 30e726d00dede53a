"""Completing tasks (by field titles, tables for repeating groups, fields left empty), correcting
a date, and public reports (R3.3.2). `尝试…` steps record a refusal in `outcome`."""
from .base import When, attempt, must, needs, records, rows

# ---- completing tasks ------------------------------------------------------------------------
@When('{who:角色}办理"{task:任务}"')
def _(scenario_driver, inspection, scenario_inputs, who, task):
    must(scenario_driver.complete, who, needs(inspection), task, inputs=scenario_inputs)


@When('{who:角色}办理"{task:任务}"，填写:')
def _(scenario_driver, inspection, scenario_inputs, who, task, datatable):
    must(scenario_driver.complete, who, needs(inspection), task, rows(datatable),
          inputs=scenario_inputs)


@When('{who:角色}办理"{task:任务}"，"{field:文本}"为:')
def _(scenario_driver, inspection, scenario_inputs, who, task, field, datatable):
    must(scenario_driver.complete, who, needs(inspection), task, {field: records(datatable)},
          inputs=scenario_inputs)


@When('{who:角色}尝试办理"{task:任务}"', target_fixture="outcome")
def _(scenario_driver, inspection, scenario_inputs, who, task):
    return attempt(scenario_driver.complete, who, needs(inspection), task, inputs=scenario_inputs)


@When('{who:角色}尝试办理"{task:任务}"，填写:', target_fixture="outcome")
def _(scenario_driver, inspection, scenario_inputs, who, task, datatable):
    return attempt(scenario_driver.complete, who, needs(inspection), task, rows(datatable),
                    inputs=scenario_inputs)


@When('{who:角色}尝试办理"{task:任务}"，"{field:文本}"为:', target_fixture="outcome")
def _(scenario_driver, inspection, scenario_inputs, who, task, field, datatable):
    return attempt(scenario_driver.complete, who, needs(inspection), task,
                    {field: records(datatable)}, inputs=scenario_inputs)


@When('{who:角色}尝试办理"{task:任务}"，不填写"{field:文本}"', target_fixture="outcome")
def _(scenario_driver, inspection, scenario_inputs, who, task, field):
    return attempt(scenario_driver.complete, who, needs(inspection), task, omit=[field],
                    inputs=scenario_inputs)


@When('{who:角色}将"{field:文本}"更正为{day:日期}')
def _(scenario_driver, inspection, who, field, day):
    must(scenario_driver.correct, who, needs(inspection), field, day.isoformat())


# ---- public reports (R3.3.2) ---------------------------------------------------------------
def _report(channel, content, name=None):
    return {"report_channel": channel, "report_content": content,
            "report_anonymous": name is None, "reporter_name": name or ""}


@When('群众通过{channel:举报渠道}举报"{content:文本}"')
def _(scenario_driver, inspection, channel, content):
    must(scenario_driver.public_report, needs(inspection), _report(channel, content))


@When('群众"{name:文本}"通过{channel:举报渠道}实名举报"{content:文本}"')
def _(scenario_driver, inspection, name, channel, content):
    must(scenario_driver.public_report, needs(inspection), _report(channel, content, name))


@When('群众尝试通过{channel:举报渠道}举报"{content:文本}"', target_fixture="outcome")
def _(scenario_driver, inspection, channel, content):
    return attempt(scenario_driver.public_report, needs(inspection), _report(channel, content))
