"""How the instance page reads an inspection: diagram progress, timeline, deadlines, data.

Everything here is computed from the loaded workflow, the deployed version's bundle and the audit
log; nothing changes state. Progress is the BPMN ids of completed and ready/waiting elements per
process (the main process and every stage process it has called), for bpmn-js markers
(`canvas.addMarker(id, 'done' | 'active')`).
"""
from sqlalchemy import select

from ..engine.calendar import BEIJING, last_day
from ..engine.progress import called_processes, completed_forms, element_progress, forms_in_order
from ..engine.projection import current_data
from ..store import schema
from . import access
from .errors import NotFound
from .state import get_instance_row, keep, load
from .tasks import hidden_fields
from .versions import bundle_for

STATE_NAMES = {"running": "进行中", "suspended": "已暂停", "completed": "已办结",
               "cancelled": "已撤销"}
CHANNEL_NAMES = {"phone": "电话", "mail": "邮箱", "letter": "来信", "visit": "来访",
                 "online": "网上举报"}
ACTOR_NAMES = {"system": "系统", "public": "群众（身份保密）"}
# Process variables that no form defines but people understand; everything else unnamed is hidden.
PROCESS_FIELDS = {"target_name": "巡查对象", "inspection_status": "巡查状态",
                  "report_channel_open": "受理群众举报", "roster_core_size": "巡查组核心成员人数"}


def diagram_file(uow, actor, instance_id, process_id):
    """(file name, BPMN XML bytes) of a process of the instance's own deployed version."""
    access.require_instance_visible(uow, actor, instance_id)
    row = get_instance_row(uow, instance_id)
    bundle = bundle_for(uow, row.version_id)
    _order, specs = called_processes(bundle, row.process_id)
    spec = specs.get(process_id)
    if spec is None or spec.file not in bundle.files:
        raise NotFound(f"流程图 {process_id} 不存在")
    return spec.file.rsplit("/", 1)[-1], bundle.files[spec.file]


# -- the whole page ----------------------------------------------------------------------------

def instance_view(uow, actor, instance_id, stage=None):
    """Everything the instance page shows, read in one unit of work."""
    access.require_instance_visible(uow, actor, instance_id)
    loaded = load(uow, get_instance_row(uow, instance_id))
    keep(uow, loaded)
    row, bundle, workflow, projection = loaded.row, loaded.bundle, loaded.workflow, loaded.projection
    data = current_data(workflow, bundle)
    order, specs = called_processes(bundle, row.process_id)
    marks = element_progress(workflow)
    diagrams = [{"id": pid, "name": bundle.process_names.get(pid, pid),
                 "done": marks.get(pid, {}).get("done", []),
                 "active": marks.get(pid, {}).get("active", []),
                 "started": pid in marks} for pid in order]
    stages = diagrams[1:]
    if stage not in {d["id"] for d in stages}:
        stage = _default_stage(projection, stages)
    return {
        "id": row.id, "title": row.title, "state": row.state,
        "state_name": STATE_NAMES.get(row.state, row.state), "version": row.version_id,
        "process": row.process_id, "organisation": row.organisation,
        "target_name": data.get("target_name") or row.organisation,
        "status": data.get("inspection_status"), "revision": row.revision,
        "main": diagrams[0], "stages": stages,
        "stage": next((d for d in stages if d["id"] == stage), None),
        "tasks": [_task(t) for t in projection.open_tasks],
        "deadlines": deadlines(uow, projection),
        "timeline": timeline(uow, row.id, bundle),
        "sections": readable_data(bundle, order, specs, actor, data),
    }


def _default_stage(projection, stages):
    """The stage of the first open task; else the last stage started; else the first."""
    for task in projection.open_tasks:
        if any(d["id"] == task.process_id for d in stages):
            return task.process_id
    started = [d["id"] for d in stages if d["started"]]
    return started[-1] if started else (stages[0]["id"] if stages else None)


def _task(task):
    return {"id": task.id, "name": task.name, "stage": task.stage, "role": task.role,
            "organisation": task.organisation, "due_at": task.due_at,
            "last_day": last_day(task.due_at) if task.due_at else None,
            "provisional": task.provisional, "overdue": task.overdue}


# -- deadlines ---------------------------------------------------------------------------------

def deadlines(uow, projection):
    """Pending deadlines of open tasks: last day, working days left after today, 暂定; and the
    open tasks already past their deadline (逾期)."""
    today = uow.now.astimezone(BEIJING).date()
    calendar = uow.calendar
    result = []
    for timer in projection.timers:
        if timer.kind != "deadline" or timer.due_at is None:
            continue
        task = projection.task(timer.attached_task) if timer.attached_task else None
        day = last_day(timer.due_at)
        result.append({"task": task.name if task else timer.bpmn_id, "last_day": day,
                       "due_at": timer.due_at, "provisional": timer.provisional,
                       "working_days_left": max(calendar.working_days_between(today, day), 0),
                       "today": day == today, "overdue": False})
    for task in projection.open_tasks:
        if task.overdue:
            day = last_day(task.due_at) if task.due_at else None
            result.append({"task": task.name, "last_day": day, "due_at": task.due_at,
                           "provisional": task.provisional, "working_days_left": 0,
                           "today": False, "overdue": True})
    return sorted(result, key=lambda d: (not d["overdue"], d["due_at"] is None, d["due_at"]))


# -- timeline ----------------------------------------------------------------------------------

def timeline(uow, instance_id, bundle):
    """The instance's audit events in Chinese, oldest first. A public reporter's identity is never
    in the audit log (only the channel is), and the texts here name staff only."""
    a, u, t = schema.audit_events, schema.users, schema.human_tasks
    rows = uow.conn.execute(
        select(a.c.at, a.c.actor, a.c.action, a.c.task_id, a.c.detail, u.c.display_name,
               t.c.name.label("task_name"))
        .select_from(a.outerjoin(u, u.c.username == a.c.actor)
                     .outerjoin(t, t.c.id == a.c.task_id))
        .where(a.c.instance_id == instance_id).order_by(a.c.id).limit(1000))
    names = _element_names(bundle)
    events = []
    for r in rows:
        detail = r.detail if isinstance(r.detail, dict) else {}
        who = ACTOR_NAMES.get(r.actor) or r.display_name or r.actor
        events.append({"at": r.at.astimezone(BEIJING), "actor": who, "action": r.action,
                       "text": describe(r.action, detail, r.task_name or detail.get("task"), names)})
    return events


def describe(action, detail, task_name=None, names=None):
    """One audit event as a Chinese sentence (without its actor)."""
    task = task_name or "任务"
    timer = (names or {}).get(detail.get("timer"), detail.get("timer") or "")
    texts = {
        "instance.started": lambda: "发起巡查",
        "instance.suspended": lambda: "暂停巡查",
        "instance.resumed": lambda: "恢复巡查",
        "instance.cancelled": lambda: "撤销巡查",
        "instance.public_report": lambda: "收到群众举报（" + CHANNEL_NAMES.get(
            detail.get("channel"), "其他渠道") + "）",
        "instance.data_corrected": lambda: "更正日期：" + "、".join(
            f"{k} {v[0]} → {v[1]}" for k, v in (detail.get("changes") or {}).items()),
        "task.completed": lambda: f"办结任务“{task}”" + ("（逾期办结）" if detail.get("overdue") else ""),
        "task.claimed": lambda: f"认领任务“{task}”",
        "task.unclaimed": lambda: f"退回认领“{task}”",
        "task.reassigned": lambda: f"将任务“{task}”改派给 {detail.get('to')}",
        "task.draft_saved": lambda: f"暂存任务“{task}”的草稿",
        "attachment.uploaded": lambda: f"为任务“{task}”上传附件",
        "document.issued": lambda: f"编发公文 {detail.get('number', '')}".rstrip(),
        "instance.migrated": lambda: f"迁移到流程版本 {detail.get('to_version')}"
                                     f"（原版本 {detail.get('from_version')}）",
        "timer.reminder": lambda: f"定时提醒：“{task}”即将到期",
        "timer.deadline": lambda: f"逾期：“{task}”已过办理期限",
        "timer.fired": lambda: f"定时事件：{timer}" if timer else "定时事件触发",
        "register.inspection_recorded": lambda: "登记巡查台账（" + (
            f"现场巡查 {detail['onsite_start']} 至 {detail['fieldwork_end']}"
            if detail.get("fieldwork_end") else f"进驻 {detail.get('onsite_start', '')}") + "）",
    }
    text = texts.get(action)
    return text() if text else action


def _element_names(bundle):
    names = {}
    for spec, subprocess_specs in bundle.specs.values():
        for process_spec in (spec, *subprocess_specs.values()):
            for task_spec in process_spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) and getattr(task_spec, "bpmn_name", None):
                    names.setdefault(task_spec.bpmn_id, task_spec.bpmn_name)
    return names


# -- collected data ----------------------------------------------------------------------------

def completed_form_data(bundle, workflow, form_name):
    """The fields of `form_name` as its latest completed task submitted them; None if no task
    with that form has been completed."""
    latest = None
    for _task_id, form, task_data in completed_forms(bundle, workflow):
        if form.name == form_name:
            latest = {k: task_data[k] for k in form.schema.get("properties", {}) if k in task_data}
    return latest


def readable_data(bundle, order, specs, actor, data):
    """The data collected so far as sections per form (form title, field titles, Chinese labels),
    in the order the forms come in the procedure. Fields whose form restricts `read_roles` (a
    reporter's identity, say) are left out for everyone else."""
    forms = forms_in_order(bundle, order, specs)
    hidden = hidden_fields(bundle.forms.values(), actor)
    shown, sections = set(), []
    for form in forms:
        properties = form.schema.get("properties", {})
        ui_fields = form.ui.get("fields", {})
        keys = list(form.ui.get("order") or properties)
        keys += [k for k in properties if k not in keys]
        items = []
        for key in keys:
            if key in shown or key in hidden or key not in properties or _empty(data.get(key)):
                continue
            shown.add(key)
            items.append({"key": key, "title": properties[key].get("title", key),
                          **display(properties[key], ui_fields.get(key, {}), data[key])})
        if items:
            sections.append({"title": form.title, "items": items})
    other = []
    for key, title in PROCESS_FIELDS.items():
        if key not in shown and key not in hidden and not _empty(data.get(key)):
            other.append({"key": key, "title": title, **display({}, {}, data[key])})
    if other:
        sections.append({"title": "流程信息", "items": other})
    return sections


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def display(spec, hints, value):
    """{"kind": "text" | "list" | "table" | "files", "value": ...} for the template."""
    if hints.get("widget") == "file" and isinstance(value, list):
        return {"kind": "files", "value": [str(v) for v in value]}
    if isinstance(value, list):
        item_spec = spec.get("items", {}) if isinstance(spec.get("items"), dict) else {}
        if value and all(isinstance(v, dict) for v in value):
            properties = item_spec.get("properties", {})
            present = {k for v in value for k, x in v.items() if not _empty(x)}
            columns = [c for c in properties if c in present] + sorted(present - set(properties))
            return {"kind": "table",
                    "value": {"columns": [properties.get(c, {}).get("title", c) for c in columns],
                              "rows": [[_label(properties.get(c, {}), v.get(c)) for c in columns]
                                       for v in value]}}
        return {"kind": "list", "value": [_label(item_spec, v) for v in value]}
    return {"kind": "text", "value": _label(spec, value)}


def _label(spec, value):
    if value is None:
        return ""
    enum, labels = spec.get("enum"), spec.get("x-enumNames")
    # The form's own words first: a yes/no field may say 现场巡查结束 rather than 是.
    matching = [i for i, e in enumerate(enum or []) if e == value and type(e) is type(value)]
    if labels and matching and matching[0] < len(labels):
        return labels[matching[0]]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(_label(spec.get("items", {}) if isinstance(spec.get("items"), dict)
                                else {}, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_label({}, v)}" for k, v in value.items())
    return str(value)

