"""What scenario steps may do to the procedure, in the regulation's terms, whatever runs it.

Steps talk to a `Driver`: start an inspection of 单县, complete the task named X as someone with
fields given by Chinese titles, read someone's inbox, a task's due date, the inspection's status,
move the clock, register a public report. Refusals come back as `Refusal` (message and field
errors), the way the API answers 403/404/409/422.

A driver for a transport implements the primitives (`_start` … `_executed`): users are
usernames (the demo users of design §9, password `demo`), inspections and tasks the transport's
ids, times aware datetimes, refusals raised as `Refusal`. The in-process driver
(`engine_driver.py`) calls the services; an HTTP driver calls `/api` (design §8):

| primitive                 | returns                                       | HTTP                                    |
|---------------------------|-----------------------------------------------|-----------------------------------------|
| `_start(user, target)`    | instance id                                   | POST /api/instances {"data": {"target"}}|
| `_inbox(user)`            | [task row]                                    | GET /api/tasks                          |
| `_instance(user, id)`     | {"state", "status", "organisation", "data", "tasks": [task row]} | GET /api/instances/{id} |
| `_task(user, task id)`    | {"form": JSON Schema, "data": current data}   | GET /api/tasks/{id}                     |
| `_complete(user, id, data)` | None                                        | POST /api/tasks/{id}/complete {"data"}  |
| `_set_clock(now)`         | None (fires what became due)                  | POST /api/admin/clock {"now"} as admin  |
| `_clock()`                | the clock's instant                           | (no endpoint yet)                       |
| `_deadline(start, n)`     | "YYYY-MM-DD"                                  | GET /api/calendar/deadline?start=&working_days= |
| `_public_report(id, report)` | None                                       | POST /api/instances/{id}/reports        |
| `_correct(user, id, changes)` | None                                      | (no endpoint yet)                       |
| `_notifications(user)`    | [{"kind", "message", "instance_id", "task_name"}] | (no endpoint yet)                   |
| `_executed(id)`           | {process: {"nodes", "flows"}} for coverage, or {} | (no endpoint yet)                   |
| `_processes(user)`        | [{"id", "name", "version", "regulation"?}]    | GET /api/processes                      |
| `_office(name, body)`     | the answer of office_calls.call (registers, annual plan, coverage, leave) | POST /_scenario/office/{name} (scenario server only) |

A task row has "id", "instance_id" (inbox only), "name", "stage", "role", "organisation",
"due_at" (datetime or None), "provisional", "overdue", "clauses" and, where known, "form" (the
form's file name; else it is looked up by task name in the local bundle). The plugin obtains
drivers from a session object (`EngineSession(source_root)`; an HTTP one would be
`HttpSession(url, source_root)` in `http_driver.py`) with `.driver()` per scenario and `.close()`.

Everything a step receives is free of transport ids: an inspection is a reference returned by
`start`, tasks are named, so the same scenario reads the same on every driver.
"""
import copy
import json
from datetime import datetime

from ..engine.calendar import BEIJING
from ..services.samples import SAMPLES
from . import fields
from .driver_office import OfficeActions
from .glossary import ORGANISATION_NAMES, ROLE_USERS
from .records import Inspection, Notice, Refusal, task_of

OBSERVER = "office"       # sees every inspection and its open tasks (design §9)
MAX_COMPLETIONS = 80      # a walk to a stage that takes longer is stuck in a loop


class Driver(OfficeActions):
    """The regulation-level API over transport primitives. Subclasses may memoise: every
    change goes through `_action`, every read through `_query`."""

    def __init__(self, bundle):
        self.bundle = bundle            # the procedure under test, for form titles
        self._targets = {}              # inspection reference -> organisation code
        self._ids = {}                  # inspection reference -> transport id

    # ---- what subclasses provide ---------------------------------------------------------
    def _start(self, username, target):
        raise NotImplementedError

    def _inbox(self, username):
        raise NotImplementedError

    def _instance(self, username, instance_id):
        raise NotImplementedError

    def _task(self, username, task_id):
        raise NotImplementedError

    def _complete(self, username, task_id, data):
        raise NotImplementedError

    def _set_clock(self, now):
        raise NotImplementedError

    def _clock(self):
        raise NotImplementedError

    def _deadline(self, start, working_days):
        raise NotImplementedError

    def _public_report(self, instance_id, report):
        raise NotImplementedError

    def _correct(self, username, instance_id, changes):
        raise NotImplementedError

    def _notifications(self, username):
        raise NotImplementedError

    def _executed(self, instance_id):
        return {}

    def _processes(self, username):
        raise NotImplementedError

    def _office(self, name, body):
        raise NotImplementedError

    def _id(self, ref):
        return self._ids[ref]

    def _remember(self, ref, instance_id):
        self._ids[ref] = instance_id

    # ---- memoisation hooks (identity here) -------------------------------------------------
    def _action(self, name, *args):
        return getattr(self, f"_do_{name}")(*args)

    def _query(self, name, *args):
        return getattr(self, f"_read_{name}")(*args)

    def checkpoint(self):
        """A good moment to remember the state (after a given step); nothing by default."""

    def close(self):
        pass

    # ---- people ------------------------------------------------------------------------------
    def user(self, who, ref=None):
        """The username acting as `who` (a glossary.Who) in inspection `ref`."""
        return who.user(self._targets.get(ref))

    def organisation(self, ref):
        return self._targets[ref]

    # ---- changes ---------------------------------------------------------------------------
    def start(self, who, target):
        """Start an inspection of `target` (organisation code); its reference."""
        ref = f"{ORGANISATION_NAMES.get(target, target)}#{len(self._targets) + 1}"
        self._targets[ref] = target
        try:
            return self._action("start", self.user(who), target, ref)
        except Refusal:
            del self._targets[ref]
            raise

    def _do_start(self, username, target, ref):
        self._remember(ref, self._start(username, target))
        return ref

    def complete(self, who, ref, task_name, values=None, omit=(), inputs=None):
        """Complete the open task `task_name` as `who`, with `values` by field title (a list of
        row dicts for a table field); the rest as a person would leave it (see fields.submission).
        Raises Refusal when the procedure refuses."""
        given = dict((inputs or {}).get(task_name, {}))
        given.update(values or {})
        return self._action("complete", self.user(who, ref), ref, task_name,
                            _plain(given), sorted(omit))

    def _do_complete(self, username, ref, task_name, given, omit):
        task_id, task = self._find_task(username, ref, task_name)
        try:
            opened = self._task(username, task_id)
        except Refusal:
            # Not this person's to open: submit what was given; the procedure answers.
            self._complete(username, task_id, given)
            return None
        schema, current = opened["form"], opened["data"]
        today = self._clock().astimezone(BEIJING).date().isoformat()
        values = fields.by_name(schema, given, today)
        sample = SAMPLES.get(task.form or self.form_file(task.name), {})
        data = fields.submission(schema, values, current, sample,
                                 omit=[fields.resolve(schema, key) for key in omit], today=today)
        try:
            self._complete(username, task_id, data)
        except Refusal as refusal:
            refusal.form = schema
            raise
        return None

    def _find_task(self, username, ref, task_name):
        """The task's id: from the person's inbox, else as the observer sees it (someone trying
        a task that is not theirs)."""
        instance_id = self._id(ref)
        mine = [row for row in self._inbox(username)
                if row["instance_id"] == instance_id and row["name"] == task_name]
        if mine:
            return mine[0]["id"], task_of(mine[0])
        seen = [row for row in self._instance(OBSERVER, instance_id)["tasks"]
                if row["name"] == task_name]
        if not seen:
            open_names = [row["name"] for row in self._instance(OBSERVER, instance_id)["tasks"]]
            raise AssertionError(f"没有待办的“{task_name}”任务；当前待办：{'、'.join(open_names) or '无'}")
        return seen[0]["id"], task_of(seen[0])

    def advance(self, ref, stage=None, task=None, inputs=None):
        """Complete the open tasks, each as its role's person with sample data and `inputs`,
        until a task of `stage` (or the task named `task`) is open."""
        def arrived(tasks):
            return any((stage and t.stage == stage) or (task and t.name == task) for t in tasks)

        for _ in range(MAX_COMPLETIONS):
            tasks = self.open_tasks(ref)
            if arrived(tasks):
                return
            if not tasks:
                break
            before = {t.stage for t in tasks}
            nxt = tasks[0]
            username = self._user_for(nxt, ref)
            try:
                self._action("complete", username, ref, nxt.name,
                             _plain((inputs or {}).get(nxt.name, {})), [])
            except Refusal as refusal:
                raise AssertionError(f"办理“{nxt.name}”时被拒绝：{refusal}") from None
            if {t.stage for t in self.open_tasks(ref)} != before:
                self.checkpoint()
        names = "、".join(t.name for t in self.open_tasks(ref)) or "无"
        raise AssertionError(f"未能进行到“{stage or task}”；当前待办：{names}")

    def _user_for(self, task, ref):
        if task.role == "target":
            return f"target_{task.organisation or self._targets[ref]}"
        return ROLE_USERS[task.role]

    def set_time(self, when):
        return self._action("set_time", when.isoformat())

    def _do_set_time(self, iso):
        self._set_clock(datetime.fromisoformat(iso))

    def public_report(self, ref, report):
        return self._action("public_report", ref, _plain(report))

    def _do_public_report(self, ref, report):
        self._public_report(self._id(ref), report)

    def correct(self, who, ref, title, value):
        """Correct a date a deadline counts from, given by its field title."""
        name, spec = self.field_anywhere(title)
        return self._action("correct", self.user(who, ref), ref, name, fields.convert(spec, value))

    def _do_correct(self, username, ref, name, value):
        self._correct(username, self._id(ref), {name: value})

    def regulations(self):
        """{process id: {"name", "adopted", "adopted_by", "version"}} of the deployed processes
        that name the regulation they implement (R0.1, R5)."""
        return self._query("regulations")

    def _read_regulations(self):
        return {p["id"]: p["regulation"] for p in self._processes(OBSERVER) if p.get("regulation")}

    def inbox_instances(self, who, task_name):
        """Whatever the inspection: the instances of the open tasks called `task_name` in `who`'s
        inbox, each as {"organisation", "data"}."""
        return self._query("inbox_instances", self.user(who), task_name)

    def _read_inbox_instances(self, username, task_name):
        found = []
        for row in self._inbox(username):
            if row["name"] == task_name:
                instance = self._instance(OBSERVER, row["instance_id"])
                found.append({"organisation": instance.get("organisation"),
                              "data": instance.get("data") or {}})
        return found

    # ---- reads -----------------------------------------------------------------------------
    def open_tasks(self, ref):
        """Every open task of the inspection (as the office sees it)."""
        return self._query("open_tasks", ref)

    def _read_open_tasks(self, ref):
        return [task_of(row) for row in self._instance(OBSERVER, self._id(ref))["tasks"]]

    def tasks(self, who, ref):
        """The open tasks of inspection `ref` in `who`'s inbox."""
        return self._query("tasks", self.user(who, ref), ref)

    def _read_tasks(self, username, ref):
        instance_id = self._id(ref)
        return [task_of(row) for row in self._inbox(username) if row["instance_id"] == instance_id]

    def inspection(self, who, ref):
        """The inspection as `who` may see it; Refusal when they may not."""
        return self._query("inspection", self.user(who, ref), ref)

    def _read_inspection(self, username, ref):
        found = self._instance(username, self._id(ref))
        return Inspection(found["state"], found.get("status"), found.get("organisation"),
                          found.get("data") or {}, tuple(task_of(t) for t in found["tasks"]))

    def task_data(self, who, ref, task_name):
        """What `who` sees when opening the task (its form's current data); Refusal if refused."""
        return self._query("task_data", self.user(who, ref), ref, task_name)

    def _read_task_data(self, username, ref, task_name):
        task_id, _task = self._find_task(username, ref, task_name)
        return self._task(username, task_id)["data"]

    def notices(self, who, ref):
        return self._query("notices", self.user(who, ref), ref)

    def _read_notices(self, username, ref):
        instance_id = self._id(ref)
        return [Notice(n["kind"], n["message"], n.get("task_name"))
                for n in self._notifications(username) if n["instance_id"] == instance_id]

    def now(self):
        return self._query("now")

    def _read_now(self):
        return self._clock()

    def working_days_after(self, day, n):
        return self._query("working_days_after", day.isoformat(), n)

    def _read_working_days_after(self, iso, n):
        return self._deadline(iso, n)

    def executed(self):
        """Flow nodes and flows run by this scenario's inspections (see coverage.py)."""
        return self._query("executed", sorted(self._targets))

    def _read_executed(self, refs):
        from .coverage import merge
        collected = {}
        for ref in refs:
            merge(collected, self._executed(self._id(ref)))
        return collected

    # ---- forms of the procedure under test ---------------------------------------------------
    def form_of(self, task_name):
        """The JSON Schema of the form of the task called `task_name`."""
        for meta in self.bundle.tasks.values():
            if meta.name == task_name:
                return self.bundle.forms[meta.form].schema
        raise LookupError(f"流程中没有名为“{task_name}”的任务")

    def field(self, task_name, title):
        """A field by title: of the task's form, else of the one form that has it (data a task
        shows may come from earlier forms, e.g. the reporter's name from the triage form)."""
        try:
            return fields.field_spec(self.form_of(task_name), title)
        except fields.FieldNotFound:
            return self.field_anywhere(title)

    def form_file(self, task_name):
        for meta in self.bundle.tasks.values():
            if meta.name == task_name:
                return meta.form
        return ""

    def field_anywhere(self, title):
        """A field by title in any form; its title must name one field."""
        found = {}
        for form in self.bundle.forms.values():
            for name, spec in form.schema.get("properties", {}).items():
                if spec.get("title") == title:
                    found.setdefault(name, spec)
        if len(found) != 1:
            raise LookupError(f"字段“{title}”{'不存在' if not found else '不唯一'}")
        return next(iter(found.items()))


def _plain(value):
    """A JSON-shaped deep copy (keys sorted), so it can be part of a memo key."""
    return json.loads(json.dumps(copy.deepcopy(value), ensure_ascii=False, sort_keys=True,
                                 default=str))
