"""The annual plan (R1.2, R3.1a-c, R4.1.1), two-year coverage and its warning (R3.1a), leave
requests (R4.2.3, D6) and the regulation the deployed procedure implements (R0.1, R5).

Givens fill the registers the plan reads as the office does (an inspection by the State Council's
or the province's commission, an inspection by the city outside the system); the plan itself is
an instance like an inspection: `市安委办拟定2026年度巡查计划` makes it the scenario's
`inspection`, so the task steps (办理, 尝试办理, 收到…任务, 系统拒绝…) apply to it.
"""
from ...services.seed import ORGANISATIONS
from .. import fields
from ..glossary import ORGANISATION_NAMES, show_date
from ..glossary import who as who_named
from ..normalize import normalize
from .base import Given, Step, Then, When, attempt, must, needs, records

DRAFT = "拟定年度巡查计划"
KINDS = {code: kind for code, _name, kind in ORGANISATIONS}
TYPE_NAMES = {"full": "全面巡查", "special": "专项巡查"}


def _names(text):
    return [part.strip() for part in normalize(text).replace("，", "、").replace(",", "、").split("、")
            if part.strip()]


# ---- the registers (R3.1b, R3.1c, R3.1a) -------------------------------------------------
@Given('{body:延伸巡查机关}于{year:数}年对"{org:单位}"进行了延伸巡查')
def _(scenario_driver, body, year, org):
    must(scenario_driver.register_external, org, body, year)


@Given('{body:延伸巡查机关}于{year:数}年对"{org:单位}"进行了延伸巡查，市级巡查一并进行')
def _(scenario_driver, body, year, org):
    must(scenario_driver.register_external, org, body, year, True)


@Given('"{org:单位}"于{day:日期}开始接受{kind:巡查方式}')
def _(scenario_driver, org, day, kind):
    must(scenario_driver.register_past, org, kind, day.isoformat())


@Given('"{org:单位}"于{day:日期}至{end:日期}接受了{kind:巡查方式}')
def _(scenario_driver, org, day, end, kind):
    must(scenario_driver.register_past, org, kind, day.isoformat(), end.isoformat())


# ---- the plan (R1.2, R3.1b, R3.1c, R4.1.1) ------------------------------------------------
@Step("{who:角色}拟定{year:数}年度巡查计划", target_fixture="inspection")
def _(scenario_driver, who, year):
    assert who.role == "office", "年度巡查计划由市安委会办公室拟定"
    return must(scenario_driver.start_plan, year)


def _plan(driver, ref):
    return driver.task_data(who_named("市安委办"), needs(ref), DRAFT)


def _items(driver, ref):
    return {item["target"]: item for item in _plan(driver, ref).get("plan_items") or []}


@Then("计划候选对象为{n:数}个县区和{departments:文本}")
def _(scenario_driver, inspection, n, departments):
    found = _plan(scenario_driver, inspection).get("candidate_targets") or []
    counties = [code for code in found if KINDS.get(code) == "county"]
    others = sorted(ORGANISATION_NAMES[code] for code in found if KINDS.get(code) != "county")
    assert len(counties) == n, f"候选县区为{len(counties)}个：{'、'.join(ORGANISATION_NAMES[c] for c in counties)}"
    assert others == sorted(_names(departments)), f"候选市直部门为：{'、'.join(others) or '无'}"


@Then('"{org:单位}"默认不列入计划，排除理由引用{clause:条款}')
def _(scenario_driver, inspection, org, clause):
    item = _items(scenario_driver, inspection).get(org)
    assert item is not None, f"计划中没有“{ORGANISATION_NAMES[org]}”"
    assert item.get("excluded") and not item.get("include"), \
        f"“{ORGANISATION_NAMES[org]}”默认列入计划（excluded={item.get('excluded')}）"
    assert item.get("exclusion_rule") == clause and clause in (item.get("exclusion_reason") or ""), \
        f"排除依据为{item.get('exclusion_rule')}：{item.get('exclusion_reason')}"


@Then('"{org:单位}"默认列入计划')
def _(scenario_driver, inspection, org):
    item = _items(scenario_driver, inspection).get(org)
    assert item is not None, f"计划中没有“{ORGANISATION_NAMES[org]}”"
    assert not item.get("excluded") and item.get("include"), \
        f"“{ORGANISATION_NAMES[org]}”默认不列入计划：{item.get('exclusion_reason')}"


@Then('计划须处理的问题为"{problem:文本}"')
def _(scenario_driver, inspection, problem):
    found = _plan(scenario_driver, inspection).get("plan_problems") or []
    assert [normalize(p) for p in found] == [normalize(problem)], f"须处理的问题为：{found or '无'}"


def _adjusted(driver, ref, task, field, datatable):
    """The table field's current rows with the given rows changed, matched on the first column
    (e.g. 巡查对象); rows not given stay as the form shows them."""
    name, spec = driver.field(task, field)
    item_spec = spec.get("items", {})
    props = item_spec.get("properties", {})
    current = driver.task_data(who_named("市安委办"), needs(ref), task).get(name) or []
    rows = [{k: v for k, v in item.items() if k in props and not props[k].get("readOnly")}
            for item in current]
    changes = records(datatable)
    key_title = datatable[0][0].strip()
    key, key_spec = fields.field_spec(item_spec, key_title)
    for change in changes:
        value = fields.convert(key_spec, change[key_title])
        matching = [row for row in rows if row.get(key) == value]
        if not matching:
            matching = [{key: value}]
            rows.append(matching[0])
        for title, text in change.items():
            sub_name, sub = fields.field_spec(item_spec, title)
            matching[0][sub_name] = fields.convert(sub, text)
    return {name: rows}


@When('{who:角色}办理"{task:任务}"，调整"{field:文本}":')
def _(scenario_driver, inspection, scenario_inputs, who, task, field, datatable):
    values = _adjusted(scenario_driver, inspection, task, field, datatable)
    must(scenario_driver.complete, who, needs(inspection), task, values, inputs=scenario_inputs)


@When('{who:角色}尝试办理"{task:任务}"，调整"{field:文本}":', target_fixture="outcome")
def _(scenario_driver, inspection, scenario_inputs, who, task, field, datatable):
    values = _adjusted(scenario_driver, inspection, task, field, datatable)
    return attempt(scenario_driver.complete, who, needs(inspection), task, values,
                   inputs=scenario_inputs)


@Then('{who:角色}收到以下巡查对象的"{task:任务}"任务:')
def _(scenario_driver, who, task, datatable):
    found = sorted((ORGANISATION_NAMES.get(i["organisation"], i["organisation"]),
                    TYPE_NAMES.get(i["data"].get("inspection_type"), i["data"].get("inspection_type")))
                   for i in scenario_driver.inbox_instances(who, task))
    expected = sorted((normalize(r["巡查对象"]), normalize(r["巡查方式"])) for r in records(datatable))
    assert found == expected, f"{who.label}的“{task}”任务：{found}"


# ---- whatever the inspection: someone's inbox ----------------------------------------------
@Then('{who:角色}的待办中有{n:数}项"{task:任务}"任务')
def _(scenario_driver, who, n, task):
    found = len(scenario_driver.inbox_instances(who, task))
    assert found == n, f"{who.label}的待办中有{found}项“{task}”任务，不是{n}项"


@Then('{who:角色}的待办中没有"{task:任务}"任务')
def _(scenario_driver, who, task):
    found = len(scenario_driver.inbox_instances(who, task))
    assert found == 0, f"{who.label}的待办中有{found}项“{task}”任务"


# ---- two-year coverage (R3.1a) ---------------------------------------------------------------
def _coverage(driver, first, last):
    found = driver.coverage(first)
    assert normalize(found["cycle"]) == normalize(f"{first}—{last}年"), f"巡查周期为{found['cycle']}"
    return found["counties"]


@Then("{first:数}—{last:数}年巡查周期内已覆盖的县区为{names:文本}")
def _(scenario_driver, first, last, names):
    found = [c["name"] for c in _coverage(scenario_driver, first, last) if c["covered"]]
    assert sorted(found) == sorted(_names(names)), f"已覆盖的县区为：{'、'.join(found) or '无'}"


@Then("{first:数}—{last:数}年巡查周期内尚未覆盖的县区为{names:文本}")
def _(scenario_driver, first, last, names):
    found = [c["name"] for c in _coverage(scenario_driver, first, last) if not c["covered"]]
    assert sorted(found) == sorted(_names(names)), f"尚未覆盖的县区为：{'、'.join(found) or '无'}"


@When("系统进行两年全覆盖检查")
def _(scenario_driver):
    must(scenario_driver.coverage_check)


@Then("两年全覆盖预警列出的县区为{names:文本}")
def _(scenario_driver, names):
    found = scenario_driver.inbox_instances(who_named("市安委办"), "处理两年全覆盖预警")
    assert len(found) == 1, f"市安委办有{len(found)}项“处理两年全覆盖预警”任务"
    listed = found[0]["data"].get("warning_counties") or []
    assert sorted(listed) == sorted(_names(names)), f"预警列出的县区为：{'、'.join(listed) or '无'}"


# ---- leave (R4.2.3, D6) ----------------------------------------------------------------------
@When("市安委办登记{who:角色}的请假申请", target_fixture="inspection")
def _(scenario_driver, inspection, who):
    from ...services.samples import ROSTER
    member = next((m for m in ROSTER if m["username"] == who.username), None)
    assert member is not None, f"{who.label}不在标准巡查组名单中"
    leave = must(scenario_driver.request_leave, needs(inspection))
    must(scenario_driver.complete, who_named("市安委办"), leave, "登记请假申请",
         {"请假人账号": member["username"], "请假人姓名": member["name"]})
    return leave


@Then('请假申请的审批结果为"{status:文本}"')
def _(scenario_driver, inspection, status):
    found = scenario_driver.inspection(who_named("市安委办"), needs(inspection)).data.get("leave_status")
    assert found == status, f"请假申请的审批结果为“{found or '尚未审批'}”"


# ---- the regulation the procedure implements (R0.1, R5) ---------------------------------------
@Then("已部署的流程依据《{name:文本}》（{day:日期}{by:文本}通过）")
def _(scenario_driver, name, day, by):
    found = scenario_driver.regulations()
    assert found, "已部署的流程均未注明所依据的制度"
    for pid, regulation in found.items():
        assert regulation["name"] == name, f"{pid} 依据《{regulation['name']}》"
        assert regulation["adopted"] == day.isoformat(), \
            f"{pid} 所依据的制度通过日期为{regulation['adopted']}，不是{show_date(day)}"
        assert normalize(regulation.get("adopted_by") or "") == normalize(by), \
            f"{pid} 所依据的制度由{regulation.get('adopted_by')}通过"
    assert "safety_inspection" in found, "安全生产巡查流程未注明所依据的制度"
