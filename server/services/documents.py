"""Official documents of an inspection: who may read which, whether its data exists, its number.

Who may download (anything else answers NotFound, like any out-of-scope read):
- the office and the commission's leaders (`commission_leader`, `commission_director`): all;
- the team (`team_leader`, `team_deputy`, `team_member`, `expert`) named on the roster: all of
  their inspection's documents;
- the inspected organisation's liaison (`target`): the two addressed to it, the notice once the
  office has sent it (发送巡查告知书 completed) and the feedback letter;
- the public (`public_document`): the announcement while the public page shows it, and the
  bulletin once the results are published (R3.3.2, R3.3.6).
A document whose data does not exist yet (the feedback letter before the team issued its
feedback, say) is a Conflict with a Chinese message.

The number (文号) is issued on the first generation of a kind for an inspection: the next serial
of (kind, year) in the unit of work, audited; generating it again gives the same number. Two
issuers at once: the unique constraints make the later insert fail, which is retried inside a
savepoint (PostgreSQL; SQLite serialises writers anyway).
"""
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from ..documents import KIND_NAMES, KINDS, content
from ..documents.numbering import DEFAULT_PREFIXES, document_number
from ..engine.calendar import BEIJING, last_day
from ..engine.progress import completed_forms
from ..engine.projection import current_data
from ..store import schema
from . import public
from .access import TEAM_ROLES
from .errors import Conflict, NotFound
from .roster import is_member
from .state import get_instance_row, keep, load

D, T = schema.issued_documents, schema.human_tasks
LEADERSHIP = ("office", "commission_leader", "commission_director")
ADDRESSED_TO_TARGET = ("notice", "feedback_letter")
NOT_FOUND = "文件不存在"
NOT_YET = {
    "notice": "巡查工作方案制定、巡查组名单批准后才能生成巡查告知书",
    "announcement": "巡查组发布巡查公告后才能生成巡查公告",
    "feedback_letter": "巡查组印发反馈意见书后才能生成反馈意见书",
    "bulletin": "巡查结果经市安委会领导同志审定后才能生成巡查结果通报",
}
# Forms whose fields (as last submitted) the documents read, by the facts' key.
FORMS = {"plan": "work_plan.json", "notice": "notice_send.json",
         "announcement": "announcement.json", "feedback": "feedback_letter.json",
         "results": "results_draft.json", "published": "results_publish.json",
         "rectification": "rectification_submit.json",
         "roster_approval": "roster_approval.json", "results_approval": "results_approval.json"}
# Repeating groups of the instance's data, labelled with the items of these forms.
GROUPS = {"members": ("team_roster.json", "members"), "findings": ("work_record.json", "findings")}


@dataclass(frozen=True)
class DocumentSettings:
    """From server/config.py: DOCUMENT_PREFIXES, DOCUMENT_AUTHORITY, DOCUMENT_TEAM."""
    prefixes: dict = field(default_factory=lambda: dict(DEFAULT_PREFIXES))
    authority: str = "菏泽市安全生产委员会办公室"
    team: str = "菏泽市安全生产巡查组"

    @classmethod
    def from_config(cls, config):
        return cls(dict(DEFAULT_PREFIXES) | dict(config.get("DOCUMENT_PREFIXES") or {}),
                   config.get("DOCUMENT_AUTHORITY") or cls.authority,
                   config.get("DOCUMENT_TEAM") or cls.team)


def generate(uow, actor, instance_id, kind, settings):
    """The document `kind` of an inspection, for a signed-in user (NotFound when out of scope)."""
    if kind not in KINDS:
        raise NotFound(NOT_FOUND)
    row = get_instance_row(uow, instance_id)
    if not _may_read(uow, actor, row, kind):
        raise NotFound(NOT_FOUND)
    return _build(uow, actor, row, kind, settings, for_target=_only_as_target(actor, row))


def generate_public(uow, instance_id, kind, settings):
    """The announcement or bulletin for the public, while the public pages show it."""
    shown = {"announcement": public.announcement, "bulletin": public.result}
    if kind not in shown:
        raise NotFound(NOT_FOUND)
    shown[kind](uow, instance_id)          # NotFound unless published
    return _build(uow, public.PUBLIC, get_instance_row(uow, instance_id), kind, settings)


def _may_read(uow, actor, row, kind):
    if actor.has(*LEADERSHIP):
        return True
    if actor.has(*TEAM_ROLES) and is_member(uow, row.id, actor.username):
        return True
    return (kind in ADDRESSED_TO_TARGET and actor.has("target")
            and actor.organisation is not None and actor.organisation == row.organisation)


def _only_as_target(actor, row):
    return not actor.has(*LEADERSHIP, *TEAM_ROLES)


def _unsent(kind, forms, for_target):
    """The notice is the target's to read once the office has sent it."""
    return for_target and kind == "notice" and FORMS["notice"] not in forms


def available(uow, actor, instance_id):
    """The documents the instance page offers the actor: kind, name, ready (its data exists),
    number (once issued). Reads only: numbers are issued when a document is generated."""
    row = get_instance_row(uow, instance_id)
    kinds = [kind for kind in KINDS if _may_read(uow, actor, row, kind)]
    if not kinds:
        return []
    loaded = load(uow, row)
    keep(uow, loaded)
    forms = _latest_forms(loaded.bundle, loaded.workflow)
    numbers = dict(uow.conn.execute(select(D.c.kind, D.c.number).where(
        D.c.instance_id == row.id)).all())
    for_target = _only_as_target(actor, row)
    return [{"kind": kind, "name": KIND_NAMES[kind], "ready": _data_ready(kind, forms),
             "number": numbers.get(kind)}
            for kind in kinds if not _unsent(kind, forms, for_target)]


def _build(uow, actor, row, kind, settings, for_target=False):
    loaded = load(uow, row)
    keep(uow, loaded)
    forms = _latest_forms(loaded.bundle, loaded.workflow)
    if _unsent(kind, forms, for_target):
        raise NotFound(NOT_FOUND)
    if not _data_ready(kind, forms):
        raise Conflict(NOT_YET[kind])
    number, issued_at = issue_number(uow, actor, row.id, kind, settings.prefixes)
    facts = _facts(uow, loaded, forms) | {
        "authority": settings.authority, "team": settings.team, "number": number,
        "issued_on": issued_at.astimezone(BEIJING).date()}
    return content.build(kind, facts)


def _approved(fields):
    return bool(fields) and fields.get("decision") == "approve"


def _data_ready(kind, forms):
    return {
        "notice": FORMS["plan"] in forms and _approved(forms.get(FORMS["roster_approval"])),
        "announcement": FORMS["announcement"] in forms,
        "feedback_letter": FORMS["feedback"] in forms,
        "bulletin": _approved(forms.get(FORMS["results_approval"])),
    }[kind]


def _latest_forms(bundle, workflow):
    """form name -> its fields as the latest completed task of that form submitted them."""
    latest = {}
    for _task_id, form, data in completed_forms(bundle, workflow):
        latest[form.name] = {k: data[k] for k in form.schema.get("properties", {}) if k in data}
    return latest


def _facts(uow, loaded, forms):
    bundle, data = loaded.bundle, current_data(loaded.workflow, loaded.bundle)
    facts = {key: labelled(_properties(bundle, name), forms.get(name) or {})
             for key, name in FORMS.items()}
    for key, (form_name, group) in GROUPS.items():
        items = _properties(bundle, form_name).get(group, {}).get("items", {})
        facts[key] = [labelled(items.get("properties", {}), item)
                      for item in data.get(group) or () if isinstance(item, dict)]
    o = schema.organisations
    kind = uow.conn.execute(select(o.c.kind).where(o.c.code == loaded.row.organisation)).scalar()
    return facts | {"target_name": data.get("target_name") or loaded.row.organisation or "",
                    "target_kind": kind, "fieldwork_end": data.get("fieldwork_end"),
                    "rectification_due": _rectification_due(uow, loaded.row.id)}


def _properties(bundle, form_name):
    form = bundle.forms.get(form_name)
    return form.schema.get("properties", {}) if form else {}


def labelled(properties, values):
    """Values with enums replaced by their Chinese labels (x-enumNames), lists item by item."""
    return {key: _label(properties.get(key, {}), value) for key, value in values.items()}


def _label(spec, value):
    if isinstance(value, list):
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        return [_label(items, v) for v in value]
    if isinstance(value, dict):
        return labelled(spec.get("properties", {}), value)
    enum, names = spec.get("enum"), spec.get("x-enumNames")
    if enum and names and value in enum:
        return names[enum.index(value)]
    return value


def _rectification_due(uow, instance_id):
    """The last day of the first rectification report (R3.3.5b), once its task exists."""
    due_at = uow.conn.execute(
        select(T.c.due_at).where(T.c.instance_id == instance_id,
                                 T.c.form == FORMS["rectification"], T.c.due_at.is_not(None))
        .order_by(T.c.created_at).limit(1)).scalar()
    return last_day(due_at) if due_at else None


def issue_number(uow, actor, instance_id, kind, prefixes, attempts=5):
    """(number, issued_at) of the inspection's document `kind`, issuing it the first time."""
    for _ in range(attempts):
        found = uow.conn.execute(select(D.c.number, D.c.issued_at).where(
            D.c.instance_id == instance_id, D.c.kind == kind)).first()
        if found:
            return found.number, found.issued_at
        year = uow.now.astimezone(BEIJING).year
        serial = (uow.conn.execute(select(func.max(D.c.serial)).where(
            D.c.kind == kind, D.c.year == year)).scalar() or 0) + 1
        number = document_number(prefixes[kind], year, serial)
        try:
            with uow.conn.begin_nested():
                uow.conn.execute(insert(D).values(
                    instance_id=instance_id, kind=kind, year=year, serial=serial, number=number,
                    issued_at=uow.now, issued_by=actor.username))
        except IntegrityError:
            continue           # another issuer took this serial (or this document) meanwhile
        uow.audit(actor, "document.issued", instance_id, kind=kind, number=number)
        return number, uow.now
    raise Conflict("文号分配冲突，请稍后重试")
