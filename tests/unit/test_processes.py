"""The regulation's six stages as diagrams and forms: static checks and in-memory walks.

Uses SpiffWorkflow itself (the spiff parser with its validator), plus `server.engine.calendar` and
`server.engine.sandbox` when they import; otherwise small local stand-ins with the same contract
(docs/conventions.md, "Functions available to expressions and scripts"). Timers are fired with a
fake clock that replaces the `datetime` name of SpiffWorkflow's timer module, as in the
SpiffWorkflow 3.2 reference tests: acceptable here, never in the product.
"""
import ast
import calendar as stdcal
import copy
import json
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import ScriptTask, UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

ROOT = Path(__file__).resolve().parents[2]
PROCESS_DIR = ROOT / "processes"
FORM_DIR = ROOT / "forms"
BEIJING = timezone(timedelta(hours=8))

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}

# docs/conventions.md: process ids and names, in the order the main process calls them
STAGES = [
    ("inspection_preparation", "巡查准备"),
    ("inspection_entry", "巡查进驻"),
    ("inspection_implementation", "巡查实施"),
    ("inspection_report", "巡查报告"),
    ("inspection_feedback", "巡查反馈"),
    ("inspection_disclosure", "巡查公开"),
]
PROCESS_NAMES = {"safety_inspection": "安全生产巡查", **dict(STAGES)}
LANE_ROLES = {
    "市安委会办公室": "office", "市安委会领导同志": "commission_leader",
    "市安委会主要领导同志": "commission_director", "巡查组组长": "team_leader",
    "巡查组副组长": "team_deputy", "巡查组组员": "team_member", "专家": "expert",
    "巡查对象": "target", "市纪委监委": "discipline", "市委组织部": "org_dept",
}

# Clause IDs of regulation/clauses.md, used when that file is not beside the repository.
KNOWN_CLAUSES = set(
    "R0.1 R0.2 R1.1 R1.2 R1.3 R2.1 R2.2 R2.2.1 R2.2.2 R2.2.3 R3.1a R3.1b R3.1c R3.2 "
    "R3.2.1 R3.2.2 R3.2.3 R3.2.4 R3.2.5 R3.2.6 R3.2.7 R3.2.8 R3.3 R3.3.1 R3.3.2 R3.3.3 R3.3.4 "
    "R3.3.5a R3.3.5b R3.3.6 R4.1.1 R4.1.2 R4.1.3 R4.2 R4.2.1 R4.2.2 R4.2.3 R4.2.4 R4.3 R5".split())


def clause_ids():
    for path in (ROOT / "regulation" / "clauses.md", ROOT / "docs" / "regulation" / "clauses.md",
                 ROOT / "docs" / "clauses.md", Path("/work/shared/regulation/clauses.md")):
        if path.exists():
            text = path.read_text(encoding="utf-8")
            ids = set(re.findall(r"^\|\s*\**(R\d[\w.]*)\**\s*\|", text, flags=re.M))
            for prefix, lo, hi in re.findall(r"\|\s*(R[\d.]+\.)(\d+)–R[\d.]+\.(\d+)\s*\|", text):
                ids.update(f"{prefix}{i}" for i in range(int(lo), int(hi) + 1))
            return ids
    return KNOWN_CLAUSES


# ------------------------------------------------------------------------------ expression functions
def _local_calendar():
    """Stand-in for server.engine.calendar with the same contract (strings in, strings out)."""
    import chinese_calendar

    def is_workday(d):
        try:
            return chinese_calendar.is_workday(d)
        except NotImplementedError:       # a year without an official schedule: weekends only
            return d.weekday() < 5

    def day_of(value):
        return date.fromisoformat(str(value)[:10])

    def add_working_days(day, n):
        d, step, left = day_of(day), (1 if n > 0 else -1), abs(n)
        while left:
            d += timedelta(days=step)
            left -= is_workday(d)
        return d.isoformat()

    def add_months(day, n):
        d = day_of(day)
        year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
        due = date(year, month + 1, min(d.day, stdcal.monthrange(year, month + 1)[1]))
        while not is_workday(due):
            due += timedelta(days=1 if n >= 0 else -1)
        return due.isoformat()

    def end_of_day(day):
        return datetime.combine(day_of(day) + timedelta(days=1), time(0), tzinfo=BEIJING).isoformat()

    return add_working_days, add_months, end_of_day


def calendar_functions():
    try:
        from server.engine.calendar import WorkingCalendar, deadline_instant, parse_day
    except ImportError:
        return _local_calendar()
    cal = WorkingCalendar()

    def add_working_days(day, n):
        return cal.add_working_days(parse_day(day), n).day.isoformat()

    def add_months(day, n):
        return cal.add_months(parse_day(day), n).day.isoformat()

    def end_of_day(day):
        return deadline_instant(parse_day(day)).isoformat()

    return add_working_days, add_months, end_of_day


ADD_WORKING_DAYS, ADD_MONTHS, END_OF_DAY = calendar_functions()


def _local_count_where(items, key, value):
    return sum(1 for item in items or [] if isinstance(item, dict) and item.get(key) == value)


_ALLOWED_METHODS = set("get keys values items pop update setdefault append extend insert remove index "
                       "count sort reverse strip lstrip rstrip split rsplit join startswith endswith "
                       "lower upper replace find isdigit".split())
_REFUSED_NODES = (ast.Import, ast.ImportFrom, ast.Lambda, ast.FunctionDef, ast.ClassDef, ast.While,
                  ast.With, ast.Try, ast.Raise, ast.Delete, ast.Global, ast.Nonlocal, ast.NamedExpr,
                  ast.Return, ast.Yield, ast.Await, ast.AsyncFunctionDef)


def _local_check_source(source, mode):
    """Stand-in for server.engine.sandbox.check_source: the allow-list of conventions.md."""
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, _REFUSED_NODES):
            raise ValueError(f"refused syntax {type(node).__name__} in {source!r}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ValueError(f"name {node.id} in {source!r}")
        if isinstance(node, ast.Attribute) and node.attr not in _ALLOWED_METHODS:
            raise ValueError(f"attribute {node.attr} in {source!r}")
    return tree


try:
    from server.engine.sandbox import SandboxedEnvironment, check_source
except ImportError:
    SandboxedEnvironment, check_source = None, _local_check_source


# ------------------------------------------------------------------------------ fake clock
class FakeClock:
    """The only time source of SpiffWorkflow 3.2 timers is `datetime.now` in its timer module."""

    def __init__(self, start):
        self.now = start
        clock = self

        class _FakeDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.now.astimezone(tz) if tz else clock.now.replace(tzinfo=None)

        self._fake, self._real = _FakeDatetime, spiff_timer.datetime

    def set(self, iso):
        self.now = datetime.fromisoformat(iso)

    def __enter__(self):
        spiff_timer.datetime = self._fake
        return self

    def __exit__(self, *exc):
        spiff_timer.datetime = self._real


def make_engine(clock):
    functions = {
        "add_working_days": ADD_WORKING_DAYS, "add_months": ADD_MONTHS, "end_of_day": END_OF_DAY,
        "today": lambda: clock.now.astimezone(BEIJING).date().isoformat(),
        "now": lambda: clock.now.astimezone(BEIJING).isoformat(timespec="seconds"),
    }
    if SandboxedEnvironment is not None:
        return PythonScriptEngine(environment=SandboxedEnvironment(functions))
    return PythonScriptEngine(environment=TaskDataEnvironment({**functions, "count_where": _local_count_where}))


# ------------------------------------------------------------------------------ files
BPMN_FILES = sorted(PROCESS_DIR.glob("*.bpmn"))
FORM_FILES = sorted(FORM_DIR.glob("*.json"))


def load_form(name):
    return json.loads((FORM_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parser():
    p = SpiffBpmnParser(validator=VALIDATOR)
    p.add_bpmn_files([str(f) for f in BPMN_FILES])
    return p


@pytest.fixture(scope="module")
def specs(parser):
    return parser.get_spec("safety_inspection"), parser.get_subprocess_specs("safety_inspection")


def all_task_specs(parser):
    for pid in parser.get_process_ids():
        spec = parser.get_spec(pid)
        for task_spec in spec.task_specs.values():
            yield pid, task_spec


def user_task_specs(parser):
    return [(pid, ts) for pid, ts in all_task_specs(parser) if isinstance(ts, UserTask)]


# ------------------------------------------------------------------------------ forms at run time
def validate_form(form, submitted, evaluate):
    """Field errors the way the server checks a completion: schema first, then the rules over the
    form's own fields (every property bound, None when absent)."""
    errors = {}
    for error in Draft202012Validator(form["schema"], format_checker=FormatChecker()).iter_errors(submitted):
        errors.setdefault("/".join(str(p) for p in error.absolute_path) or "(form)", error.message)
    if errors:
        return errors
    names = {key: None for key in form["schema"]["properties"]} | submitted
    for rule in form.get("rules", []):
        if rule.get("when") and not evaluate(rule["when"], names):
            continue
        if not evaluate(rule["assert"], names):
            errors.setdefault(rule.get("field", ""), rule["message"])
    return errors


def form_defaults(form):
    return {k: copy.deepcopy(v["default"]) for k, v in form["schema"]["properties"].items() if "default" in v}


ROSTER = [
    {"name": "张明", "username": "team_leader", "role": "leader", "home_unit": "市应急管理局", "declared": True},
    {"name": "李华", "username": "team_deputy", "role": "deputy", "home_unit": "市住房城乡建设局", "declared": True},
    {"name": "王强", "username": "team_member1", "role": "member", "home_unit": "市交通运输局", "declared": True},
    {"name": "赵敏", "username": "team_member2", "role": "member", "home_unit": "市市场监管局", "declared": True},
    {"name": "刘洋", "username": "team_member3", "role": "member", "home_unit": "市公安局", "declared": True},
    {"name": "陈静", "username": "team_member4", "role": "member", "home_unit": "市自然资源和规划局", "declared": True},
    {"name": "孙伟", "username": "expert1", "role": "expert", "home_unit": "山东某安全技术服务公司", "declared": True},
]

# One valid submission per form; walks override what a scenario needs.
SAMPLES = {
    "work_plan.json": {"inspection_type": "full", "content_areas": ["C1", "C5", "C8"],
                       "planned_onsite_start": "2025-09-08", "planned_onsite_end": "2025-09-26",
                       "work_plan_file": ["att-plan"]},
    "team_roster.json": {"members": ROSTER},
    "roster_approval.json": {"decision": "approve"},
    "notice_send.json": {"notice_number": "菏安办巡〔2025〕3号", "notice_issue_date": "2025-09-01",
                         "notice_content": "全面巡查安全生产八个方面工作", "notice_materials": ["安全生产工作总结"],
                         "notice_file": ["att-notice"]},
    "notice_receipt.json": {"notice_received_date": "2025-09-02", "notice_receiver_name": "王芳",
                            "notice_receiver_post": "县应急管理局办公室主任"},
    "training.json": {"training_date": "2025-09-04", "training_attendees": ["张明", "李华"],
                      "training_content": "巡查工作方案和工作纪律"},
    "announcement.json": {"announcement_content": "市安全生产巡查组进驻单县开展全面巡查", "hotline": "0530-5310000",
                          "mailbox": "xuncha@heze.gov.cn", "entry_date": "2025-09-08",
                          "work_methods": ["listen_report", "accept_reports"]},
    "work_record.json": {"records": [{"method": "listen_report", "date": "2025-09-08", "summary": "听取县政府汇报"}],
                         "findings": [], "clues": [], "obstruction": False},
    "fieldwork_review.json": {"fieldwork_done": True, "fieldwork_end": "2025-09-26"},
    "report_triage.json": {"triage": "verify", "triage_result": "已交巡查组核查", "triage_closed_date": "2025-09-20"},
    "obstruction_handling.json": {"obstruction_measures": ["warning_talk"], "obstruction_handling_detail": "已约谈提醒",
                                  "obstruction_handled_date": "2025-09-29"},
    "major_issue_report.json": {"major_issue_title": "关于某化工企业重大问题的报告", "major_issue_summary": "违规动火作业",
                                "major_issue_report_date": "2025-09-29", "major_issue_report_file": ["att-major"]},
    "major_issue_receipt.json": {"major_issue_received_date": "2025-09-30", "major_issue_receiver": "周丽",
                                 "major_issue_instructions": "报市安委会领导同志阅示"},
    "listing_decision.json": {"listed": True, "listing_responsible_org": "shanxian",
                              "listing_requirements": "30日内完成整改"},
    "clue_transfer.json": {"clues": [{"category": "enterprise_illegal", "description": "企业无证经营",
                                      "transfer_org": "shanxian"}], "clue_transfer_date": "2025-09-29"},
    "clue_receipt.json": {"clue_received_date": "2025-10-09", "clue_receiver_name": "李强"},
    "report_submit.json": {"report_situation": "总体情况", "report_problems": "主要问题", "report_causes": "原因分析",
                           "report_recommendations": "意见建议", "report_cooperation": "配合良好",
                           "report_file": ["att-report"]},
    "report_overdue.json": {"overdue_supervision_date": "2025-10-24", "overdue_supervision_method": "phone",
                            "overdue_note": "电话督办，巡查组承诺3日内提交"},
    "report_consolidate.json": {"consolidated_summary": "汇总情况", "consolidated_date": "2025-10-27",
                                "consolidated_report_file": ["att-consolidated"]},
    "report_review.json": {"decision": "approve"},
    "feedback_letter.json": {"feedback_letter_number": "菏安巡反〔2025〕3号", "feedback_issue_date": "2025-12-30",
                             "feedback_opinions": "反馈意见", "rectification_requirements": "2个月内报送整改情况",
                             "feedback_letter_file": ["att-letter"]},
    "feedback_receipt.json": {"feedback_received_date": "2025-12-31", "feedback_receiver_name": "王芳"},
    "rectification_submit.json": {"items": [{"finding": "隐患排查不到位", "action": "开展专项排查", "status": "done"}],
                                  "rectification_report_file": ["att-rect"]},
    "interview.json": {"interviewee_name": "刘县长", "interviewee_post": "副县长", "interviewers": ["周丽"],
                       "interview_date": "2026-03-05", "interview_requirements": "限期整改",
                       "interview_minutes_file": ["att-minutes"]},
    "rectification_review.json": {"verdict": "accepted"},
    "results_draft.json": {"results_summary": "巡查结果", "results_public_draft": "拟公开内容"},
    "results_approval.json": {"decision": "approve"},
    "results_publish.json": {"published_date": "2026-03-20", "publish_channel": "website",
                             "publish_url": "https://www.heze.gov.cn/xuncha/2025-3", "public_summary": "公布摘要"},
    "org_dept_notify.json": {"org_notice_number": "菏安办函〔2026〕5号", "org_notice_sent_date": "2026-03-20",
                             "org_notice_file": ["att-org"]},
    "org_dept_receipt.json": {"org_dept_received_date": "2026-03-21", "org_dept_receiver_name": "吴刚"},
    "archive.json": {"archive_handover_date": "2026-03-25", "archive_number": "XC-2025-003",
                     "archive_file_list": ["巡查工作方案", "巡查工作报告"], "archive_files": ["att-archive"]},
}


# ------------------------------------------------------------------------------ a walk through the process
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
T0 = datetime(2025, 9, 1, 9, 0, tzinfo=BEIJING)


class Walk:
    """One inspection driven in memory the way the server does it (validate, update, run, advance)."""

    def __init__(self, parser, clock):
        self.engine = make_engine(clock)
        self.wf = BpmnWorkflow(parser.get_spec("safety_inspection"),
                               parser.get_subprocess_specs("safety_inspection"), script_engine=self.engine)
        for task in self.wf.get_tasks(state=TaskState.READY):
            task.data.update(target="shanxian", target_name="单县")     # the start data of conventions.md
        self.advance()

    def advance(self):
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        for _ in range(10):            # a step may start timers that are already due
            self.wf.refresh_timers()
            if not self.wf.get_tasks(state=TaskState.READY, manual=False):
                break
            self.wf.do_engine_steps()

    def ready(self, name=None):
        tasks = self.wf.get_tasks(state=TaskState.READY, manual=True)
        return [t for t in tasks if name is None or t.task_spec.bpmn_name == name]

    def names(self):
        return sorted(t.task_spec.bpmn_name for t in self.ready())

    def stages(self):
        return {t.workflow.spec.description for t in self.ready()}

    def task(self, name, lane=None, org=None, pick=None):
        found = [t for t in self.ready(name) if (lane is None or t.task_spec.lane == lane)
                 and (org is None or t.data.get("transfer_org") == org) and (pick is None or pick(t))]
        assert len(found) == 1, (name, lane, org, self.names())
        return found[0]

    def complete(self, name, lane=None, org=None, pick=None, **fields):
        """Complete the one open task so named with its form's sample data plus `fields`."""
        task = self.task(name, lane, org, pick)
        form_name = task.task_spec.extensions["properties"]["formJsonSchemaFilename"]
        form = load_form(form_name)
        submitted = form_defaults(form) | copy.deepcopy(SAMPLES[form_name]) | fields
        errors = validate_form(form, submitted, self.evaluate)
        assert not errors, (name, errors)
        task.data.update(submitted)
        task.run()
        self.advance()
        return task

    def evaluate(self, expression, names):
        return self.engine.environment.evaluate(expression, dict(names))

    def report(self, **payload):
        self.wf.send_event(BpmnEvent(MessageEventDefinition("public_report"), payload))
        self.advance()

    def completed(self, bpmn_id):
        return [t for t in self.wf.get_tasks() if getattr(t.task_spec, "bpmn_id", None) == bpmn_id
                and t.state == TaskState.COMPLETED]

    def waiting_timers(self):
        return {e.name: e.value for e in self.wf.waiting_events() if e.event_type == "TimeDateEventDefinition"}

    def roundtrip(self):
        """What the server does between requests; the script engine is not serialized."""
        self.wf = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(self.wf))
        self.wf.script_engine = self.engine

    def data(self):
        merged = dict(self.wf.data)
        if self.wf.last_task is not None:
            merged.update(self.wf.last_task.data)
        for task in self.wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
            merged.update(task.data)
        return merged


def prepare(w):
    assert w.stages() == {"巡查准备"}
    w.complete("制定巡查工作方案")
    w.complete("拟定巡查组名单")
    w.complete("审批巡查组名单")
    w.complete("发送巡查告知书")
    assert w.names() == ["签收巡查告知书", "组织集中培训"]
    assert w.task("签收巡查告知书").task_spec.lane == "巡查对象"
    w.complete("组织集中培训")
    w.complete("签收巡查告知书")


def enter(w):
    assert w.stages() == {"巡查进驻"}
    w.complete("发布巡查公告")


def implement(w, findings=(), clues=(), obstruction=False, **record):
    assert w.stages() == {"巡查实施"}
    w.complete("登记巡查工作记录", findings=list(findings), clues=list(clues), obstruction=obstruction, **record)
    w.complete("审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")


def report(w):
    assert w.stages() == {"巡查报告"}
    w.complete("提交巡查工作报告")
    w.complete("汇总巡查报告")
    w.complete("审阅巡查报告")


def feedback(w):
    assert w.stages() == {"巡查反馈"}
    w.complete("印发反馈意见书")
    w.complete("签收反馈意见书")
    w.complete("报送整改情况")
    w.complete("审核整改情况")


def disclose(w):
    assert w.stages() == {"巡查公开"}
    w.complete("起草巡查结果")
    w.complete("审定巡查结果")
    assert w.names() == ["公布巡查结果", "通报市委组织部"]
    w.complete("通报市委组织部")
    w.complete("公布巡查结果")
    w.complete("签收巡查结果通报")
    w.complete("归档巡查资料")


@pytest.fixture
def clock():
    with FakeClock(T0) as c:
        yield c


# ============================================================================== static checks
def test_seven_files_one_process_each():
    assert sorted(f.stem for f in BPMN_FILES) == sorted(PROCESS_NAMES)
    for path in BPMN_FILES:
        root = etree.parse(str(path)).getroot()
        assert root.nsmap.get("spiffworkflow") == NS["spiffworkflow"], path.name
        processes = root.findall("bpmn:process", NS)
        assert [p.get("id") for p in processes] == [path.stem]
        assert processes[0].get("name") == PROCESS_NAMES[path.stem]
        assert processes[0].get("isExecutable") == "true"
        participants = root.findall("bpmn:collaboration/bpmn:participant", NS)
        assert [p.get("processRef") for p in participants] == [path.stem], "one pool per file"
        lanes = processes[0].findall("bpmn:laneSet/bpmn:lane", NS)
        assert lanes and all(lane.get("name") in LANE_ROLES for lane in lanes)
        in_lanes = {ref.text for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
        nodes = {el.get("id") for el in processes[0] if el.get("id") and not el.tag.endswith(
            ("sequenceFlow", "laneSet", "documentation", "extensionElements"))}
        assert nodes <= in_lanes, f"{path.name}: not in a lane: {nodes - in_lanes}"


def test_main_process_calls_the_six_stages_in_order(specs):
    main, subprocesses = specs
    assert sorted(subprocesses) == sorted(pid for pid, _ in STAGES)
    root = etree.parse(str(PROCESS_DIR / "safety_inspection.bpmn")).getroot()
    process = root.find("bpmn:process", NS)
    nodes = {el.get("id"): el for el in process}
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.findall("bpmn:sequenceFlow", NS)}
    node = process.find("bpmn:startEvent", NS).get("id")
    called = []
    while node in flows:
        node = flows[node]
        if nodes[node].tag == f"{{{NS['bpmn']}}}callActivity":
            called.append((nodes[node].get("calledElement"), nodes[node].get("name")))
    assert called == STAGES
    assert nodes[node].tag == f"{{{NS['bpmn']}}}endEvent"


def test_user_tasks_have_forms_clauses_lanes_and_documentation(parser):
    known = clause_ids()
    tasks = user_task_specs(parser)
    assert len(tasks) >= 30
    for pid, ts in tasks:
        where = f"{pid}/{ts.bpmn_id} {ts.bpmn_name}"
        props = ts.extensions.get("properties", {})
        form = props.get("formJsonSchemaFilename")
        assert form and (FORM_DIR / form).is_file(), where
        clauses = props.get("clauses", "").split()
        assert clauses and set(clauses) <= known, (where, set(clauses) - known)
        assert ts.lane in LANE_ROLES, where
        assert ts.bpmn_name and re.search(r"[\u4e00-\u9fff]", ts.bpmn_name), where
        assert ts.documentation and all(c in ts.documentation for c in clauses), where
        assert re.search(r"[\u4e00-\u9fff]", ts.documentation), where
        if "organisationField" in props:
            assert ts.lane == "巡查对象", where


EXPECTED_TASKS = {
    "inspection_preparation": {
        "制定巡查工作方案": ("市安委会办公室", "work_plan.json"),
        "拟定巡查组名单": ("市安委会办公室", "team_roster.json"),
        "审批巡查组名单": ("市安委会领导同志", "roster_approval.json"),
        "发送巡查告知书": ("市安委会办公室", "notice_send.json"),
        "签收巡查告知书": ("巡查对象", "notice_receipt.json"),
        "组织集中培训": ("市安委会办公室", "training.json"),
    },
    "inspection_entry": {"发布巡查公告": ("巡查组组长", "announcement.json")},
    "inspection_implementation": {
        "登记巡查工作记录": ("巡查组组员", "work_record.json"),
        "审核巡查记录": ("巡查组组长", "fieldwork_review.json"),
        "处理群众举报": ("巡查组组长", "report_triage.json"),
        "处理阻挠巡查情况": ("市安委会办公室", "obstruction_handling.json"),
        "报送重大问题书面报告": ("巡查组组长", "major_issue_report.json"),
        "签收重大问题报告": ("市安委会办公室", "major_issue_receipt.json"),
        "决定挂牌督办": ("市安委会领导同志", "listing_decision.json"),
        "分类移交问题线索": ("巡查组组长", "clue_transfer.json"),
        "签收移交线索": ({"市纪委监委", "巡查对象"}, "clue_receipt.json"),
    },
    "inspection_report": {
        "提交巡查工作报告": ("巡查组组长", "report_submit.json"),
        "督办逾期巡查报告": ("市安委会办公室", "report_overdue.json"),
        "汇总巡查报告": ("市安委会办公室", "report_consolidate.json"),
        "审阅巡查报告": ("市安委会领导同志", "report_review.json"),
    },
    "inspection_feedback": {
        "印发反馈意见书": ("巡查组组长", "feedback_letter.json"),
        "签收反馈意见书": ("巡查对象", "feedback_receipt.json"),
        "报送整改情况": ("巡查对象", "rectification_submit.json"),
        "组织约谈": ("市安委会办公室", "interview.json"),
        "审核整改情况": ("市安委会办公室", "rectification_review.json"),
    },
    "inspection_disclosure": {
        "起草巡查结果": ("市安委会办公室", "results_draft.json"),
        "审定巡查结果": ("市安委会领导同志", "results_approval.json"),
        "公布巡查结果": ("市安委会办公室", "results_publish.json"),
        "通报市委组织部": ("市安委会办公室", "org_dept_notify.json"),
        "签收巡查结果通报": ("市委组织部", "org_dept_receipt.json"),
        "归档巡查资料": ("市安委会办公室", "archive.json"),
    },
}


def test_task_names_lanes_and_forms_match_the_procedure(parser):
    found = {}
    for pid, ts in user_task_specs(parser):
        lanes, forms = found.setdefault(pid, {}).setdefault(ts.bpmn_name, (set(), set()))
        lanes.add(ts.lane)
        forms.add(ts.extensions["properties"]["formJsonSchemaFilename"])
    assert set(found) == set(EXPECTED_TASKS)
    for pid, tasks in EXPECTED_TASKS.items():
        assert set(found[pid]) == set(tasks), pid
        for name, (lane, form) in tasks.items():
            lanes = lane if isinstance(lane, set) else {lane}
            assert found[pid][name] == (lanes, {form}), (pid, name)
    clue_targets = [ts for pid, ts in user_task_specs(parser)
                    if ts.bpmn_name == "签收移交线索" and ts.lane == "巡查对象"]
    assert [ts.extensions["properties"].get("organisationField") for ts in clue_targets] == ["transfer_org"]


def test_deadline_timers_are_non_interrupting_boundary_events(parser):
    timers = {}
    for pid, ts in all_task_specs(parser):
        if isinstance(ts, BoundaryEvent) and isinstance(ts.event_definition, spiff_timer.TimerEventDefinition):
            timers[ts.bpmn_name] = (pid, ts.cancel_activity, ts.extensions["properties"]["deadlineKind"],
                                    ts.event_definition.expression)
    assert timers == {
        "巡查报告到期提醒": ("inspection_report", False, "reminder", "end_of_day(add_working_days(fieldwork_end, 12))"),
        "巡查报告逾期": ("inspection_report", False, "deadline", "end_of_day(add_working_days(fieldwork_end, 15))"),
        "整改报告到期提醒": ("inspection_feedback", False, "reminder",
                             "end_of_day(add_working_days(add_months(feedback_received_date, 2), -5))"),
        "整改报告逾期": ("inspection_feedback", False, "deadline", "end_of_day(add_months(feedback_received_date, 2))"),
    }


def diagram_code(parser):
    """Every script, condition and timer expression of every process."""
    for pid, ts in all_task_specs(parser):
        if isinstance(ts, ScriptTask):
            yield pid, ts.bpmn_id, ts.script, "exec"
        for condition, _ in getattr(ts, "cond_task_specs", ()):
            if condition is not None:
                yield pid, ts.bpmn_id, condition.args[0], "eval"
        expression = getattr(getattr(ts, "event_definition", None), "expression", None)
        if isinstance(expression, str):
            yield pid, ts.bpmn_id, expression, "eval"


def test_expressions_use_only_the_restricted_language(parser):
    code = list(diagram_code(parser))
    assert len(code) > 30
    for pid, element, source, mode in code:
        check_source(source, mode)
    for path in FORM_FILES:
        for rule in load_form(path.name).get("rules", []):
            for key in ("when", "assert"):
                if key in rule:
                    check_source(rule[key], "eval")


def test_status_scripts(parser):
    statuses = {}
    for pid, ts in all_task_specs(parser):
        if isinstance(ts, ScriptTask) and "inspection_status" in ts.script:
            statuses.setdefault(pid, []).append(re.search(r'inspection_status = "(.+?)"', ts.script).group(1))
    assert statuses == {
        "inspection_preparation": ["准备中"], "inspection_entry": ["进驻中"],
        "inspection_implementation": ["实施中"], "inspection_report": ["报告中"],
        "inspection_feedback": ["反馈中", "整改中", "整改完成"], "inspection_disclosure": ["公开中", "已结束"],
    }


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_every_shape_and_flow_has_diagram_layout(path):
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    process = root.find("bpmn:process", NS)
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")
    flows = process.findall("bpmn:sequenceFlow", NS)
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    nodes = [el for el in process if el.get("id") and el.tag.split("}")[1] not in ("sequenceFlow", "laneSet")]
    bounds = {}
    for el in [participant, *lanes, *nodes]:
        shape = shapes.get(el.get("id"))
        assert shape is not None, f"{path.name}: no BPMNShape for {el.get('id')}"
        b = shape.find("dc:Bounds", NS)
        bounds[el.get("id")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        assert bounds[el.get("id")][2] > 0 and bounds[el.get("id")][3] > 0
    sizes = {"userTask": (100, 80), "scriptTask": (100, 80), "callActivity": (100, 80), "receiveTask": (100, 80),
             "startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36),
             "intermediateThrowEvent": (36, 36), "exclusiveGateway": (50, 50), "inclusiveGateway": (50, 50),
             "parallelGateway": (50, 50)}
    for el in nodes:
        assert bounds[el.get("id")][2:] == sizes[el.tag.split("}")[1]], el.get("id")
    for flow in flows:
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"{path.name}: no BPMNEdge for {flow.get('id')}"
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert len(points) >= 2
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:])), \
            f"{path.name}: {flow.get('id')} is not orthogonal"

    def inside(inner, outer):
        return (outer[0] <= inner[0] and inner[0] + inner[2] <= outer[0] + outer[2]
                and outer[1] <= inner[1] and inner[1] + inner[3] <= outer[1] + outer[3])

    def overlap(a, b):
        return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]

    lane_of = {ref.text: lane.get("id") for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
    for el in nodes:
        if not el.tag.endswith("boundaryEvent"):
            assert inside(bounds[el.get("id")], bounds[lane_of[el.get("id")]]), el.get("id")
    for lane in lanes:
        assert inside(bounds[lane.get("id")], bounds[participant.get("id")])
    attached = {el.get("id"): el.get("attachedToRef") for el in nodes if el.tag.endswith("boundaryEvent")}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            ida, idb = a.get("id"), b.get("id")
            if attached.get(ida) == idb or attached.get(idb) == ida:
                continue
            assert not overlap(bounds[ida], bounds[idb]), f"{path.name}: {ida} overlaps {idb}"


# ============================================================================== forms
def schema_fields(schema, path=""):
    for key, prop in schema.get("properties", {}).items():
        yield f"{path}{key}", prop
        if prop.get("type") == "object":
            yield from schema_fields(prop, f"{path}{key}/")
        if prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            yield from schema_fields(prop["items"], f"{path}{key}/")


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_form_file(path):
    form = json.loads(path.read_text(encoding="utf-8"))
    assert set(form) == {"title", "schema", "ui", "rules"}
    schema = form["schema"]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and schema["type"] == "object"
    assert re.search(r"[\u4e00-\u9fff]", form["title"])
    props = schema["properties"]
    assert set(schema["required"]) <= set(props)
    for name, prop in schema_fields(schema):
        assert re.search(r"[\u4e00-\u9fff]", prop.get("title", "")), f"{path.name}: {name} has no Chinese title"
        for holder in (prop, prop.get("items", {})):
            if "enum" in holder:
                assert len(holder.get("x-enumNames", [])) == len(holder["enum"]), f"{path.name}: {name}"
        if "default" in prop:
            assert not list(Draft202012Validator(prop).iter_errors(prop["default"])), f"{path.name}: {name}"
        if re.search(r"(^|_)date$", name.split("/")[-1]):
            assert prop.get("format") == "date", f"{path.name}: {name}"
    ui = form["ui"]
    assert ui["order"] == list(props) and set(ui["fields"]) == set(props)
    for name, hints in ui["fields"].items():
        assert hints.get("widget"), f"{path.name}: {name}"
        if hints["widget"] == "file":
            assert props[name] | {"type": "array", "items": {"type": "string"}} == props[name]
        if hints["widget"] == "date":
            assert props[name].get("format") == "date"
        assert set(hints.get("read_roles", [])) <= set(LANE_ROLES.values())
    for rule in form["rules"]:
        assert set(rule) <= {"when", "assert", "field", "message"} and rule["assert"] and rule["message"]
        assert rule.get("field", "") == "" or rule["field"] in props
    assert validate_form(form, form_defaults(form) | SAMPLES[path.name], _plain_evaluate) == {}


def _plain_evaluate(expression, names):
    if SandboxedEnvironment is not None:
        return SandboxedEnvironment().evaluate(expression, dict(names))
    return eval(expression, {"count_where": _local_count_where, **names})


def test_field_names_are_shared_only_on_purpose():
    """The stages share one data dictionary: a field name in two forms means the same datum."""
    users = {}
    for path in FORM_FILES:
        for name in load_form(path.name)["schema"]["properties"]:
            users.setdefault(name, []).append(path.name)
    shared = {name: sorted(forms) for name, forms in users.items() if len(forms) > 1}
    approvals = ["report_review.json", "results_approval.json", "roster_approval.json"]
    assert shared == {"decision": approvals, "return_reason": approvals,
                      "clues": ["clue_transfer.json", "work_record.json"]}


def test_reporter_identity_is_readable_only_by_team_leader_and_office():
    fields = load_form("report_triage.json")["ui"]["fields"]
    for name in ("reporter_name", "reporter_contact"):
        assert fields[name]["read_roles"] == ["team_leader", "office"]
    assert [k for k, v in fields.items() if "read_roles" in v] == ["reporter_name", "reporter_contact"]


def member(**overrides):
    return {"name": "成员", "username": "", "role": "member", "home_unit": "市应急管理局", "declared": True} | overrides


SIX = [member(role="leader"), member(role="deputy")] + [member() for _ in range(4)]

RULE_CASES = [
    ("team_roster.json", {"members": SIX}, {}),
    ("team_roster.json", {"members": SIX + [member(role="expert")]}, {}),
    ("team_roster.json", {"members": SIX[1:] + [member()]}, {"members": "须有且仅有1名组长"}),
    ("team_roster.json", {"members": SIX + [member(role="leader")]}, {"members": "须有且仅有1名组长"}),
    ("team_roster.json", {"members": [SIX[0]] + [member() for _ in range(5)]}, {"members": "须有且仅有1名副组长"}),
    ("team_roster.json", {"members": SIX[:5] + [member(declared=False)]}, {"members": "每名成员须提交回避声明"}),
    ("team_roster.json", {"members": SIX[:5] + [member(regional_conflict=True)]}, {"members": "成员存在回避情形，须调整"}),
    ("team_roster.json", {"members": SIX[:4] + [member(role="expert")]},
     {"size_exception_reason": "不足6人须填写例外理由"}),
    ("team_roster.json", {"members": SIX[:4], "size_exception_reason": "专项巡查任务量小"}, {}),
    ("roster_approval.json", {"decision": "return"}, {"return_reason": "退回时须填写退回理由"}),
    ("roster_approval.json", {"decision": "return", "return_reason": "  "}, {"return_reason": "退回时须填写退回理由"}),
    ("roster_approval.json", {"decision": "approve", "roster_core_size": 4},
     {"size_exception_approved": "巡查组不足6人，须明确批准例外"}),
    ("roster_approval.json", {"decision": "approve", "roster_core_size": 4, "size_exception_approved": True}, {}),
    ("roster_approval.json", {"decision": "approve", "roster_core_size": 6}, {}),
    ("roster_approval.json", {"decision": "return", "return_reason": "人员不足", "roster_core_size": 4}, {}),
    ("work_plan.json", {"inspection_type": "special"}, {"special_basis": "专项巡查须填写巡查依据"}),
    ("work_plan.json", {"inspection_type": "special", "special_basis": "近期事故多发"}, {}),
    ("work_plan.json", {"planned_onsite_end": "2025-09-01"}, {"planned_onsite_end": "现场巡查结束日期不得早于进驻日期"}),
    ("work_record.json", {"obstruction": True},
     {"obstruction_type": "存在阻挠巡查情况的，须选择阻挠类型", "obstruction_detail": "存在阻挠巡查情况的，须说明具体情况"}),
    ("work_record.json", {"obstruction": True, "obstruction_type": "refuse_materials",
                          "obstruction_detail": "拒不提供台账"}, {}),
    ("fieldwork_review.json", {"fieldwork_done": True, "fieldwork_end": None},
     {"fieldwork_end": "结束现场巡查时须填写现场巡查结束日期"}),
    ("fieldwork_review.json", {"fieldwork_done": True, "fieldwork_end": ""}, "schema"),
    ("fieldwork_review.json", {"fieldwork_done": False, "fieldwork_end": None}, {}),
    ("report_triage.json", {"triage": "transfer"}, {"triage_transfer_org": "移交处理须选择接收单位"}),
    ("listing_decision.json", {"listed": True, "listing_requirements": ""}, {"listing_requirements": "挂牌督办须提出整改要求"}),
    ("listing_decision.json", {"listed": False}, {"not_listed_reason": "不挂牌督办须说明理由"}),
    ("clue_transfer.json", {"clues": [{"category": "official_misconduct", "description": "某局长违规"}],
                            "clue_transfer_date": "2025-09-29"}, {}),
    ("clue_transfer.json", {"clues": [{"category": "other", "description": "企业线索"}],
                            "clue_transfer_date": "2025-09-29"}, {"clues": "须为每条不涉及公职人员的线索选择接收单位"}),
    ("rectification_submit.json", {"items": [{"finding": "问题", "action": "措施", "status": "in_progress"}]},
     {"items": "整改中的事项须说明未完成原因及计划"}),
    ("rectification_review.json", {"verdict": "poor"}, {"verdict_reason": "整改不力或退回补充的，须填写审核意见"}),
    ("rectification_review.json", {"verdict": "returned", "verdict_reason": "材料不全"}, {}),
    ("report_review.json", {"decision": "return"}, {"return_reason": "退回时须填写退回理由"}),
    ("results_approval.json", {"decision": "return", "return_reason": "请补充先进做法"}, {}),
    ("results_publish.json", {"publish_url": None}, {"publish_url": "网上公布的须填写网址"}),
    ("results_publish.json", {"publish_channel": "newspaper", "publish_url": None}, {}),
    ("announcement.json", {"mailbox": "not-an-email"}, "schema"),
]


@pytest.mark.parametrize("form_name, fields, expected", RULE_CASES)
def test_form_rules(form_name, fields, expected):
    """`expected` is the rule errors, or "schema" when the schema already refuses the data.
    A field given as None is left out of the submission."""
    form = load_form(form_name)
    submitted = {k: v for k, v in (form_defaults(form) | SAMPLES[form_name] | fields).items() if v is not None}
    errors = validate_form(form, submitted, _plain_evaluate)
    if expected == "schema":
        assert errors and not set(errors.values()) & {r["message"] for r in form["rules"]}
    else:
        assert errors == expected
        assert set(expected) <= {r.get("field") for r in form["rules"]}


def test_rules_never_raise_on_missing_optional_fields():
    for path in FORM_FILES:
        form = json.loads(path.read_text(encoding="utf-8"))
        required = {k: SAMPLES[path.name].get(k) for k in form["schema"]["required"]}
        validate_form(form, form_defaults(form) | required, _plain_evaluate)   # must not raise


# ============================================================================== timer expressions
def evaluate_timer(parser, process_id, name, data):
    spec = parser.get_spec(process_id)
    [ts] = [t for t in spec.task_specs.values() if getattr(t, "bpmn_name", None) == name]
    with FakeClock(T0) as c:
        return make_engine(c).environment.evaluate(ts.event_definition.expression, dict(data))


@pytest.mark.parametrize("name, data, expected", [
    # D1 (clauses.md §2): 2025-09-26 -> 2025-10-23; the deadline instant is 24:00 of that day
    ("巡查报告逾期", {"fieldwork_end": "2025-09-26"}, "2025-10-24T00:00:00+08:00"),
    ("巡查报告到期提醒", {"fieldwork_end": "2025-09-26"}, "2025-10-21T00:00:00+08:00"),
    ("巡查报告逾期", {"fieldwork_end": "2025-01-24"}, "2025-02-21T00:00:00+08:00"),
    ("巡查报告逾期", {"fieldwork_end": "2025-04-30"}, "2025-05-27T00:00:00+08:00"),
])
def test_report_timer_expressions(parser, name, data, expected):
    assert evaluate_timer(parser, "inspection_report", name, data) == expected


@pytest.mark.parametrize("name, received, expected", [
    # D2 (clauses.md §2): calendar months from the receipt date, rolled forward off rest days
    ("整改报告逾期", "2025-01-31", "2025-04-01T00:00:00+08:00"),
    ("整改报告逾期", "2024-12-31", "2025-03-01T00:00:00+08:00"),
    ("整改报告逾期", "2025-08-01", "2025-10-10T00:00:00+08:00"),
    ("整改报告逾期", "2024-08-03", "2024-10-09T00:00:00+08:00"),
    ("整改报告逾期", "2025-12-31", "2026-03-01T00:00:00+08:00"),   # 2026-02-28 is an adjusted working day
    ("整改报告到期提醒", "2025-08-01", "2025-09-26T00:00:00+08:00"),  # 5 working days before 10-09
    ("整改报告到期提醒", "2025-12-31", "2026-02-15T00:00:00+08:00"),  # 5 working days before 02-28
])
def test_rectification_timer_expressions(parser, name, received, expected):
    assert evaluate_timer(parser, "inspection_feedback", name, {"feedback_received_date": received}) == expected


# ============================================================================== walks
def test_walk_through_every_stage(parser, clock):
    w = Walk(parser, clock)
    assert w.names() == ["制定巡查工作方案"]
    assert w.data()["inspection_status"] == "准备中"
    prepare(w)
    w.roundtrip()
    enter(w)
    assert w.data()["report_channel_open"] is True
    w.roundtrip()
    implement(w)
    assert w.names() == ["提交巡查工作报告"]
    assert w.waiting_timers() == {"巡查报告到期提醒": "2025-10-21T00:00:00+08:00",
                                  "巡查报告逾期": "2025-10-24T00:00:00+08:00"}
    w.roundtrip()
    report(w)
    w.roundtrip()
    feedback(w)
    w.roundtrip()
    disclose(w)
    assert w.wf.completed and w.wf.success
    assert w.wf.data["inspection_status"] == "已结束"
    assert w.wf.data["target"] == "shanxian" and w.wf.data["members"] == ROSTER
    for bpmn_id in ("supervise_overdue_report", "interview_overdue", "interview_poor", "triage_public_report",
                    "handle_obstruction", "report_major_issue", "decide_listing", "transfer_clues"):
        assert not w.completed(bpmn_id), bpmn_id


def test_roster_returned_then_small_team_approved_as_exception(parser, clock):
    w = Walk(parser, clock)
    small = [m for m in ROSTER if m["username"] not in ("team_member3", "team_member4")]
    w.complete("制定巡查工作方案", inspection_type="special", special_basis="近期建筑施工事故多发")
    w.complete("拟定巡查组名单")
    assert w.task("审批巡查组名单").data["roster_core_size"] == 6
    w.complete("审批巡查组名单", decision="return", return_reason="请调整组员")
    assert w.names() == ["拟定巡查组名单"]
    w.complete("拟定巡查组名单", members=small, size_exception_reason="专项巡查任务量小")
    approval = w.task("审批巡查组名单")
    assert approval.data["roster_core_size"] == 4
    form = load_form("roster_approval.json")
    refused = validate_form(form, {"decision": "approve", "roster_core_size": 4}, w.evaluate)
    assert refused == {"size_exception_approved": "巡查组不足6人，须明确批准例外"}
    w.complete("审批巡查组名单", roster_core_size=4, size_exception_approved=True)
    assert w.names() == ["发送巡查告知书"]
    assert len(w.completed("approve_team_roster")) == 2


def payload(n, **extra):
    return {"report_channel": "phone", "report_received_at": f"2025-09-1{n}T10:00:00+08:00",
            "report_anonymous": False, "reporter_name": f"举报人{n}", "reporter_contact": f"1380000000{n}",
            "report_subject": "某化工企业", "report_content": f"第{n}件举报：违规储存危险化学品"} | extra


def test_public_reports_reach_the_team_leader_during_fieldwork(parser, clock):
    w = Walk(parser, clock)
    prepare(w)
    enter(w)
    assert ("public_report", "MessageEventDefinition") in {(e.name, e.event_type) for e in w.wf.waiting_events()}
    # the way a server hands an event to one instance (catch), and the way that refuses unknown events
    w.wf.catch(BpmnEvent(MessageEventDefinition("public_report"), payload(1)))
    w.advance()
    assert w.names() == ["处理群众举报", "登记巡查工作记录"]
    w.report(**payload(2, report_anonymous=True, reporter_name="", reporter_contact=""))
    triage = w.ready("处理群众举报")
    assert len(triage) == 2
    first = next(t for t in triage if t.data["reporter_name"] == "举报人1")
    assert first.data["report_content"] == "第1件举报：违规储存危险化学品"
    assert first.data["public_report"] is None          # the raw payload is not kept
    assert first.task_spec.lane == "巡查组组长"
    w.roundtrip()
    w.complete("处理群众举报", pick=lambda t: t.data["reporter_name"] == "举报人1")
    w.complete("登记巡查工作记录", findings=[{"category": "C5", "severity": "general", "description": "台账不全"}])
    w.complete("审核巡查记录", fieldwork_done=False)
    w.report(**payload(3))
    records = w.task("登记巡查工作记录").data["records"] + [
        {"method": "spot_check", "date": "2025-09-20", "summary": "抽查企业"}]
    w.complete("登记巡查工作记录", records=records,
               findings=w.task("登记巡查工作记录").data["findings"])
    w.complete("审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
    # fieldwork is over: the hotline stops, reports not yet handled stay open and hold the stage
    assert "public_report" not in {e.name for e in w.wf.waiting_events()}
    with pytest.raises(WorkflowException, match="not waiting for public_report"):
        w.report(**payload(4))
    assert w.names() == ["处理群众举报", "处理群众举报"]
    for n in (2, 3):
        w.complete("处理群众举报", pick=lambda t: t.data["report_content"].startswith(f"第{n}件"),
                   triage="transfer", triage_transfer_org="yingji")
    assert w.names() == ["提交巡查工作报告"]
    data = w.task("提交巡查工作报告").data
    assert len(data["records"]) == 2 and data["findings"][0]["description"] == "台账不全"
    assert len(w.completed("triage_public_report")) == 3


def test_fieldwork_loop_keeps_the_arrays(parser, clock):
    w = Walk(parser, clock)
    prepare(w)
    enter(w)
    w.complete("登记巡查工作记录")
    w.complete("审核巡查记录", fieldwork_done=False)
    member_task = w.task("登记巡查工作记录")
    assert member_task.data["records"] == SAMPLES["work_record.json"]["records"]
    w.complete("登记巡查工作记录", records=member_task.data["records"] * 2)
    w.complete("审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
    assert len(w.task("提交巡查工作报告").data["records"]) == 2
    assert len(w.completed("review_fieldwork")) == 2


MAJOR = {"category": "C5", "severity": "major_issue", "description": "重大问题", "pointed_out": True}
HAZARD = {"category": "C5", "severity": "major_hazard", "description": "重大隐患"}
GENERAL = {"category": "C3", "severity": "general", "description": "一般问题"}
OFFICIAL = {"category": "official_misconduct", "description": "某局干部失职", "subject": "某局"}
COMPANY = {"category": "enterprise_illegal", "description": "企业无证经营", "subject": "某企业"}
SUPERVISION = {"category": "supervision_failure", "description": "监管缺位", "subject": "某部门"}

FOLLOWUP_CASES = {
    "nothing": ({}, []),
    "obstruction": ({"obstruction": True, "obstruction_type": "interference", "obstruction_detail": "干扰谈话"},
                    ["处理阻挠巡查情况"]),
    "major issue": ({"findings": [GENERAL, MAJOR]}, ["报送重大问题书面报告", "签收重大问题报告"]),
    "major hazard": ({"findings": [HAZARD]}, ["决定挂牌督办"]),
    "official clue": ({"clues": [OFFICIAL]}, ["分类移交问题线索", "签收移交线索@市纪委监委"]),
    "other clues": ({"clues": [COMPANY, SUPERVISION]},
                    ["分类移交问题线索", "签收移交线索@shanxian", "签收移交线索@yingji"]),
    "everything": ({"obstruction": True, "obstruction_type": "retaliation", "obstruction_detail": "打击报复举报人",
                    "findings": [MAJOR, HAZARD, GENERAL], "clues": [OFFICIAL, COMPANY, SUPERVISION]},
                   ["处理阻挠巡查情况", "报送重大问题书面报告", "签收重大问题报告", "决定挂牌督办", "分类移交问题线索",
                    "签收移交线索@市纪委监委", "签收移交线索@shanxian", "签收移交线索@yingji"]),
}


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("case", list(FOLLOWUP_CASES))
def test_followup_branches_after_fieldwork(parser, clock, case, reverse):
    record, expected = FOLLOWUP_CASES[case]
    w = Walk(parser, clock)
    prepare(w)
    enter(w)
    implement(w, **({"findings": [], "clues": [], "obstruction": False} | record))
    done = []
    while w.stages() == {"巡查实施"}:
        tasks = sorted(w.ready(), key=lambda t: (t.task_spec.bpmn_name, t.task_spec.lane), reverse=reverse)
        task = tasks[0]
        name = task.task_spec.bpmn_name
        if name == "分类移交问题线索":
            clues = [c | {"transfer_org": "yingji" if c["category"] == "supervision_failure" else "shanxian"}
                     for c in task.data["clues"]]
            w.complete(name, clues=clues, clue_transfer_date="2025-09-29")
        elif name == "签收移交线索":
            label = task.data.get("transfer_org") or task.task_spec.lane
            assert (task.task_spec.lane == "巡查对象") == (label in ("shanxian", "yingji"))
            w.complete(name, lane=task.task_spec.lane, org=task.data.get("transfer_org"))
            name = f"{name}@{label}"
        else:
            w.complete(name)
        done.append(name)
    assert sorted(done) == sorted(expected)
    assert w.names() == ["提交巡查工作报告"]
    assert len(w.completed("followup_join")) == 1
    data = w.task("提交巡查工作报告").data
    assert data["findings"] == record.get("findings", [])


def test_report_reminder_and_overdue_supervision(parser, clock):
    w = Walk(parser, clock)
    prepare(w)
    enter(w)
    implement(w)
    timers = w.waiting_timers()
    assert timers == {"巡查报告到期提醒": "2025-10-21T00:00:00+08:00", "巡查报告逾期": "2025-10-24T00:00:00+08:00"}
    clock.set("2025-10-20T23:59:59+08:00")
    w.advance()
    assert not w.completed("mark_report_reminder")
    clock.set("2025-10-21T00:00:01+08:00")
    w.advance()
    assert len(w.completed("mark_report_reminder")) == 1
    assert w.names() == ["提交巡查工作报告"]
    w.roundtrip()
    clock.set("2025-10-24T00:00:01+08:00")
    w.advance()
    assert w.names() == ["提交巡查工作报告", "督办逾期巡查报告"]      # the late task stays open
    w.advance()
    assert len(w.ready("督办逾期巡查报告")) == 1                     # fires once
    w.complete("督办逾期巡查报告")
    w.complete("提交巡查工作报告")
    w.complete("汇总巡查报告")
    w.complete("审阅巡查报告", decision="return", return_reason="请补充原因分析")
    assert w.names() == ["汇总巡查报告"]
    w.complete("汇总巡查报告")
    w.complete("审阅巡查报告")
    assert w.names() == ["印发反馈意见书"]
    assert w.data()["report_reminder_sent"] is True
    assert len(w.completed("supervise_overdue_report")) == 1 and len(w.completed("consolidate_report")) == 2


def to_rectification(parser, clock, received="2025-12-31"):
    w = Walk(parser, clock)
    prepare(w)
    enter(w)
    implement(w)
    report(w)
    w.complete("印发反馈意见书")
    w.complete("签收反馈意见书", feedback_received_date=received)
    assert w.names() == ["报送整改情况"]
    assert w.data()["inspection_status"] == "整改中"
    return w


def test_rectification_returned_and_poor_loops(parser, clock):
    w = to_rectification(parser, clock)
    w.complete("报送整改情况")
    w.complete("审核整改情况", verdict="returned", verdict_reason="请补充查处情况")
    assert w.names() == ["报送整改情况"]
    w.complete("报送整改情况", accountability_summary="已问责2人")
    w.complete("审核整改情况", verdict="poor", verdict_reason="整改措施不落实")
    interview = w.task("组织约谈")
    assert interview.data["interview_trigger"] == "poor"
    assert interview.task_spec.bpmn_id == "interview_poor"
    w.complete("组织约谈")
    assert w.names() == ["报送整改情况"]
    items = [{"finding": "隐患排查不到位", "action": "全面复查", "status": "in_progress",
              "not_rectify_reason": "需停产改造，2026年6月前完成"}]
    w.complete("报送整改情况", items=items)
    w.complete("审核整改情况")
    assert w.names() == ["起草巡查结果"]
    data = w.task("起草巡查结果").data
    assert data["verdict"] == "accepted" and data["items"] == items
    assert len(w.completed("submit_rectification")) == 3
    assert not w.completed("interview_overdue")


def test_rectification_overdue_leads_to_interview_once(parser, clock):
    w = to_rectification(parser, clock)
    assert w.waiting_timers() == {"整改报告到期提醒": "2026-02-15T00:00:00+08:00",
                                  "整改报告逾期": "2026-03-01T00:00:00+08:00"}
    clock.set("2026-02-15T00:00:01+08:00")
    w.advance()
    assert len(w.completed("mark_rectification_reminder")) == 1 and w.names() == ["报送整改情况"]
    clock.set("2026-03-01T00:00:01+08:00")
    w.advance()
    assert w.names() == ["报送整改情况", "组织约谈"]             # tracking continues beside the interview
    interview = w.task("组织约谈")
    assert interview.data["interview_trigger"] == "overdue" and interview.task_spec.bpmn_id == "interview_overdue"
    w.roundtrip()
    w.complete("组织约谈")
    w.complete("报送整改情况")
    w.complete("审核整改情况", verdict="returned", verdict_reason="请补充")
    # the new round starts after the deadline: its re-armed timers fire at once, but no second interview
    assert w.names() == ["报送整改情况"]
    assert len(w.completed("rectification_deadline")) == 2
    assert len(w.completed("interview_overdue")) == 1
    w.complete("报送整改情况")
    w.complete("审核整改情况")
    assert w.names() == ["起草巡查结果"]


def test_overdue_interview_finishing_last_keeps_the_rectification_data(parser, clock):
    w = to_rectification(parser, clock)
    clock.set("2026-03-01T00:00:01+08:00")
    w.advance()
    items = [{"finding": "隐患排查不到位", "action": "专项排查", "status": "done"}]
    w.complete("报送整改情况", items=items)
    w.complete("审核整改情况")
    assert w.names() == ["组织约谈"]                              # the stage waits for the interview
    w.complete("组织约谈")
    assert w.names() == ["起草巡查结果"]
    data = w.task("起草巡查结果").data
    assert data["verdict"] == "accepted" and data["items"] == items
    assert data["interview_trigger"] == "overdue" and data["inspection_status"] == "公开中"


def test_rectification_deadline_inside_a_returned_round_still_escalates(parser, clock):
    w = to_rectification(parser, clock)
    w.complete("报送整改情况")
    w.complete("审核整改情况", verdict="returned", verdict_reason="请补充")   # round 2 starts 2025-09-01
    clock.set("2026-03-01T00:00:01+08:00")
    w.advance()
    assert w.names() == ["报送整改情况", "组织约谈"]


def test_disclosure_return_then_publish_notify_and_archive(parser, clock):
    w = to_rectification(parser, clock)
    w.complete("报送整改情况")
    w.complete("审核整改情况")
    w.complete("起草巡查结果")
    w.complete("审定巡查结果", decision="return", return_reason="请补充先进做法")
    assert w.names() == ["起草巡查结果"]
    w.complete("起草巡查结果", results_good_practices="推行企业安全生产“明白纸”制度")
    w.complete("审定巡查结果")
    assert w.names() == ["公布巡查结果", "通报市委组织部"]
    w.complete("通报市委组织部")
    assert w.names() == ["公布巡查结果", "签收巡查结果通报"]
    assert w.task("签收巡查结果通报").task_spec.lane == "市委组织部"
    w.complete("签收巡查结果通报")
    assert w.names() == ["公布巡查结果"]
    w.complete("公布巡查结果")
    w.complete("归档巡查资料")
    assert w.wf.completed and w.wf.data["inspection_status"] == "已结束"
    assert len(w.completed("draft_results")) == 2


# ============================================================================== engine facts we rely on
def test_spiffworkflow_32_does_not_start_message_event_subprocesses_in_called_processes():
    """Why the hotline is a receive-task loop: in 3.2 a message start event of an event subprocess
    is only triggered in the top-level process (EventManager.update_collaboration looks at the
    top workflow's spec only). If this starts failing, SpiffWorkflow has changed: revisit."""
    ns = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')
    called = f'''<bpmn:definitions {ns} id="d1" targetNamespace="t">
      <bpmn:message id="m" name="public_report"/>
      <bpmn:process id="stage" isExecutable="true">
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
        <bpmn:userTask id="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
        <bpmn:endEvent id="e"/>
        <bpmn:subProcess id="esp" triggeredByEvent="true">
          <bpmn:startEvent id="es" isInterrupting="false">
            <bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
          <bpmn:sequenceFlow id="g1" sourceRef="es" targetRef="triage"/>
          <bpmn:userTask id="triage"/><bpmn:sequenceFlow id="g2" sourceRef="triage" targetRef="ee"/>
          <bpmn:endEvent id="ee"/>
        </bpmn:subProcess>
      </bpmn:process></bpmn:definitions>'''
    main = f'''<bpmn:definitions {ns} id="d2" targetNamespace="t">
      <bpmn:process id="main" isExecutable="true">
        <bpmn:startEvent id="ms"/><bpmn:sequenceFlow id="h1" sourceRef="ms" targetRef="call"/>
        <bpmn:callActivity id="call" calledElement="stage"/><bpmn:sequenceFlow id="h2" sourceRef="call" targetRef="me"/>
        <bpmn:endEvent id="me"/>
      </bpmn:process></bpmn:definitions>'''
    def fresh_parser():          # trigger_wf() mutates the called spec, so each case parses anew
        p = SpiffBpmnParser()
        p.add_bpmn_str(called.encode(), filename="stage.bpmn")
        p.add_bpmn_str(main.encode(), filename="main.bpmn")
        return p

    def ready_ids(wf):
        return sorted(t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY, manual=True))

    p = fresh_parser()
    alone = BpmnWorkflow(p.get_spec("stage"), p.get_subprocess_specs("stage"))
    alone.do_engine_steps()
    alone.catch(BpmnEvent(MessageEventDefinition("public_report"), {}))
    alone.do_engine_steps()
    assert ready_ids(alone) == ["triage", "work"]
    p = fresh_parser()
    nested = BpmnWorkflow(p.get_spec("main"), p.get_subprocess_specs("main"))
    nested.do_engine_steps()
    nested.catch(BpmnEvent(MessageEventDefinition("public_report"), {}))
    nested.do_engine_steps()
    assert ready_ids(nested) == ["work"] and len(nested.get_events()) == 1
