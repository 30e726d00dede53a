"""Writes a unit of work sends together: on PostgreSQL in one round trip, on SQLite at once.

On PostgreSQL every statement waits for its answer, and a task completion's four writes (the
state, the task closed, the next task opened, the audit row) cost four round trips. Queued here,
they go out together in psycopg's pipeline mode when the unit of work next touches its
connection, or before it commits. SQLite has no round trips to save: its writes run at once.

A write may expect a row count: the optimistic checks (the instance still at the revision that
was read, the task still open). A write that finds another count raises the error it was given,
at the latest before the commit, so the unit of work rolls back as it did when checks ran at
once. Only hand-written statements (store.fast) are queued: SQLAlchemy cannot read results in
pipeline mode.
"""


class Writes:
    def __init__(self, conn):
        self.conn = conn
        self.deferred = conn.dialect.name == "postgresql"
        self.pending = []       # (statement, params or rows, many, expected rowcount, error)

    def execute(self, statement, params, expect=None, error=None):
        """Run `statement` now (SQLite) or queue it (PostgreSQL); `error` if the rows it
        changes are not `expect`."""
        if self.deferred:
            self.pending.append((statement, params, False, expect, error))
        else:
            _check(statement.execute(self.conn, params), expect, error)

    def execute_many(self, statement, rows):
        if not rows:
            return
        if self.deferred:
            self.pending.append((statement, rows, True, None, None))
        else:
            statement.execute_many(self.conn, rows)

    def flush(self):
        """Send what is queued and check the row counts."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        if len(pending) == 1:                  # a pipeline costs more than it saves for one
            _check(*self._send(*pending[0]))
            return
        sent = []
        try:
            with self.conn.connection.driver_connection.pipeline():
                sent = [self._send(*write) for write in pending]
        except Exception as exc:
            # A failed check explains a later failure: after another request completed the
            # task first, inserting the next task's row again violates its key.
            for cursor, expect, error in sent:
                if expect is not None and cursor.pgresult is not None \
                        and cursor.rowcount != expect:
                    raise error from exc
            raise
        for cursor, expect, error in sent:
            _check(cursor, expect, error)

    def _send(self, statement, params, many, expect, error):
        """Execute one queued write; its cursor with the count it expects."""
        if many:
            statement.execute_many(self.conn, params)
            return None, None, None
        return statement.execute(self.conn, params), expect, error


def _check(cursor, expect, error):
    if expect is not None and cursor.rowcount != expect:
        raise error
