"""The fake clock (demos, training, tests): one row in the database shared by every process."""
from datetime import datetime, timezone

from sqlalchemy import insert, select, update

from ..store import schema
from . import access
from .context import unit_of_work
from .errors import Conflict, InvalidInput
from .timers import fire_due_timers, run_daily_duties


def ensure_settings(uow, fake_start=None):
    """Create the shared settings row; a new database's fake clock starts now (or at
    `fake_start`, for a training database or a test that begins on a given day)."""
    if uow.conn.execute(select(schema.settings.c.id)).first() is None:
        uow.conn.execute(insert(schema.settings).values(
            id=1, fake_now=fake_start or datetime.now(timezone.utc), calendar_revision=0))


FIRST_YEAR, LAST_YEAR = 2000, 2100


def set_clock(services, actor, now):
    """Move the fake clock forward and fire what became due before answering."""
    access.require_role(actor, "admin")
    if services.clock_mode != "fake":
        raise Conflict("系统使用真实时钟，不能设置时间（需以 XUNCHA_CLOCK=fake 启动）")
    if now.tzinfo is None:
        raise InvalidInput("时间须带时区", {"now": "请使用带时区的 ISO 8601 时间"})
    if not FIRST_YEAR <= now.year <= LAST_YEAR:
        # The clock only moves forward: a far-off date could never be taken back.
        raise InvalidInput("时间超出范围", {"now": f"须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间"})
    with unit_of_work(services) as uow:
        current = uow.conn.execute(select(schema.settings.c.fake_now)).scalar()
        if current is not None and now < current:
            raise InvalidInput("时钟只能向前拨动", {"now": f"不能早于当前时间 {current.isoformat()}"})
        uow.conn.execute(update(schema.settings).values(fake_now=now))
        uow.audit(actor, "clock.set", previous=current.isoformat() if current else None,
                  now=now.isoformat())
    fired = fire_due_timers(services)
    run_daily_duties(services)
    return fired
