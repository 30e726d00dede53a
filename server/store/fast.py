"""Hand-written SQL for the few statements on the hot path of every request.

SQLAlchemy Core costs about 85 µs to execute a statement on SQLite, the driver about 10 µs, and a
task completion runs eight of them. These run on the DBAPI connection inside the current
SQLAlchemy transaction, so they commit or roll back with everything else. Values are adapted the
way `schema.UtcDateTime` and `JSON` columns store them, so Core can read what these write.
"""
import re
from collections import namedtuple
from datetime import datetime, timezone

import orjson

class Statement:
    """One statement written with `:name` parameters, run on SQLite or PostgreSQL."""

    def __init__(self, sql, columns=None):
        self.sql = " ".join(sql.split())
        self.pg_sql = re.sub(r":(\w+)", r"%(\1)s", self.sql)
        self.row = namedtuple("Row", columns) if columns else None

    def _prepare(self, conn, params):
        if conn.dialect.name == "sqlite":
            return self.sql, {k: v if type(v) in _AS_IS else _to_sqlite(v)
                              for k, v in params.items()}
        return self.pg_sql, {k: v if type(v) in _AS_IS else _to_postgres(v)
                             for k, v in params.items()}

    def execute(self, conn, params):
        """Run it; the DBAPI cursor (for `rowcount`)."""
        sql, values = self._prepare(conn, params)
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(sql, values)
        return cursor

    def execute_many(self, conn, rows):
        if rows:
            sql = self._prepare(conn, rows[0])[0]
            values = [self._prepare(conn, row)[1] for row in rows]
            conn.connection.driver_connection.cursor().executemany(sql, values)

    def first(self, conn, params, datetimes=()):
        """The first row as a named tuple (datetimes in `datetimes` read back as aware UTC)."""
        found = self.execute(conn, params).fetchone()
        if found is None:
            return None
        row = self.row(*found)
        if datetimes:
            row = row._replace(**{name: _read_datetime(getattr(row, name)) for name in datetimes})
        return row


# What both drivers take unchanged (bytes: only SQLite is given them, see state.stored_state).
_AS_IS = frozenset({str, bytes, int, float, bool, type(None)})


def _to_sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


def _to_postgres(value):
    if isinstance(value, (dict, list)):
        from psycopg.types.json import Json
        return Json(value, dumps=lambda v: orjson.dumps(v).decode())
    return value


def _read_datetime(value):
    if value is None or isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value else None
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
