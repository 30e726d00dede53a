"""What every service needs: the database, the clock, the calendar, and one transaction."""
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from ..engine.calendar import WorkingCalendar, YearSchedule
from ..engine.environment import XunchaScriptEngine
from ..store import schema
from ..store.db import Connections
from ..store.fast import Statement
from ..store.writes import Writes
from .workflow_cache import WorkflowCache


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with roles and, for a target liaison, an organisation."""
    username: str
    roles: frozenset = frozenset()
    organisation: str | None = None

    def has(self, *roles):
        return bool(self.roles.intersection(roles))


SYSTEM = Actor("system", frozenset({"system"}))


@dataclass
class Services:
    """Process-wide state shared by every unit of work (one per app or CLI run)."""
    engine: object                    # SQLAlchemy engine
    clock_mode: str = "system"        # "system" or "fake"
    password_method: str = "scrypt"   # werkzeug hash method; tests use a cheaper one
    workflow_cache_size: int = 512    # restored workflows kept (config WORKFLOW_CACHE_SIZE)
    bundles: dict = field(default_factory=dict)      # version id -> parsed Bundle
    workflows: object = None                         # WorkflowCache, set in __post_init__
    connections: object = None                       # store.db.Connections, set in __post_init__
    _calendar: tuple = field(default=(None, None))   # (revision, WorkingCalendar)

    def __post_init__(self):
        self.workflows = WorkflowCache(self.workflow_cache_size)
        self.connections = Connections(self.engine)

    def calendar(self, conn, revision):
        cached_revision, calendar = self._calendar
        if calendar is None or cached_revision != revision:
            rows = conn.execute(select(schema.calendar_years.c.schedule)).scalars()
            calendar = WorkingCalendar(YearSchedule.from_dict(row) for row in rows)
            self._calendar = (revision, calendar)
        return calendar


SELECT_SETTINGS = Statement("SELECT fake_now, calendar_revision FROM settings WHERE id = 1",
                            ["fake_now", "calendar_revision"])
INSERT_AUDIT = Statement("""
    INSERT INTO audit_events (at, actor, action, instance_id, task_id, detail)
    VALUES (:at, :actor, :action, :instance_id, :task_id, :detail)""")


class UnitOfWork:
    """One transaction: a connection, the time it runs at, and a script engine for diagrams.

    The time and the calendar come from the settings row (fake clock, calendar revision), read
    when first needed: a read-only request that needs neither skips the statement, and a read
    that joins the row hands it over (`use_settings`), a round trip fewer on PostgreSQL.
    """

    def __init__(self, services, conn):
        self.services = services
        self.writes = Writes(conn)      # writes sent together (one round trip on PostgreSQL)
        self._conn = conn
        self.after_commit = []          # callables run once the transaction has committed

    @property
    def conn(self):
        """The connection, with the queued writes sent first: whatever runs next sees them."""
        if self.writes.pending:
            self.writes.flush()
        return self._conn

    def __getattr__(self, name):        # only for attributes not set yet
        if name in ("now", "calendar", "script_engine"):
            self.use_settings(SELECT_SETTINGS.first(self.conn, {}, datetimes=("fake_now",)))
            return getattr(self, name)
        raise AttributeError(name)

    def use_settings(self, row):
        """Settle the time and calendar from a settings row (None: no row yet), once."""
        if "now" in self.__dict__:
            return
        if self.services.clock_mode == "fake" and row is not None and row.fake_now is not None:
            self.now = row.fake_now
        else:
            self.now = datetime.now(timezone.utc)
        if "calendar" not in self.__dict__:
            self.refresh_calendar((row.calendar_revision if row else None) or 0)

    def refresh_calendar(self, revision):
        self.calendar = self.services.calendar(self.conn, revision)
        self.script_engine = XunchaScriptEngine(self.calendar, clock=lambda: self.now)

    def audit(self, actor, action, instance_id=None, task_id=None, **detail):
        self.writes.execute(INSERT_AUDIT, {
            "at": self.now, "actor": actor.username, "action": action, "instance_id": instance_id,
            "task_id": task_id, "detail": detail})


_current = threading.local()


@contextmanager
def unit_of_work(services):
    """Commit when the block ends normally, roll back on any exception.

    Units of work do not nest: a second one in the same thread would wait for the write lock
    the first holds (on SQLite) until it times out, so it is refused at once instead.
    """
    if getattr(_current, "active", False):
        raise RuntimeError("a unit of work is already open in this thread; finish it first")
    _current.active = True
    try:
        conn = services.connections.take()
        try:
            with conn.begin():
                uow = UnitOfWork(services, conn)
                yield uow
                uow.writes.flush()
        finally:
            services.connections.give_back(conn)
    finally:
        _current.active = False
    for callback in uow.after_commit:
        callback()
