"""Use cases on whole inspections: start, read, suspend, resume, cancel, correct a date."""
import uuid

from sqlalchemy import func, select

from ..engine import runtime
from ..engine.projection import current_data, project
from ..store import schema
from ..store.fast import Statement
from . import access
from .errors import Conflict, EngineFailure, InvalidInput
from .tasks import hidden_fields
from .state import (EMPTY, SELECT_INSTANCE, cache, get_instance_row, keep, load, save,
                    stored_state, sync_tasks)
from .versions import active_version, bundle_for

MAIN_PROCESS = "safety_inspection"
STATE_ACTIONS = {"suspended": "instance.suspended", "running": "instance.resumed",
                 "cancelled": "instance.cancelled"}
# Processes whose start data the services compute (planning.py, leave.py, coverage.py).
OWN_START = {"annual_plan": "年度巡查计划", "leave_request": "请假申请",
             "coverage_warning": "两年全覆盖预警"}


SELECT_ORGANISATION = Statement(
    "SELECT code, name, kind FROM organisations WHERE code = :value OR name = :value",
    ["code", "name", "kind"])
INSERT_INSTANCE = Statement("""
    INSERT INTO instances (id, process_id, version_id, state, title, organisation, workflow_state,
                           revision, next_due_at, created_at, created_by, updated_at)
    VALUES (:id, :process_id, :version_id, 'running', :title, :organisation,
            CAST(:workflow_state AS TEXT),
            1, :next_due_at, :now, :created_by, :now)""")


def resolve_organisation(uow, value):
    """An organisation given by code or by name (单县 or shanxian) -> its row."""
    row = SELECT_ORGANISATION.first(uow.conn, {"value": str(value)})
    if row is None:
        raise InvalidInput("巡查对象不存在", {"target": f"未知的单位：{value}"})
    return row


def start_instance(uow, actor, process_id=MAIN_PROCESS, data=None):
    access.require_role(actor, "office", "admin")
    if process_id in OWN_START:
        raise InvalidInput(f"{OWN_START[process_id]}须通过其专门功能发起",
                           {"process": f"不能直接发起流程：{process_id}"})
    data = dict(data or {})
    if not data.get("target"):
        raise InvalidInput("缺少巡查对象", {"target": "此项为必填项"})
    org = resolve_organisation(uow, data["target"])
    data.update(target=org.code, target_name=org.name)
    return create_instance(uow, actor, process_id, data, org.code, org.name)


def create_instance(uow, actor, process_id, data, organisation, subject):
    """Start `process_id` of the active version with `data`; the caller has checked who may.

    `organisation` scopes the instance for target liaisons (None: none of them sees it);
    `subject` completes its title (巡查：单县, 年度巡查计划：2026年).
    """
    version = active_version(uow)
    bundle = bundle_for(uow, version)
    if process_id not in bundle.specs:
        raise InvalidInput("流程不存在", {"process": f"未知的流程：{process_id}"})
    try:
        workflow = runtime.start(bundle, process_id, data, uow.script_engine)
    except runtime.EngineError as exc:
        raise EngineFailure(f"流程启动失败：{exc}") from exc
    instance_id = str(uuid.uuid4())
    projection = project(bundle, workflow)
    title = f"{bundle.process_names.get(process_id, process_id)}：{subject}"
    values = {"id": instance_id, "process_id": process_id, "version_id": version, "title": title,
              "organisation": organisation, "workflow_state": stored_state(uow, workflow),
              "next_due_at": projection.next_due_at, "now": uow.now, "created_by": actor.username}
    INSERT_INSTANCE.execute(uow.conn, values)
    row = SELECT_INSTANCE.row(instance_id, process_id, version, "running", 1, organisation, title)
    sync_tasks(uow, row, EMPTY, projection)
    uow.audit(actor, "instance.started", instance_id, process=process_id, version=version,
              data=data)
    uow.after_commit.append(
        lambda: cache(uow, instance_id, 1, workflow, projection, projection.next_due_at))
    return instance_id


def get_instance(uow, actor, instance_id):
    """The instance as the actor may see it: state, version, data, open tasks, pending timers."""
    access.require_instance_visible(uow, actor, instance_id)
    loaded = load(uow, get_instance_row(uow, instance_id))
    keep(uow, loaded)
    row, data = loaded.row, current_data(loaded.workflow, loaded.bundle)
    # Fields a form restricts (a reporter's identity, R4.2.2) are left out for other roles.
    hidden = hidden_fields(loaded.bundle.forms.values(), actor)
    data = {key: value for key, value in data.items() if key not in hidden}
    return {
        "id": row.id, "process": row.process_id, "version": row.version_id, "state": row.state,
        "title": row.title, "organisation": row.organisation, "revision": row.revision,
        "data": data, "status": data.get("inspection_status"),
        "tasks": [t.__dict__ for t in loaded.projection.open_tasks],
        "timers": [t.__dict__ for t in loaded.projection.timers],
    }


def set_state(uow, actor, instance_id, new_state):
    """Suspend, resume or cancel; only the office (or an admin) may."""
    access.require_role(actor, "office", "admin")
    access.require_instance_visible(uow, actor, instance_id)
    row = get_instance_row(uow, instance_id)
    allowed = {"suspended": ("running",), "running": ("suspended",),
               "cancelled": ("running", "suspended")}
    if row.state not in allowed[new_state]:
        raise Conflict(f"巡查当前状态为 {row.state}，不能执行此操作")
    loaded = load(uow, row)
    if new_state == "cancelled":
        loaded.workflow.cancel()
    save(uow, loaded, state=new_state)
    uow.audit(actor, STATE_ACTIONS[new_state], row.id, previous=row.state)


def correct_dates(uow, actor, instance_id, changes):
    """Correct a date a deadline counts from (e.g. the end of fieldwork); deadlines follow."""
    access.require_role(actor, "office")
    access.require_instance_visible(uow, actor, instance_id)
    loaded = load(uow, _running_row(uow, instance_id))
    before = current_data(loaded.workflow)
    unknown = [k for k in changes if k not in before]
    if unknown:
        raise InvalidInput("只能更正已有的日期字段", {k: "该字段尚未填写" for k in unknown})
    old_timers = {t.bpmn_id: t.due_at for t in loaded.projection.timers}
    runtime.correct_data(loaded.workflow, changes)
    projection = save(uow, loaded)
    new_timers = {t.bpmn_id: t.due_at for t in projection.timers}
    uow.audit(actor, "instance.data_corrected", loaded.row.id,
              changes={k: [before.get(k), v] for k, v in changes.items()},
              deadlines={k: [_iso(old_timers.get(k)), _iso(v)] for k, v in new_timers.items()})


def _running_row(uow, instance_id):
    row = get_instance_row(uow, instance_id)
    if row.state != "running":
        raise Conflict(f"巡查当前状态为 {row.state}，不能办理")
    return row


def _iso(value):
    return value.isoformat() if value else None


def list_instances(uow, actor, limit=50, offset=0):
    i = schema.instances
    where = access.instance_filter(actor)
    total = uow.conn.execute(select(func.count()).select_from(i).where(where)).scalar()
    rows = uow.conn.execute(select(i.c.id, i.c.process_id, i.c.version_id, i.c.state, i.c.title,
                                   i.c.organisation, i.c.created_at)
                            .where(where).order_by(i.c.created_at.desc())
                            .limit(limit).offset(offset))
    return total, [dict(r._mapping) for r in rows]



REPORT_CHANNELS = ("phone", "mail", "letter", "visit", "online")


def register_report(uow, actor, instance_id, report):
    """The office registers a report received by phone, letter or visit (the public's own form
    goes through services/public.py)."""
    access.require_role(actor, "office")
    access.require_instance_visible(uow, actor, instance_id)
    receive_public_report(uow, actor, instance_id, report)


def receive_public_report(uow, actor, instance_id, report):
    """A report from the public (hotline, mailbox, letter, the public page) while on site.

    The team leader gets it to triage (R3.3.2); the reporter's identity travels only in the
    instance data, where forms restrict who may read it.
    """
    errors = {}
    if not str(report.get("report_content") or "").strip():
        errors["report_content"] = "请填写举报内容"
    if report.get("report_channel") not in REPORT_CHANNELS:
        errors["report_channel"] = "举报渠道不正确"
    if errors:
        raise InvalidInput("举报信息有误", errors)
    loaded = load(uow, _running_row(uow, instance_id))
    payload = {key: report.get(key) for key in (
        "report_channel", "report_anonymous", "reporter_name", "reporter_contact",
        "report_subject", "report_content")}
    payload["report_received_at"] = uow.now.isoformat()
    try:
        runtime.deliver_message(loaded.workflow, "public_report", payload)
    except runtime.NotWaiting as exc:
        raise Conflict("该巡查当前不受理举报（现场巡查尚未开始或已结束）") from exc
    save(uow, loaded)
    uow.audit(actor, "instance.public_report", loaded.row.id, channel=payload["report_channel"])
