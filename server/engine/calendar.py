"""Chinese working-day calendar and legal deadline arithmetic (clauses.md §2, design.md §3).

Pure Python: stdlib plus ``chinese_calendar`` only. A year's schedule comes from, in order:
a loaded ``YearSchedule`` (the State Council notice), chinese_calendar's official data, or
nothing, in which case the year is *provisional* (weekends only) and so is every deadline
that looks at one of its days.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache, lru_cache
from typing import Any, Iterable, NamedTuple

import chinese_calendar

__all__ = [
    "BEIJING", "Deadline", "WorkingCalendar", "YearSchedule", "deadline_instant", "parse_day",
]

BEIJING = timezone(timedelta(hours=8))  # China has no DST: a fixed offset is exact

_ONE_DAY = timedelta(days=1)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\S+")


class Deadline(NamedTuple):
    day: date
    provisional: bool


def parse_day(value: Any) -> date:
    """A calendar day from a date, a datetime (aware ones converted to Beijing) or an ISO string."""
    if isinstance(value, datetime):
        # Naive datetimes are taken to be Beijing wall-clock time already.
        return value.astimezone(BEIJING).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE_RE.fullmatch(text):
                return date.fromisoformat(text)
            if _DATETIME_RE.fullmatch(text):
                return parse_day(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(f"无效日期 / invalid date: {value!r} (expected YYYY-MM-DD or ISO 8601 datetime)")


def deadline_instant(day: date) -> datetime:
    """24:00 Beijing time of ``day``, i.e. 00:00+08:00 of the next day."""
    return datetime.combine(parse_day(day) + _ONE_DAY, time(0), tzinfo=BEIJING)


def last_day(instant: datetime) -> date:
    """The last day a deadline instant closes (the inverse of ``deadline_instant``)."""
    return (instant.astimezone(BEIJING) - timedelta(microseconds=1)).date()


def _schedule_error(message_zh: str, message_en: str) -> ValueError:
    return ValueError(f"年度节假日安排无效：{message_zh} / invalid year schedule: {message_en}")


@dataclass(frozen=True)
class YearSchedule:
    """One year's official rest days and adjusted working days (调休上班)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise _schedule_error("年份须为整数", f"year must be an integer, got {self.year!r}")
        if not 1 <= self.year < 9999:
            raise _schedule_error("年份超出范围", f"year out of range: {self.year}")
        # Coerce so that equality and hashing do not depend on the container passed in.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        for name in ("holidays", "workdays"):
            for d in getattr(self, name):
                if type(d) is not date or d.year != self.year:
                    raise _schedule_error(
                        f"{name} 中的 {d} 不在 {self.year} 年内",
                        f"{name} entry {d!r} is not a date in {self.year}",
                    )
        both = self.holidays & self.workdays
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise _schedule_error(
                f"日期同时列为休息日和工作日：{listed}",
                f"dates listed both as holiday and workday: {listed}",
            )
        if not isinstance(self.source, str):
            raise _schedule_error("来源须为字符串", f"source must be a string, got {self.source!r}")

    @classmethod
    def from_dict(cls, d: Any) -> YearSchedule:
        if not isinstance(d, dict):
            raise _schedule_error("须为 JSON 对象", f"expected a JSON object, got {type(d).__name__}")
        missing = [k for k in ("year", "holidays", "workdays", "source") if k not in d]
        if missing:
            raise _schedule_error(f"缺少字段 {missing}", f"missing keys {missing}")
        return cls(
            year=d["year"],
            holidays=_parse_day_list(d["holidays"], "holidays"),
            workdays=_parse_day_list(d["workdays"], "workdays"),
            source=d["source"],
        )

    def to_dict(self) -> dict[str, Any]:
        def iso(days: frozenset[date]) -> list[str]:
            return [x.isoformat() for x in sorted(days)]

        return {"year": self.year, "holidays": iso(self.holidays), "workdays": iso(self.workdays),
                "source": self.source}


def _parse_day_list(items: Any, name: str) -> frozenset[date]:
    if not isinstance(items, list):
        raise _schedule_error(f"{name} 须为日期列表", f"{name} must be a list of YYYY-MM-DD strings")
    days = set()
    for item in items:
        if not isinstance(item, str) or not _DATE_RE.fullmatch(item):
            raise _schedule_error(f"{name} 中的 {item!r} 不是 YYYY-MM-DD 日期",
                                  f"{name} entry {item!r} is not a YYYY-MM-DD date")
        try:
            days.add(date.fromisoformat(item))
        except ValueError:
            raise _schedule_error(f"{name} 中的 {item!r} 不是有效日期",
                                  f"{name} entry {item!r} is not a valid date") from None
    return frozenset(days)


def _count(n: Any) -> int:
    # Timer expressions may pass anything; a float or "15" would silently misbehave.
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"天数/月数须为整数 / the count must be an integer, got {n!r}")
    return n


def _builtin_years() -> range:
    # chinese_calendar raises NotImplementedError outside the years its holiday table spans.
    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


_BUILTIN_YEARS = _builtin_years()


@cache
def _builtin_schedule(year: int) -> YearSchedule:
    """chinese_calendar's official data for ``year``, read from its tables once per year."""
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year == year),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year == year),
        source=f"chinese_calendar {chinese_calendar.__version__}",
    )


class _Year(NamedTuple):
    days: tuple[date, ...]  # the year's working days, sorted, for bisect
    working: frozenset[date]


@lru_cache(maxsize=256)  # shared by all calendars, so a fresh WorkingCalendar() is cheap
def _build_year(year: int, schedule: YearSchedule | None) -> _Year:
    holidays = schedule.holidays if schedule else frozenset()
    workdays = schedule.workdays if schedule else frozenset()
    days = []
    d, end = date(year, 1, 1), date(year, 12, 31)
    while d <= end:
        if d in workdays or (d.weekday() < 5 and d not in holidays):
            days.append(d)
        d += _ONE_DAY
    return _Year(tuple(days), frozenset(days))


class WorkingCalendar:
    """Immutable working-day calendar; the per-year cache is filled lazily and is thread-safe
    because every entry is a deterministic, immutable value (a race only computes it twice)."""

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        self._schedules: dict[int, YearSchedule] = {s.year: s for s in schedules}
        self._years: dict[int, _Year] = {}

    @property
    def schedules(self) -> tuple[YearSchedule, ...]:
        """The loaded schedules (not the built-in ones), by year."""
        return tuple(self._schedules[y] for y in sorted(self._schedules))

    def with_schedule(self, schedule: YearSchedule) -> WorkingCalendar:
        new = WorkingCalendar([*self._schedules.values(), schedule])
        new._years = {y: v for y, v in self._years.items() if y != schedule.year}
        return new

    def is_official(self, year: int) -> bool:
        return year in self._schedules or year in _BUILTIN_YEARS

    def is_working_day(self, d: date) -> bool:
        d = parse_day(d)
        return d in self._year(d.year).working

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start`` (start not counted); negative n counts back."""
        start, n = parse_day(start), _count(n)
        if n == 0:
            return Deadline(start, False)
        if n > 0:
            day = self._forward(start, n)
            return Deadline(day, self._provisional(start + _ONE_DAY, day))
        day = self._backward(start, -n)
        return Deadline(day, self._provisional(day, start - _ONE_DAY))

    def add_months(self, start: date, n: int) -> Deadline:
        """Same-numbered day n months later (clamped to the month's end); a rest day rolls
        forward to the next working day. For negative n it rolls back instead, so that a
        reminder computed this way is never later than intended."""
        start, n = parse_day(start), _count(n)
        if n == 0:
            return Deadline(start, False)
        index = start.year * 12 + start.month - 1 + n
        year, month = divmod(index, 12)
        due = date(year, month + 1, min(start.day, _stdcal.monthrange(year, month + 1)[1]))
        if self.is_working_day(due):
            return Deadline(due, self._provisional(due, due))
        if n > 0:
            day = self._forward(due, 1)
            return Deadline(day, self._provisional(due, day))
        day = self._backward(due, 1)
        return Deadline(day, self._provisional(day, due))

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days d with a < d <= b; negative when b < a."""
        a, b = parse_day(a), parse_day(b)
        if b < a:
            return -self.working_days_between(b, a)
        total = self._count_through(b) - self._count_through(a)
        for year in range(a.year, b.year):
            total += len(self._year(year).days)
        return total

    # -- internals ---------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            schedule = self._schedules.get(year)
            if schedule is None and year in _BUILTIN_YEARS:
                schedule = _builtin_schedule(year)
            cached = self._years.setdefault(year, _build_year(year, schedule))
        return cached

    def _count_through(self, d: date) -> int:
        """Working days of d's year up to and including d."""
        return bisect_right(self._year(d.year).days, d)

    def _forward(self, start: date, n: int) -> date:
        year = start.year
        days = self._year(year).days
        i = bisect_right(days, start)  # index of the first working day after start
        while i + n > len(days):
            n -= len(days) - i
            year += 1
            days, i = self._year(year).days, 0
        return days[i + n - 1]

    def _backward(self, start: date, n: int) -> date:
        year = start.year
        days = self._year(year).days
        i = bisect_left(days, start)  # working days before start in its year
        while n > i:
            n -= i
            year -= 1
            days = self._year(year).days
            i = len(days)
        return days[i - n]

    def _provisional(self, first: date, last: date) -> bool:
        """Whether any day in [first, last] lies in a provisional year."""
        return any(not self.is_official(y) for y in range(first.year, last.year + 1))
