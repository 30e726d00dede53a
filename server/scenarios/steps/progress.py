"""Time, starting an inspection, reaching a stage by completing the earlier tasks, and the
inputs (field values, the roster) that givens set for tasks completed later."""
import copy
from datetime import datetime, timedelta

from ...engine.calendar import BEIJING
from ...services.samples import ROSTER
from ..glossary import who as who_named
from .base import Given, Step, When, attempt, must, needs, rows

# ---- time ----------------------------------------------------------------------------------
@Step("当前时间为{at:时刻}")
def _(scenario_driver, at):
    must(scenario_driver.set_time, at)


@When("时间到达{at:时刻}")
def _(scenario_driver, at):
    must(scenario_driver.set_time, at)


@When("过去{n:数}个工作日")
def _(scenario_driver, n):
    now = scenario_driver.now().astimezone(BEIJING)
    day = datetime.fromisoformat(scenario_driver.working_days_after(now.date(), n)).date()
    must(scenario_driver.set_time, datetime.combine(day, now.timetz()))


@When("过去{n:数}天")
def _(scenario_driver, n):
    must(scenario_driver.set_time, scenario_driver.now() + timedelta(days=n))


def _deadline_of(driver, ref, task):
    found = [t for t in driver.open_tasks(needs(ref)) if t.name == task and t.due_at]
    assert found, f"没有带办理期限的待办“{task}”"
    return found[0].due_at


@When('时间到达"{task:任务}"办理期限的最后一刻')
def _(scenario_driver, inspection, task):
    must(scenario_driver.set_time, _deadline_of(scenario_driver, inspection, task) - timedelta(seconds=1))


@When('时间到达"{task:任务}"的办理期限')
def _(scenario_driver, inspection, task):
    must(scenario_driver.set_time, _deadline_of(scenario_driver, inspection, task))


# ---- starting and reaching a stage ---------------------------------------------------------
@Step('{who:角色}启动对"{org:单位}"的巡查', target_fixture="inspection")
def _(scenario_driver, who, org):
    return must(scenario_driver.start, who, org)


@When('{who:角色}尝试启动对"{org:单位}"的巡查', target_fixture="outcome")
def _(scenario_driver, who, org):
    return attempt(scenario_driver.start, who, org)


@Given('对"{org:单位}"的巡查已进入"{stage:阶段}"阶段', target_fixture="inspection")
def _(scenario_driver, inspection, scenario_inputs, org, stage):
    ref = inspection or scenario_driver.start(who_named("市安委办"), org)
    scenario_driver.advance(ref, stage=stage, inputs=scenario_inputs)
    return ref


@Given('对"{org:单位}"的巡查已进行到"{task:任务}"', target_fixture="inspection")
def _(scenario_driver, inspection, scenario_inputs, org, task):
    ref = inspection or scenario_driver.start(who_named("市安委办"), org)
    scenario_driver.advance(ref, task=task, inputs=scenario_inputs)
    return ref


@When('巡查依次办理至"{stage:阶段}"阶段')
def _(scenario_driver, inspection, scenario_inputs, stage):
    scenario_driver.advance(needs(inspection), stage=stage, inputs=scenario_inputs)


@When('巡查依次办理至"{task:任务}"')
def _(scenario_driver, inspection, scenario_inputs, task):
    scenario_driver.advance(needs(inspection), task=task, inputs=scenario_inputs)


# ---- inputs for tasks completed later ------------------------------------------------------
@Given('办理"{task:任务}"时填写:')
def _(scenario_inputs, task, datatable):
    scenario_inputs.setdefault(task, {}).update(rows(datatable))


@Given("现场巡查于{day:日期}结束")
def _(scenario_inputs, day):
    scenario_inputs.setdefault("审核巡查记录", {}).update(
        {"审核结论": "现场巡查结束", "现场巡查结束日期": day.isoformat()})


@Given("巡查对象于{day:日期}签收反馈意见书")
def _(scenario_inputs, day):
    scenario_inputs.setdefault("签收反馈意见书", {})["签收日期"] = day.isoformat()


# The roster (R2.1, R4.2.3): the standard team, or one of given size; then changes to it.
EXTRA = {"leader": ["周涛", "吴磊"], "deputy": ["郑伟", "冯雪"],
         "member": ["韩梅", "蒋涛", "沈丽", "朱杰", "秦川"], "expert": ["杨帆", "许诺"]}
ROSTER_TASK, MEMBERS = "拟定巡查组名单", "members"


def _roster(scenario_inputs):
    values = scenario_inputs.setdefault(ROSTER_TASK, {})
    if MEMBERS not in values:
        values[MEMBERS] = copy.deepcopy(ROSTER)
    return values[MEMBERS]


def _sized_roster(counts):
    members = []
    for post, count in counts.items():
        known = [m for m in ROSTER if m["role"] == post]
        names = [m["name"] for m in known] + EXTRA[post]
        assert count <= len(names), f"示例名单中{post}不足{count}人"
        for name in names[:count]:
            standard = next((m for m in known if m["name"] == name), None)
            members.append(copy.deepcopy(standard) if standard else
                           {"name": name, "role": post, "home_unit": "市直有关单位", "declared": True})
    return members


@Given("巡查组名单含{a:数}名组长、{b:数}名副组长、{c:数}名组员")
def _(scenario_inputs, a, b, c):
    scenario_inputs.setdefault(ROSTER_TASK, {})[MEMBERS] = _sized_roster(
        {"leader": a, "deputy": b, "member": c})


@Given("巡查组名单含{a:数}名组长、{b:数}名副组长、{c:数}名组员和{e:数}名专家")
def _(scenario_inputs, a, b, c, e):
    scenario_inputs.setdefault(ROSTER_TASK, {})[MEMBERS] = _sized_roster(
        {"leader": a, "deputy": b, "member": c, "expert": e})


def _member(scenario_inputs, name):
    found = [m for m in _roster(scenario_inputs) if m["name"] == name]
    assert found, f"名单中没有“{name}”"
    return found[0]


@Given('名单中"{name:文本}"存在{ground:回避情形}情形')
def _(scenario_inputs, name, ground):
    _member(scenario_inputs, name)[ground] = True


@Given('名单中"{name:文本}"未提交回避声明')
def _(scenario_inputs, name):
    _member(scenario_inputs, name)["declared"] = False


@Given('名单中去掉"{name:文本}"')
def _(scenario_inputs, name):
    _roster(scenario_inputs).remove(_member(scenario_inputs, name))
