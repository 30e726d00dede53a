"""One inspection driven in memory through the real engine, the way the server drives it.

`runtime.start`/`complete`/`advance` on a bundle from `load_bundle`, a script engine whose clock is a
plain mutable object (no patching of library modules), and JSON round trips with the server's
spec-free serializer. Also: form validation as `runtime.complete` does it (for rule tables), and
at the end the plain path of each stage and shortcuts to the points where scenarios branch.
"""
from copy import deepcopy
from datetime import datetime
from pathlib import Path
from uuid import UUID

from SpiffWorkflow import TaskState

from server.engine import runtime
from server.engine.bundle import load_bundle
from server.engine.calendar import BEIJING, WorkingCalendar
from server.engine.environment import XunchaScriptEngine
from server.engine.projection import acknowledge, current_data, project
from server.engine.serialization import dump_state, load_state
from server.services.samples import SAMPLES
from server.services.versions import read_source_tree

ROOT = Path(__file__).resolve().parents[2]
MAIN = "safety_inspection"
START_DATA = {"target": "shanxian", "target_name": "单县"}     # conventions.md, "Data"
T0 = "2025-09-01T09:00:00+08:00"


def product_bundle():
    return load_bundle(read_source_tree(ROOT))


class Clock:
    """The time the script engine (and so every timer) sees."""

    def __init__(self, iso=T0):
        self.set(iso)

    def set(self, iso):
        self.now = datetime.fromisoformat(iso)


def at(iso):
    return datetime.fromisoformat(iso)


def make_engine(clock):
    return XunchaScriptEngine(WorkingCalendar(), clock=lambda: clock.now)


_RULES_ENGINE = make_engine(Clock())


def evaluate(expression, names):
    """An expression in the restricted language, with the functions diagrams and rules see."""
    return _RULES_ENGINE.environment.evaluate(expression, dict(names))


def form_errors(bundle, form, fields):
    """Validate as `runtime.complete` does. Fields the form lacks, and its read-only ones, are
    the process's data (e.g. the roster's members seen by the roster approval)."""
    own = set(form.field_titles()) - form.read_only_fields()
    try:
        runtime.check_submission(bundle, form, {k: v for k, v in fields.items() if k in own},
                                 fields, make_engine(Clock()))
    except runtime.InvalidTaskData as exc:
        return exc.fields
    return {}


def payload(n, **extra):
    """The n-th public report arriving on the hotline."""
    return {"report_channel": "phone", "report_received_at": f"2025-09-1{n}T10:00:00+08:00",
            "report_anonymous": False, "reporter_name": f"举报人{n}", "reporter_contact": f"1380000000{n}",
            "report_subject": "某化工企业", "report_content": f"第{n}件举报：违规储存危险化学品"} | extra


class Walk:
    def __init__(self, bundle, clock=None):
        self.bundle, self.clock = bundle, clock or Clock()
        self.engine = make_engine(self.clock)
        self.wf = runtime.start(bundle, MAIN, START_DATA, self.engine)

    # ---- reading
    def open(self, name=None):
        return [t for t in project(self.bundle, self.wf).open_tasks if name is None or t.name == name]

    def names(self):
        return sorted(t.name for t in self.open())

    def stages(self):
        return {t.stage for t in self.open()}

    def data_of(self, task):
        return self.wf.get_task_from_id(UUID(task.id)).data

    def task(self, name, role=None, org=None, pick=None):
        """The one open task so named (narrowed by role, organisation, or `pick(task data)`)."""
        found = [t for t in self.open(name) if (role is None or t.role == role)
                 and (org is None or t.organisation == org) and (pick is None or pick(self.data_of(t)))]
        assert len(found) == 1, (name, role, org, self.names())
        return found[0]

    def completed(self, bpmn_id):
        return [t for t in self.wf.get_tasks(state=TaskState.COMPLETED)
                if getattr(t.task_spec, "bpmn_id", None) == bpmn_id]

    def timers(self):
        """Waiting timers: bpmn id -> due instant (ISO, Beijing)."""
        return {t.bpmn_id: t.due_at.astimezone(BEIJING).isoformat()
                for t in project(self.bundle, self.wf).timers}

    def data(self):
        return current_data(self.wf)

    # ---- acting
    def submit(self, task, **fields):
        """Complete an open task with its form's sample data plus `fields`, as the server does."""
        runtime.complete(self.bundle, self.wf, task.id, deepcopy(SAMPLES[task.form]) | fields)
        return task

    def complete(self, name, role=None, org=None, pick=None, **fields):
        return self.submit(self.task(name, role, org, pick), **fields)

    def complete_each(self, *names):
        """Complete the named tasks in turn, each with its sample data."""
        for name in names:
            self.complete(name)

    def at(self, iso):
        """Move the clock and fire what is due; the timers that fired, as (bpmn id, kind)."""
        self.clock.set(iso)
        runtime.advance(self.wf)
        fired = project(self.bundle, self.wf).fired
        acknowledge(self.wf, fired)
        return [(f.bpmn_id, f.kind) for f in fired]

    def report(self, payload):
        """A public report arriving on the hotline (a message to this instance)."""
        runtime.deliver_message(self.wf, "public_report", payload)

    def roundtrip(self):
        """What the server does between requests: save, load against the parsed spec, re-attach."""
        spec, subprocess_specs = self.bundle.spec_for(MAIN)
        self.wf = load_state(dump_state(self.wf), spec, subprocess_specs, self.engine)


# ---- the plain path of each stage
def prepare(w):
    assert w.stages() == {"准备"}
    w.complete_each("制定巡查工作方案", "拟定巡查组名单", "审批巡查组名单", "发送巡查告知书")
    assert w.names() == ["签收巡查告知书", "组织集中培训"]
    assert w.task("签收巡查告知书").role == "target"
    assert w.task("签收巡查告知书").organisation == "shanxian"
    w.complete_each("组织集中培训", "签收巡查告知书")


def enter(w):
    assert w.stages() == {"进驻"}
    w.complete("发布巡查公告")


def to_fieldwork(bundle):
    w = Walk(bundle)
    prepare(w)
    enter(w)
    return w


def implement(w, findings=(), clues=(), obstruction=False, **record):
    assert w.stages() == {"实施"}
    w.complete("登记巡查工作记录", findings=list(findings), clues=list(clues), obstruction=obstruction, **record)
    w.complete("审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")


def to_report(bundle):
    w = to_fieldwork(bundle)
    implement(w)
    return w


def report(w):
    assert w.stages() == {"报告"}
    w.complete_each("提交巡查工作报告", "汇总巡查报告", "审阅巡查报告")


def feedback(w):
    assert w.stages() == {"反馈"}
    w.complete_each("印发反馈意见书", "签收反馈意见书", "报送整改情况", "审核整改情况")


def disclose(w):
    assert w.stages() == {"公开"}
    w.complete_each("起草巡查结果", "审定巡查结果")
    assert w.names() == ["公布巡查结果", "通报市委组织部"]
    w.complete_each("通报市委组织部", "公布巡查结果", "签收巡查结果通报", "归档巡查资料")


def to_rectification(bundle):
    w = to_report(bundle)
    report(w)
    w.complete("印发反馈意见书")
    w.complete("签收反馈意见书", feedback_received_date="2025-12-31")
    assert w.names() == ["报送整改情况"]
    assert w.data()["inspection_status"] == "整改中"
    return w
