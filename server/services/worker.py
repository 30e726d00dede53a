"""The timer worker: sleep until the earliest due timer, fire what is due, repeat.

It reads only MIN(next_due_at) over an index while waiting, never the instances themselves. Other
processes (a completed task, a moved fake clock) can make something due sooner, so the wait is
capped at `poll_seconds` before the earliest due time is read again.
"""
import logging
import threading
import time
from datetime import datetime, timezone

from ..store.db import unavailable_errors
from .context import unit_of_work
from .mail import start_sender
from .timers import earliest_due_at, fire_due_timers, run_daily_duties

log = logging.getLogger("xuncha.worker")


def seconds_until_due(services, poll_seconds):
    with unit_of_work(services) as uow:
        due = earliest_due_at(uow)
        now = uow.now
    if due is None:
        return poll_seconds
    return max(0.0, min(poll_seconds, (due - now).total_seconds()))


DUTY_SECONDS = 60.0      # how often date-based duties (the coverage warning) are checked


def work_once(services, next_duties):
    """The date-based duties when their time has come, then every due timer.

    Returns when the duties are next due. A failure leaves that unchanged (they run again),
    and a timer whose transaction failed is still due: nothing is lost, nothing fires twice.
    """
    if time.monotonic() >= next_duties:
        run_daily_duties(services)
        next_duties = time.monotonic() + DUTY_SECONDS
    fired = fire_due_timers(services)
    if fired:
        log.debug("fired %d timer(s) at %s", fired, datetime.now(timezone.utc).isoformat())
    return next_duties


def run_worker(services, stop: threading.Event | None = None, poll_seconds=1.0):
    stop = stop or threading.Event()
    log.info("timer worker started")
    sender = start_sender(services, stop)     # its own thread: mail never delays a timer
    unavailable = unavailable_errors(services.engine)
    next_duties = 0.0
    while not stop.is_set():
        try:
            next_duties = work_once(services, next_duties)
            wait = seconds_until_due(services, poll_seconds)
        except unavailable as exc:     # a database restart or failover: wait and try again
            log.warning("database unavailable, trying again in %.1f s: %s", poll_seconds, exc)
            wait = poll_seconds
        stop.wait(wait)
    if sender is not None:
        sender.join(timeout=5)
    log.info("timer worker stopped")
