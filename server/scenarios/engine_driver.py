"""The in-process driver: scenarios run on the services, each on a fresh in-memory SQLite
database copied from a template made once per run (migrated, seeded, the bundle under test
deployed, the demo users created, the fake clock at `CLOCK_START`).

Speed without shared state: scenarios repeat the same beginnings (start an inspection of 单县,
complete the preparation with the same data …). Every change is an *action*; the state after a
sequence of actions is identified by a hash of that sequence, and the outcome of each action is
remembered. A scenario whose actions so far were already run by an earlier scenario skips them and
only builds its database when it needs one: it restores the nearest remembered state (a database
image kept after given steps) and re-runs the few actions since. Reads are remembered per state.
Outcomes carry no database ids (inspections are references, tasks are named), so re-running an
action gives the same outcome; the driver checks that it does. Each scenario still gets its own
database; nothing it changes is seen by another scenario.
"""
import copy
import hashlib
import re
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..engine.bundle import load_bundle
from ..services import calendar as calendar_service
from ..services import access, clock, instances, tasks, users
from ..services.context import Services, unit_of_work
from ..services.demo import demo_users
from ..services.errors import ServiceError
from ..services.setup import init_database
from ..services.state import get_instance_row, keep, load
from ..services.versions import active_version, bundle_for, read_source_tree
from ..engine.roles import effective_roles
from ..store import schema
from ..store.db import make_engine
from . import office_calls
from .coverage import Diagrams, executed
from .driver import Driver
from .records import Refusal, task_of

CLOCK_START = datetime.fromisoformat("2024-01-01T09:00:00+08:00")
PASSWORD_METHOD = "pbkdf2:sha256:1000"     # the demo users' password is irrelevant here
ROOT = "root"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class NonDeterministic(AssertionError):
    """Re-running an action gave another outcome than the first run: a bug in the driver or
    something in the procedure that depends on more than its inputs and the clock."""


def _services(engine):
    return Services(engine, clock_mode="fake", password_method=PASSWORD_METHOD)


def _image(engine):
    """The database's content, kept in memory."""
    copy_ = sqlite3.connect(":memory:", check_same_thread=False)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.backup(copy_)
    finally:
        raw.close()
    return copy_


def _restore(image, engine):
    """Put `image` into the in-memory database of `engine` (replacing what it held). SQLite in
    memory lives in the pool's one connection per thread; scenarios run one at a time, in one
    thread, so one engine serves them all and none pays for building one."""
    raw = engine.raw_connection()
    try:
        image.backup(raw.driver_connection)
    finally:
        raw.close()


class EngineSession:
    """Per run and bundle: the template database and what scenarios have run so far."""

    def __init__(self, source_root):
        self.source_root = Path(source_root)
        files = read_source_tree(self.source_root)
        self.bundle = load_bundle(files)
        self.diagrams = Diagrams(files)
        engine = make_engine("sqlite://")
        services = _services(engine)
        init_database(services, self.source_root, fake_start=CLOCK_START)
        with unit_of_work(services) as uow:
            for username, name, roles, org in demo_users():
                users.create_user(uow, username, "demo", list(roles), org, name)
        self.bundles = services.bundles       # version id -> parsed bundle, shared by scenarios
        self.images = {ROOT: _image(engine)}
        self.engine = engine                  # the scenarios' database, refilled from images
        self.steps = {}         # state -> (previous state, action, args)
        self.outcomes = {}      # state -> outcome of the action that led to it
        self.reads = {}         # (state, read, args) -> outcome
        self.actors = {}
        self.stats = {"actions": 0, "replayed": 0, "skipped": 0, "reads": 0, "images": 1}

    def driver(self):
        return EngineDriver(self)

    def close(self):
        for image in set(self.images.values()):
            image.close()
        self.images.clear()
        self.engine.dispose()


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Refusal as refusal:
        return ("refused", refusal.as_tuple())


def _give(outcome):
    kind, value = outcome
    if kind == "refused":
        code, message, fields, form = value
        raise Refusal(code, message, copy.deepcopy(fields), form)
    return copy.deepcopy(value)


def _refusal(exc):
    return Refusal(exc.code, _UUID.sub("…", exc.message),
                   {k: _UUID.sub("…", str(v)) for k, v in exc.fields.items()})


class EngineDriver(Driver):
    def __init__(self, session):
        super().__init__(session.bundle)
        self.session = session
        self.state = ROOT           # the state this scenario is in
        self._live = None           # (state, services, {ordinal: instance id}) of its database

    # ---- memoisation -------------------------------------------------------------------------
    def _action(self, name, *args):
        session = self.session
        key = _key(name, args)
        following = hashlib.sha1(f"{self.state}\n{key}".encode()).hexdigest()
        if following in session.outcomes:
            session.stats["skipped"] += 1
            self.state = following
            return _give(session.outcomes[following])
        self._materialise()
        outcome = _outcome(getattr(self, f"_do_{name}"), *args)
        session.stats["actions"] += 1
        session.steps[following] = (self.state, name, args)
        session.outcomes[following] = outcome
        if outcome[0] == "refused" and self.state in session.images:
            session.images[following] = session.images[self.state]   # nothing changed
        self.state = following
        self._live = (following, *self._live[1:])
        self.checkpoint()
        return _give(outcome)

    def _query(self, name, *args):
        session = self.session
        key = (self.state, name, _key(name, args))
        if key not in session.reads:
            self._materialise()
            session.reads[key] = _outcome(getattr(self, f"_read_{name}"), *args)
            session.stats["reads"] += 1
        return _give(session.reads[key])

    def checkpoint(self):
        """Keep an image of the current state, if this scenario built it and none is kept.
        (Called after every action run here: an image costs about a millisecond, and a
        scenario starting from it saves re-running actions and reloading workflows.)"""
        if self._live and self._live[0] == self.state and self.state not in self.session.images:
            self.session.images[self.state] = _image(self._live[1].engine)
            self.session.stats["images"] += 1

    def _materialise(self):
        """Make sure a database in `self.state` exists: restore the nearest kept image and
        re-run the actions since."""
        if self._live and self._live[0] == self.state:
            return
        session, path, state = self.session, [], self.state
        live_state = self._live[0] if self._live else None
        while state not in session.images and state != live_state:
            previous, name, args = session.steps[state]
            path.append((state, name, args))
            state = previous
        if state != live_state:
            _restore(session.images[state], session.engine)
            services = _services(session.engine)
            services.bundles = session.bundles
            self._live = (state, services, {})
        services = self._live[1]
        for following, name, args in reversed(path):
            outcome = _outcome(getattr(self, f"_do_{name}"), *args)
            session.stats["replayed"] += 1
            if outcome != session.outcomes[following]:
                raise NonDeterministic(f"{name}{args}: {outcome} != {session.outcomes[following]}")
            self._live = (following, services, self._live[2])

    def close(self):
        self._live = None       # the session's engine is refilled by the next scenario

    # ---- primitives on the services ----------------------------------------------------------
    @property
    def services(self):
        return self._live[1]

    def _actor(self, username):
        actors = self.session.actors
        if username not in actors:
            with unit_of_work(self.services) as uow:
                actors[username] = users.actor_for(uow, username)
        return actors[username]

    def _call(self, username, fn, *args, **kwargs):
        actor = self._actor(username)
        try:
            with unit_of_work(self.services) as uow:
                return fn(uow, actor, *args, **kwargs)
        except ServiceError as exc:
            raise _refusal(exc) from None

    def _remember(self, ref, instance_id):
        pass                        # the n-th inspection of a scenario is looked up (_id)

    def _id(self, ref):
        """The n-th inspection created on this scenario's database (ids differ between runs of
        the same actions; references do not)."""
        ordinal = int(ref.rsplit("#", 1)[1])
        known = self._live[2]
        if ordinal not in known:
            with self.services.engine.connect() as conn:
                ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM instances ORDER BY rowid")]
            known.update(enumerate(ids, start=1))
        return known[ordinal]

    def _find_task(self, username, ref, task_name):
        """As the base class decides it (the person's own task, else any such open task), read
        from the task table instead of the whole inbox."""
        instance_id, actor, t = self._id(ref), self._actor(username), schema.human_tasks
        with unit_of_work(self.services) as uow:
            rows = uow.conn.execute(
                select(t.c.id, t.c.name, t.c.stage, t.c.role, t.c.organisation, t.c.form,
                       t.c.due_at, t.c.provisional, t.c.overdue, t.c.clauses)
                .where(t.c.instance_id == instance_id, t.c.name == task_name, t.c.state == "open")
                .order_by(t.c.due_at.is_(None), t.c.due_at, t.c.created_at)).all()
            rows = [dict(r._mapping, clauses=(r.clauses or "").split()) for r in rows]
            mine = [r for r in rows if access.may_work_on(uow, actor, r["role"], r["organisation"],
                                                         instance_id)]
        if not rows:
            return super()._find_task(username, ref, task_name)     # its message names what is open
        chosen = (mine or rows)[0]
        return chosen["id"], task_of(chosen)

    def _start(self, username, target):
        return self._call(username, instances.start_instance, data={"target": target})

    def _inbox(self, username):
        return self._call(username, lambda uow, actor: tasks.list_tasks(uow, actor, limit=1000)[1])

    def _instance(self, username, instance_id):
        return self._call(username, instances.get_instance, instance_id)

    def _task(self, username, task_id):
        return self._call(username, tasks.get_task, task_id)

    def _complete(self, username, task_id, data):
        self._call(username, tasks.complete_task, task_id, data)

    def _set_clock(self, now):
        try:
            clock.set_clock(self.services, self._actor("admin"), now)
        except ServiceError as exc:
            raise _refusal(exc) from None

    def _clock(self):
        with unit_of_work(self.services) as uow:
            return uow.now

    def _deadline(self, start, working_days):
        with unit_of_work(self.services) as uow:
            return calendar_service.compute_deadline(uow, start, working_days=working_days)["due"]

    def _public_report(self, instance_id, report):
        self._call("office", instances.receive_public_report, instance_id, report)

    def _correct(self, username, instance_id, changes):
        self._call(username, instances.correct_dates, instance_id, changes)

    def _notifications(self, username):
        # No service lists notifications yet; read them as an inbox would (role and organisation).
        actor = self._actor(username)
        n, t = schema.notifications, schema.human_tasks
        roles = effective_roles(actor.roles)
        with unit_of_work(self.services) as uow:
            rows = uow.conn.execute(
                select(n.c.kind, n.c.message, n.c.instance_id, n.c.role, n.c.organisation,
                       t.c.name).select_from(n.outerjoin(t, t.c.id == n.c.task_id))
                .order_by(n.c.id)).all()
        return [{"kind": r.kind, "message": r.message, "instance_id": r.instance_id,
                 "task_name": r.name} for r in rows
                if r.role in roles and (r.role != "target" or r.organisation == actor.organisation)]

    def _processes(self, username):
        # As GET /api/processes answers (server/web/api/session.py).
        with unit_of_work(self.services) as uow:
            version = active_version(uow)
            bundle = bundle_for(uow, version)
        found = []
        for pid, name in sorted(bundle.process_names.items()):
            entry = {"id": pid, "name": name, "version": version}
            if bundle.regulation(pid):
                entry["regulation"] = bundle.regulation(pid)
            found.append(entry)
        return found

    def _office(self, name, body):
        return self._call(office_calls.ACTOR, lambda uow, actor: office_calls.call(name, uow, actor, body))

    def _executed(self, instance_id):
        with unit_of_work(self.services) as uow:
            loaded = load(uow, get_instance_row(uow, instance_id))
            keep(uow, loaded)
            return executed(loaded.workflow, self.session.diagrams)


def _key(name, args):
    return f"{name}{args!r}"
