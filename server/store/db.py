"""Database engines: SQLite (WAL, writers serialised) by default, PostgreSQL via psycopg 3."""
import os
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InvalidatePoolError

from .checkpoint import WalCheckpointer

MIGRATIONS = Path(__file__).parent / "migrations"
PING_AFTER_IDLE = 10.0      # seconds a PostgreSQL connection may idle before it is pinged


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return _postgres_engine(url)


def _postgres_engine(url):
    engine = create_engine(url, pool_size=5, max_overflow=5)
    dialect = engine.dialect

    # pool_pre_ping would cost a round trip on every checkout (a tenth of a task completion's).
    # A connection in steady use is known to be alive; one that idled for a while may have been
    # dropped (server restart, failover, a firewall), so only that one is pinged, and a failed
    # ping replaces it and every connection pooled before it (as pre_ping does). A server
    # restarted within the idle window still fails the first request on each stale connection.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE:
            try:
                dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as exc:
                raise InvalidatePoolError(f"ping after idle failed: {exc}") from exc

    return engine


def _sqlite_engine(url):
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy own transactions; WAL lets readers proceed beside the one writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front, so two writers queue instead of one failing
        # halfway with "database is locked" when it upgrades a stale read snapshot.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine


class Connections:
    """Where units of work get their connection and give it back.

    SQLite: a few open Connections are kept between units of work and the most recently used is
    handed out first (its page cache is the warmest). Checking one out of the pool and back in
    costs about 70 µs, more than BEGIN IMMEDIATE and COMMIT themselves. A Connection serves one
    unit of work at a time, from any thread; one that failed or is still in a transaction goes
    back to the pool instead. `engine.dispose()` closes the kept ones (a test copies a database
    file once its last connection has closed and checkpointed the WAL); a forked child drops the
    parent's without touching them. A unit of work that wrote wakes the database file's
    background checkpointer (store.checkpoint). PostgreSQL: the pool as is (its checkout handles
    disconnects).
    """

    def __init__(self, engine: Engine, keep: int = 4):
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self.keep = keep if sqlite else 0
        self._idle = []
        self._pid = os.getpid()
        path = sqlite_file(engine)
        self.checkpointer = WalCheckpointer(path) if path else None
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def take(self):
        if self._idle and self._pid == os.getpid():
            try:
                return self._idle.pop()
            except IndexError:              # another thread took the last one meanwhile
                pass
        return self.engine.connect()

    def give_back(self, conn):
        if self.checkpointer is not None and not (conn.closed or conn.invalidated):
            info, changes = conn.info, conn.connection.driver_connection.total_changes
            if info.get("changes", 0) != changes:       # it wrote since it was last given back
                info["changes"] = changes
                self.checkpointer.committed()
        if (len(self._idle) < self.keep and not conn.invalidated and not conn.in_transaction()
                and self._pid == os.getpid()):
            self._idle.append(conn)
        else:
            conn.close()

    def close(self):
        if self.checkpointer is not None:
            self.checkpointer.stop()
        idle, self._idle = self._idle, []
        if self._pid == os.getpid():        # else the parent process's: not ours to close
            for conn in idle:
                conn.invalidate()           # closes the driver connection now, not on pool GC
                conn.close()
        self._pid = os.getpid()


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a SQLite engine (None: PostgreSQL or an in-memory database)."""
    url = engine.url
    if engine.dialect.name != "sqlite" or url.database in (None, "", ":memory:") \
            or url.query.get("mode") == "memory":
        return None
    return url.database


def unavailable_errors(engine: Engine) -> tuple:
    """What a database that cannot serve right now raises (down, restarting, locked too long).

    The driver's own classes too: the hand-written statements (store.fast) run on the driver
    connection, past SQLAlchemy's wrapping.
    """
    dbapi = engine.dialect.loaded_dbapi
    return (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
            sa_exc.TimeoutError, dbapi.OperationalError, dbapi.InterfaceError)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
