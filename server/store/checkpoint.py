"""SQLite: copy the write-ahead log into the database from a background thread.

In WAL mode SQLite checkpoints from inside a COMMIT once the log holds 1,000 pages: that commit
then writes and fsyncs about 4 MB (≈15–20 ms here, once in ~120 completions, a third of all the
time commits take). A thread of each process runs PASSIVE checkpoints after commits instead, a
batch of a few hundred pages at a time (a checkpoint costs two fsyncs however little it copies,
so the pause between them adapts to the write rate): they copy what is in the log without
blocking readers or writers, so the checkpoint a commit still triggers finds little left. That
one stays in the commit path on purpose: only a checkpoint that catches up between two
transactions lets the next writer start the log again from its beginning, which keeps the file
from growing under steady load.
"""
import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)
MIN_PAUSE, MAX_PAUSE = 0.01, 0.5    # seconds between checkpoints while commits keep coming
BATCH = 200             # pages a checkpoint should copy; the pause adapts to the write rate
MAX_RETRIES = 100       # of a checkpoint that left frames behind, before waiting for a commit
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"       # copies what it can, blocks nobody

# Held by a checkpoint thread while it is inside SQLite, and by a fork while it copies the
# process: a child forked in the middle of a checkpoint would inherit SQLite's mutexes locked
# by a thread it does not have, and hang on its first statement.
_in_sqlite = threading.Lock()


def _after_fork_in_child():
    global _in_sqlite
    _in_sqlite = threading.Lock()


os.register_at_fork(before=lambda: _in_sqlite.acquire(),
                    after_in_parent=lambda: _in_sqlite.release(),
                    after_in_child=_after_fork_in_child)


class WalCheckpointer:
    """Checkpoints one SQLite database file after commits, a batch of pages at a time."""

    def __init__(self, path: str):
        self.uri = f"file:{quote(path)}?mode=rw"        # never creates a missing file
        self._lock = threading.Lock()
        self._thread = self._pid = None
        self._wake = self._stop = None

    @property
    def running(self):
        """Whether this process's thread is alive."""
        thread = self._thread
        return thread is not None and self._pid == os.getpid() and thread.is_alive()

    def committed(self):
        """Called after each commit, from any thread. The thread starts on first use in a
        process, so a forked child runs its own."""
        if self._pid != os.getpid():
            self._start()
        self._wake.set()

    def _start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            self._wake, self._stop = threading.Event(), threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._wake, self._stop),
                                            name="sqlite-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()

    def stop(self):
        """Stop the thread, which closes its connection (on engine.dispose: the last
        connection to close checkpoints and removes the log)."""
        with self._lock:
            thread, ours = self._thread, self._pid == os.getpid()
            self._thread = self._pid = None
            if thread is not None and ours:
                self._stop.set()
                self._wake.set()
        if thread is not None and ours:
            thread.join(timeout=5)

    def _run(self, wake, stop):
        conn, retries, pause, last = None, 0, MIN_PAUSE, 0
        while True:
            wake.wait()
            if stop.is_set():
                break
            wake.clear()
            try:
                with _in_sqlite:
                    conn = conn or sqlite3.connect(self.uri, uri=True, isolation_level=None)
                    busy, frames, copied = conn.execute(CHECKPOINT).fetchone()
            except sqlite3.Error as exc:        # the commit path still checkpoints: no harm
                log.warning("background checkpoint of %s failed: %s", self.uri, exc)
                if conn is not None:
                    conn.close()
                conn, busy, frames, copied = None, 0, 0, 0      # no retry: the next commit will
            # Another process's checkpoint, or a reader of an older snapshot, may have left
            # frames behind: try again shortly, without waiting for the next commit.
            retries = retries + 1 if busy or copied < frames else 0
            if 0 < retries <= MAX_RETRIES:
                wake.set()
            if not busy:                # copied counts from the log's start, which may restart
                pause = _next_pause(pause, copied - last if copied >= last else copied)
                last = copied
            if stop.wait(pause):
                break
        if conn is not None:
            with _in_sqlite:
                conn.close()


def _next_pause(pause, pages):
    """The pause before the next checkpoint: commits gather during it, so that a checkpoint
    copies about BATCH pages (each costs two fsyncs, whatever it copies)."""
    if pages < BATCH:
        return min(pause * 2, MAX_PAUSE)
    return max(pause / 2, MIN_PAUSE)
