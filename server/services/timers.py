"""Firing due timers: deadlines escalate, reminders notify. Each instance in its own transaction."""
from sqlalchemy import and_, func, select

from ..engine import runtime
from ..store import schema
from .context import unit_of_work
from .state import load, save


def earliest_due_at(uow):
    i = schema.instances
    return uow.conn.execute(select(func.min(i.c.next_due_at))
                            .where(i.c.state == "running")).scalar()


def claim_due_instance(uow):
    """The next running instance with a due timer, row-locked so other workers skip it."""
    i = schema.instances
    query = (select(i.c.id, i.c.process_id, i.c.version_id, i.c.state, i.c.revision,
                    i.c.organisation, i.c.title).where(and_(i.c.state == "running", i.c.next_due_at <= uow.now))
             .order_by(i.c.next_due_at).limit(1))
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return uow.conn.execute(query).first()


def fire_instance_timers(uow, row):
    loaded = load(uow, row)
    runtime.advance(loaded.workflow)
    return len(save(uow, loaded).fired)


def fire_due_timers(services, limit=1000):
    """Fire what is due now, one instance per transaction; returns how many timers fired."""
    fired = 0
    for _ in range(limit):
        with unit_of_work(services) as uow:
            row = claim_due_instance(uow)
            if row is None:
                break
            fired += fire_instance_timers(uow, row)
    return fired


def run_daily_duties(services):
    """Duties due on a date rather than a timer: the two-year coverage warning (R3.1a)."""
    from . import coverage, versions     # coverage starts instances: imported where used
    with unit_of_work(services) as uow:
        bundle = versions.bundle_for(uow, versions.active_version(uow))
        if "coverage_warning" not in bundle.specs or "coverage_counts" not in bundle.decisions:
            return None                       # a procedure without the coverage rule (R3.1a)
        return coverage.issue_warning_if_due(uow)
