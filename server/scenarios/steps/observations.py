"""What can be observed: the inspection's status, who has which task with which deadline, what
the data says, who may see what (R4.2.2, R4.2.3), notices, and refusals with their messages."""
from datetime import datetime, timedelta

from ...engine.calendar import BEIJING
from .. import fields
from ..records import Refusal
from ..glossary import show_date, who as who_named
from ..normalize import normalize
from .base import Then, must, needs

# ---- what the inspection shows -------------------------------------------------------------
@Then('巡查状态为"{status:状态}"')
def _(scenario_driver, inspection, status):
    found = scenario_driver.inspection(who_named("市安委办"), needs(inspection)).status
    assert found == status, f"巡查状态为“{found}”，不是“{status}”"


@Then("巡查流程已办结")
def _(scenario_driver, inspection):
    found = scenario_driver.inspection(who_named("市安委办"), needs(inspection))
    assert found.state == "completed" and not found.tasks, \
        f"巡查流程未办结（{found.state}），待办：{'、'.join(t.name for t in found.tasks)}"


def _named(driver, who, ref, task):
    return [t for t in driver.tasks(who, needs(ref)) if t.name == task]


def _inbox_text(driver, who, ref):
    return "、".join(t.name for t in driver.tasks(who, ref)) or "无"


@Then('{who:角色}收到"{task:任务}"任务')
def _(scenario_driver, inspection, who, task):
    assert _named(scenario_driver, who, inspection, task), \
        f"{who.label}没有“{task}”任务；其待办：{_inbox_text(scenario_driver, who, inspection)}"


@Then('"{task:任务}"任务仍待{who:角色}办理')
def _(scenario_driver, inspection, who, task):
    assert _named(scenario_driver, who, inspection, task), \
        f"“{task}”不在{who.label}的待办中；其待办：{_inbox_text(scenario_driver, who, inspection)}"


@Then('{who:角色}收到"{task:任务}"任务，办理期限为{day:日期}')
def _(scenario_driver, inspection, who, task, day):
    found = _named(scenario_driver, who, inspection, task)
    assert found, f"{who.label}没有“{task}”任务；其待办：{_inbox_text(scenario_driver, who, inspection)}"
    _check_deadline(found[0], task, day)


def _check_deadline(task, name, day, provisional=False):
    last = task.last_day
    assert last == day, f"“{name}”的办理期限为{show_date(last) if last else '无'}，不是{show_date(day)}"
    assert task.due_at.astimezone(BEIJING) == datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING), \
        f"期限时刻应为{show_date(day)}24时（次日0时），实为{task.due_at.isoformat()}"
    assert task.provisional == provisional, \
        f"“{name}”的期限{'应' if provisional else '不应'}为暂定（所涉年份{'尚无' if provisional else '已有'}官方节假日安排）"


@Then('{who:角色}没有收到"{task:任务}"任务')
def _(scenario_driver, inspection, who, task):
    assert not _named(scenario_driver, who, inspection, task), f"{who.label}收到了“{task}”任务"


@Then("{who:角色}没有本巡查的待办任务")
def _(scenario_driver, inspection, who):
    found = scenario_driver.tasks(who, needs(inspection))
    assert not found, f"{who.label}有待办：{'、'.join(t.name for t in found)}"


@Then('{who:角色}有{n:数}项"{task:任务}"任务')
def _(scenario_driver, inspection, who, n, task):
    found = len(_named(scenario_driver, who, inspection, task))
    assert found == n, f"{who.label}有{found}项“{task}”任务，不是{n}项"


def _open(driver, ref, task):
    found = [t for t in driver.open_tasks(needs(ref)) if t.name == task]
    names = "、".join(t.name for t in driver.open_tasks(ref)) or "无"
    assert found, f"没有待办的“{task}”；当前待办：{names}"
    return found[0]


@Then('"{task:任务}"任务的办理期限为{day:日期}')
def _(scenario_driver, inspection, task, day):
    _check_deadline(_open(scenario_driver, inspection, task), task, day)


@Then('"{task:任务}"任务的办理期限为{day:日期}(暂定)')
def _(scenario_driver, inspection, task, day):
    _check_deadline(_open(scenario_driver, inspection, task), task, day, provisional=True)


@Then('"{task:任务}"任务没有办理期限')
def _(scenario_driver, inspection, task):
    found = _open(scenario_driver, inspection, task)
    assert found.due_at is None, f"“{task}”有办理期限{show_date(found.last_day)}"


@Then('"{task:任务}"任务已逾期')
def _(scenario_driver, inspection, task):
    assert _open(scenario_driver, inspection, task).overdue, f"“{task}”未标记逾期"


@Then('"{task:任务}"任务未逾期')
def _(scenario_driver, inspection, task):
    assert not _open(scenario_driver, inspection, task).overdue, f"“{task}”已标记逾期"


@Then('"{task:任务}"中的"{field:文本}"为"{value:文本}"')
def _(scenario_driver, inspection, task, field, value):
    name, spec = scenario_driver.field(task, field)
    data = scenario_driver.inspection(who_named("市安委办"), needs(inspection)).data
    assert fields.same_value(spec, value, data.get(name)), \
        f"“{field}”为“{fields.label(spec, data.get(name))}”，不是“{value}”"


@Then('"{task:任务}"中的"{field:文本}"共{n:数}项')
def _(scenario_driver, inspection, task, field, n):
    name, _spec = scenario_driver.field(task, field)
    data = scenario_driver.inspection(who_named("市安委办"), needs(inspection)).data
    found = len(data.get(name) or [])
    assert found == n, f"“{field}”共{found}项，不是{n}项"


# ---- who may see what (R4.2.2, R4.2.3) -----------------------------------------------------
@Then("{who:角色}看不到该巡查")
def _(scenario_driver, inspection, who):
    try:
        scenario_driver.inspection(who, needs(inspection))
    except Refusal as refusal:
        assert refusal.code == "not_found", f"{who.label}查看时被拒绝，但不是“不存在”：{refusal}"
    else:
        raise AssertionError(f"{who.label}能看到该巡查")
    assert not scenario_driver.tasks(who, inspection), f"{who.label}有该巡查的待办"


@Then("{who:角色}能看到该巡查")
def _(scenario_driver, inspection, who):
    must(scenario_driver.inspection, who, needs(inspection))


@Then('{who:角色}无权打开"{task:任务}"')
def _(scenario_driver, inspection, who, task):
    try:
        scenario_driver.task_data(who, needs(inspection), task)
    except Refusal as refusal:
        assert refusal.code in ("forbidden", "not_found"), f"不是无权打开：{refusal}"
    else:
        raise AssertionError(f"{who.label}能打开“{task}”")


@Then('{who:角色}在"{task:任务}"中看到"{field:文本}"为"{value:文本}"')
def _(scenario_driver, inspection, who, task, field, value):
    name, spec = scenario_driver.field(task, field)
    data = must(scenario_driver.task_data, who, needs(inspection), task)
    assert fields.same_value(spec, value, data.get(name)), \
        f"{who.label}看到“{field}”为“{fields.label(spec, data.get(name))}”，不是“{value}”"


@Then('{who:角色}在"{task:任务}"中看不到"{field:文本}"')
def _(scenario_driver, inspection, who, task, field):
    name, _spec = scenario_driver.field(task, field)
    data = must(scenario_driver.task_data, who, needs(inspection), task)
    assert data.get(name) in (None, "", []), f"{who.label}看到了“{field}”：{data.get(name)}"


# ---- notices (reminders and overdue notices) ----------------------------------------------------
def _notices(driver, ref, who, task, kind):
    return [n for n in driver.notices(who, needs(ref)) if n.task_name == task and n.kind == kind]


@Then('{who:角色}收到"{task:任务}"的{kind:通知}')
def _(scenario_driver, inspection, who, task, kind):
    assert _notices(scenario_driver, inspection, who, task, kind), f"{who.label}没有收到“{task}”的通知"


@Then('{who:角色}没有收到"{task:任务}"的{kind:通知}')
def _(scenario_driver, inspection, who, task, kind):
    assert not _notices(scenario_driver, inspection, who, task, kind), f"{who.label}收到了“{task}”的通知"


@Then('{who:角色}共收到{n:数}次"{task:任务}"的{kind:通知}')
def _(scenario_driver, inspection, who, n, task, kind):
    found = len(_notices(scenario_driver, inspection, who, task, kind))
    assert found == n, f"{who.label}收到{found}次，不是{n}次"


# ---- refusals ------------------------------------------------------------------------------
def _refused(outcome):
    assert isinstance(outcome, Refusal), "系统没有拒绝（上一步的操作被接受了）"
    return outcome


def _same_text(a, b):
    return normalize(str(a)) == normalize(str(b))


@Then('系统拒绝并提示"{message:文本}"')
def _(outcome, message):
    refusal = _refused(outcome)
    assert any(_same_text(message, text) for text in [refusal.message, *refusal.fields.values()]), \
        f"提示为：{refusal}"


@Then("系统拒绝并答复该巡查不存在")
def _(outcome):
    refusal = _refused(outcome)
    assert refusal.code == "not_found", f"答复不是“不存在”：{refusal}"


@Then('系统拒绝，"{field:文本}"一项提示"{message:文本}"')
def _(outcome, field, message):
    refusal = _refused(outcome)
    name = fields.resolve(refusal.form, field) if refusal.form else field
    found = {path: text for path, text in refusal.fields.items()
             if path == name or path.startswith(name + "/")}
    assert any(_same_text(message, text) for text in found.values()), \
        f"“{field}”一项的提示为：{found or '无'}；全部：{refusal}"


@Then("系统接受")
def _(outcome):
    assert outcome is None, f"被拒绝：{outcome}"
