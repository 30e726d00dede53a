"""What the administrator sees of the working-day calendar: the years with a loaded schedule.
(Loading a year is calendar.load_year_schedule, shared with PUT /api/admin/calendar/{year}.)"""
from sqlalchemy import select

from ..store import schema
from . import access

Y = schema.calendar_years


def loaded_years(uow, actor):
    access.require_role(actor, "admin")
    rows = uow.conn.execute(select(Y).order_by(Y.c.year.desc()))
    return [{"year": row.year, "source": row.schedule.get("source", ""),
             "holidays": len(row.schedule.get("holidays", [])),
             "workdays": len(row.schedule.get("workdays", [])),
             "loaded_at": row.loaded_at, "loaded_by": row.loaded_by} for row in rows]
