"""What the public may see and do without logging in.

- Announcements (R3.3.2): an inspection on site whose team leader has published the announcement
  (the `announcement.json` task completed) shows its content, hotline and mailbox; while the
  hotline is open (`report_channel_open`) the public may report online.
- Results (R3.3.6, R4.3): shown only once 公布巡查结果 (`results_publish.json`) has been completed,
  which the procedure allows only after the commission leader approved the results.

Only the fields of those two forms are ever shown; nothing else of an instance leaves here. The
gate is the completed task row (`human_tasks.state = 'completed'`), not the presence of data, so
a draft or a half-filled form can never publish anything.
"""
from sqlalchemy import select

from ..engine.projection import current_data
from ..store import schema
from . import instances
from .context import Actor
from .errors import Conflict, InvalidInput, NotFound
from .state import get_instance_row, keep, load
from .timeline import completed_form_data, display

PUBLIC = Actor("public", frozenset({"public"}))
ANNOUNCEMENT_FORM = "announcement.json"
RESULTS_FORM = "results_publish.json"
ANNOUNCEMENT_REQUIRED = ("announcement_content", "hotline", "mailbox")
NOT_ACCEPTING = "该巡查当前不受理举报"
REPORT_MESSAGE = "public_report"      # the message the hotline's receive task waits for
LIMITS = {"report_subject": 200, "report_content": 5000, "reporter_name": 50,
          "reporter_contact": 100}


def _published(uow, form, states):
    """Instance rows (newest first) with a completed task of `form`, in one of `states`."""
    i, t = schema.instances, schema.human_tasks
    done = select(t.c.instance_id).where(t.c.form == form, t.c.state == "completed")
    return uow.conn.execute(
        select(i.c.id, i.c.title, i.c.state)
        .where(i.c.id.in_(done), i.c.state.in_(states)).order_by(i.c.created_at.desc())).all()


def _data(uow, instance_id, form_name):
    """(bundle, the public form's fields as submitted or None, the instance's data, whether the
    instance waits for a public report message now)."""
    loaded = load(uow, get_instance_row(uow, instance_id))
    keep(uow, loaded)
    workflow = loaded.workflow
    waiting = any(event.name == REPORT_MESSAGE and "Message" in str(event.event_type)
                  for event in workflow.waiting_events())
    return (loaded.bundle, completed_form_data(loaded.bundle, workflow, form_name),
            current_data(workflow), waiting)


def _fields(bundle, form_name, data):
    """The filled fields of one form, with titles and Chinese labels, in the form's order; fields
    a form restricts to some roles (`read_roles`) are never public."""
    form = bundle.forms.get(form_name)
    if form is None:
        return []
    properties = form.schema.get("properties", {})
    hints = form.ui.get("fields", {})
    keys = list(form.ui.get("order") or properties)
    items = []
    for key in keys:
        value = data.get(key)
        if key not in properties or value in (None, "", []) or hints.get(key, {}).get("read_roles") \
                or hints.get(key, {}).get("widget") == "file":
            continue
        items.append({"key": key, "title": properties[key].get("title", key),
                      **display(properties[key], hints.get(key, {}), value)})
    return items


def _announcement(row, bundle, fields, data, waiting):
    if not fields or not all(fields.get(k) for k in ANNOUNCEMENT_REQUIRED):
        return None
    return {"id": row.id, "title": row.title, "target_name": data.get("target_name") or "",
            "hotline": fields["hotline"], "mailbox": fields["mailbox"],
            "entry_date": fields.get("entry_date"),
            "fields": _fields(bundle, ANNOUNCEMENT_FORM, fields),
            # The entry stage opens the channel (report_channel_open); the hotline closes when
            # fieldwork ends, which the flag does not follow: the waiting receive task does.
            "accepting": row.state == "running" and data.get("report_channel_open") is True
            and waiting}


def announcements(uow):
    """Inspections on site whose announcement is published and whose hotline is open."""
    found = []
    for row in _published(uow, ANNOUNCEMENT_FORM, ("running",)):
        announcement = _announcement(row, *_data(uow, row.id, ANNOUNCEMENT_FORM))
        if announcement and announcement["accepting"]:
            found.append(announcement)
    return found


def announcement(uow, instance_id):
    """One published announcement (running or suspended inspections only), or NotFound."""
    for row in _published_one(uow, instance_id, ANNOUNCEMENT_FORM, ("running", "suspended")):
        found = _announcement(row, *_data(uow, row.id, ANNOUNCEMENT_FORM))
        if found:
            return found
    raise NotFound("未找到该巡查公告")


def _published_one(uow, instance_id, form, states):
    i, t = schema.instances, schema.human_tasks
    done = select(t.c.instance_id).where(t.c.form == form, t.c.state == "completed",
                                         t.c.instance_id == str(instance_id))
    return uow.conn.execute(
        select(i.c.id, i.c.title, i.c.state).where(i.c.id.in_(done), i.c.state.in_(states))).all()


def submit_report(uow, instance_id, form):
    """A report from the public page: channel `online`. The reporter's name and contact go only
    into the instance data (where forms restrict who reads them), never into the audit log; an
    anonymous report keeps neither."""
    found = announcement(uow, instance_id)
    report = {key: str(form.get(key) or "").strip() for key in LIMITS}
    anonymous = bool(form.get("report_anonymous"))
    errors = {}
    if not report["report_subject"]:
        errors["report_subject"] = "请填写被举报单位或事项"
    if not report["report_content"]:
        errors["report_content"] = "请填写举报内容"
    for key, limit in LIMITS.items():
        if len(report[key]) > limit:
            errors[key] = f"不能超过 {limit} 个字"
    if errors:
        raise InvalidInput("举报信息有误", errors)
    if not found["accepting"]:
        raise Conflict(NOT_ACCEPTING)
    if anonymous:
        report["reporter_name"] = report["reporter_contact"] = ""
    report.update(report_channel="online", report_anonymous=anonymous)
    try:
        instances.receive_public_report(uow, PUBLIC, instance_id, report)
    except Conflict as exc:
        raise Conflict(NOT_ACCEPTING) from exc


def _result(row, bundle, fields, data, _waiting):
    if not fields:
        return None
    return {"id": row.id, "title": row.title, "target_name": data.get("target_name") or "",
            "published_date": fields.get("published_date") or "",
            "fields": _fields(bundle, RESULTS_FORM, fields)}


def results(uow):
    """Disclosed results, newest publication first."""
    found = []
    for row in _published(uow, RESULTS_FORM, ("running", "completed")):
        result = _result(row, *_data(uow, row.id, RESULTS_FORM))
        if result:
            found.append(result)
    return sorted(found, key=lambda r: r["published_date"], reverse=True)


def result(uow, instance_id):
    for row in _published_one(uow, instance_id, RESULTS_FORM, ("running", "completed")):
        found = _result(row, *_data(uow, row.id, RESULTS_FORM))
        if found:
            return found
    raise NotFound("未找到该巡查结果")
