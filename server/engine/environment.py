"""The script engine diagrams run with: sandboxed, with our clock and working-day calendar."""
from contextlib import contextmanager
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .calendar import BEIJING, WorkingCalendar, deadline_instant, parse_day
from .sandbox import SandboxedEnvironment


def system_clock():
    return datetime.now(timezone.utc)


class _Seen:
    provisional = False


class XunchaScriptEngine(PythonScriptEngine):
    """Evaluates diagram expressions; also the source of time for our timers (see timers.py)."""

    def __init__(self, calendar: WorkingCalendar, clock=system_clock):
        self.calendar = calendar
        self.clock = clock
        self._seen = None
        super().__init__(environment=SandboxedEnvironment(self._functions()))

    def now(self):
        return self.clock()

    @contextmanager
    def track_provisional(self):
        """Within the block, note whether any calendar answer was provisional."""
        outer, self._seen = self._seen, _Seen()
        try:
            yield self._seen
        finally:
            seen, self._seen = self._seen, outer
            if outer is not None and seen.provisional:
                outer.provisional = True

    def _note(self, deadline):
        if self._seen is not None and deadline.provisional:
            self._seen.provisional = True
        return deadline.day.isoformat()

    def _functions(self):
        calendar = self.calendar

        def add_working_days(day, n):
            return self._note(calendar.add_working_days(parse_day(day), n))

        def add_months(day, n):
            return self._note(calendar.add_months(parse_day(day), n))

        def end_of_day(day):
            return deadline_instant(parse_day(day)).isoformat()

        def today():
            return self.clock().astimezone(BEIJING).date().isoformat()

        def now():
            return self.clock().astimezone(BEIJING).isoformat(timespec="seconds")

        return {"add_working_days": add_working_days, "add_months": add_months,
                "end_of_day": end_of_day, "today": today, "now": now}
