"""SQLite's write-ahead log is copied into the database by a background thread after writes
(store.checkpoint), so that commits seldom pay for it, and the log still stays bounded."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from server.services.context import Services, unit_of_work
from server.store.db import make_engine
from tests.subprocesses import wait_until

ROOT = Path(__file__).resolve().parents[2]
PAGE = 4096
BLOB = b"x" * (40 * PAGE)           # a row that fills about forty pages


@pytest.fixture
def services(tmp_path):
    services = Services(make_engine(f"sqlite:///{tmp_path / 'wal.sqlite'}"))
    with services.engine.begin() as conn:
        conn.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"))
    services.engine.dispose()       # the table is in the database file, the log is gone
    yield services
    services.engine.dispose()


def write(services, body=BLOB):
    with unit_of_work(services) as uow:
        uow.conn.execute(text("INSERT INTO blobs (body) VALUES (:body)"), {"body": body})


def database_bytes(services):
    return os.path.getsize(services.engine.url.database)


def log_bytes(services):
    path = services.engine.url.database + "-wal"
    return os.path.getsize(path) if os.path.exists(path) else 0


def checkpointing(services):
    return services.connections.checkpointer.running


def test_a_write_reaches_the_database_file_without_another_commit(services):
    before = database_bytes(services)
    write(services)                 # ~40 pages: far below the 1,000 of SQLite's own checkpoint
    assert log_bytes(services) > len(BLOB)
    wait_until(lambda: database_bytes(services) >= before + len(BLOB), 5,
               "the background checkpoint to copy the row into the database file")


def test_reads_do_not_wake_the_checkpointer(services):
    with unit_of_work(services) as uow:
        uow.conn.execute(text("SELECT count(*) FROM blobs")).scalar()
    assert not checkpointing(services)
    write(services)
    assert checkpointing(services)


def test_the_log_stays_bounded_under_steady_writes(services):
    for _ in range(300):            # ≈12,000 pages written, twelve times SQLite's checkpoint size
        write(services)
    # The checkpoint a commit triggers at 1,000 pages finds the rest already copied, and a
    # later writer starts the log again from its beginning (when the two checkpoints meet, the
    # commit's gets no turn and the log grows by a few more commits first).
    assert log_bytes(services) < 4000 * (PAGE + 24)
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM blobs")).scalar() == 300


def test_dispose_stops_the_thread_and_closes_its_connection(services):
    write(services)
    thread = services.connections.checkpointer._thread
    services.engine.dispose()
    assert not thread.is_alive()
    # The last connection to close checkpoints and removes the log: none is left open.
    assert not os.path.exists(services.engine.url.database + "-wal")


FORK = """
import os, sys, traceback
from tests.integration.test_wal_checkpoint import checkpointing, database_bytes, write
from tests.subprocesses import wait_until
from server.services.context import Services
from server.store.db import make_engine

parent = Services(make_engine(sys.argv[1]))
for _ in range(20):                 # forks land in and out of the parent's checkpoints
    write(parent, b"y" * 4096)
    pid = os.fork()
    if pid == 0:                    # a process of its own on the same file, as a web worker
        code = 1
        try:
            child = Services(make_engine(sys.argv[1]))
            before = database_bytes(child)
            write(child)
            wait_until(lambda: database_bytes(child) >= before + 40 * 4096, 5, "checkpoint")
            code = 0 if checkpointing(child) else 2
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
"""


def test_processes_forked_from_a_checkpointing_one_checkpoint_with_their_own_thread(services):
    # In a fresh interpreter: a fork from pytest would copy the locks of pytest's own threads.
    result = subprocess.run([sys.executable, "-c", FORK, str(services.engine.url)], timeout=120,
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
