"""Working-day calendar and deadline arithmetic: clauses.md §2 D1/D2 and design.md §3."""

from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from server.engine.calendar import (
    BEIJING,
    Deadline,
    WorkingCalendar,
    YearSchedule,
    deadline_instant,
    parse_day,
)

D = date.fromisoformat
CAL = WorkingCalendar()

# A plausible 2027 schedule; 2027-01-01 (a Friday) is the New Year holiday.
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"],
    "workdays": ["2027-01-30", "2027-02-06"],
    "source": "国办发明电〔2026〕测试号",
}


# --- D1: report within 15 working days after the inspection ends -----------------------------

@pytest.mark.parametrize("start, expected", [
    ("2025-09-26", "2025-10-23"),  # 9-28 and 10-11 work; 10-01..08 off
    ("2025-01-24", "2025-02-20"),  # Spring Festival 2025
    ("2024-09-27", "2024-10-23"),
    ("2025-04-30", "2025-05-26"),  # Labour Day 2025
    ("2025-09-30", "2025-10-28"),
])
def test_d1_fifteen_working_days(start, expected):
    assert CAL.add_working_days(D(start), 15) == Deadline(D(expected), False)


def test_d1_naive_weekdays_would_be_wrong():
    # An empty loaded 2025 schedule overrides the official one: Mon-Fri only.
    naive = WorkingCalendar([YearSchedule(2025, frozenset(), frozenset(), "none")])
    assert naive.add_working_days(D("2025-09-26"), 15).day == D("2025-10-17")
    assert CAL.add_working_days(D("2025-09-26"), 15).day == D("2025-10-23")


# --- D2: rectification report within 2 months of receipt -----------------------------------

@pytest.mark.parametrize("start, expected", [
    ("2025-01-31", "2025-03-31"),
    ("2024-12-31", "2025-02-28"),  # clamped to the month's last day
    ("2023-12-31", "2024-02-29"),  # leap year
    ("2024-12-30", "2025-02-28"),
    ("2025-08-01", "2025-10-09"),  # 10-01 holiday, rolls past the National Day week
    ("2024-08-03", "2024-10-08"),
    ("2025-12-31", "2026-02-28"),  # adjusted working Saturday: no roll-over
])
def test_d2_two_months(start, expected):
    assert CAL.add_months(D(start), 2) == Deadline(D(expected), False)


def test_2026_02_28_is_an_adjusted_working_saturday():
    day = D("2026-02-28")
    assert day.weekday() == 5
    assert chinese_calendar.is_workday(day)
    assert CAL.is_working_day(day)


@pytest.mark.parametrize("start, n, expected", [
    ("2025-01-31", 1, "2025-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2025-03-31", -1, "2025-02-28"),
    ("2025-10-09", -2, "2025-08-08"),  # 08-09 is a Saturday: a backward period rolls back
    ("2025-10-01", 0, "2025-10-01"),   # zero returns the start unchanged, even a holiday
])
def test_add_months_other_cases(start, n, expected):
    assert CAL.add_months(D(start), n).day == D(expected)


# --- working days -----------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    ("2025-09-28", True),   # Sunday, adjusted working day
    ("2025-10-01", False),
    ("2025-10-04", False),
    ("2025-10-11", True),   # Saturday, adjusted working day
    ("2025-10-13", True),
    ("2027-01-01", True),   # provisional year: weekends only
    ("2027-01-02", False),
    ("2003-12-31", True),   # before chinese_calendar's data: weekends only
])
def test_is_working_day(day, working):
    assert CAL.is_working_day(D(day)) is working


@pytest.mark.parametrize("year", [2004, 2024, 2025, 2026])
def test_matches_chinese_calendar_every_day(year):
    day = date(year, 1, 1)
    while day.year == year:
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("year, official", [
    (2003, False), (2004, True), (2026, True), (2027, False),
])
def test_is_official(year, official):
    assert CAL.is_official(year) is official


@pytest.mark.parametrize("start, n, expected", [
    ("2025-10-23", -15, "2025-09-26"),
    ("2025-10-13", -1, "2025-10-11"),  # back onto a working Saturday
    ("2025-10-09", -1, "2025-09-30"),  # back over the holiday week
    ("2025-01-02", -2, "2024-12-30"),  # back over New Year into the previous year
    ("2025-10-04", 1, "2025-10-09"),   # start may be a rest day
    ("2025-10-01", 0, "2025-10-01"),
    ("2024-12-31", 248, "2025-12-31"),  # 2025 has 248 working days
    ("2024-12-31", 249, "2026-01-04"),  # 2026-01-01..03 off, Sunday 01-04 works
])
def test_add_working_days_other_cases(start, n, expected):
    assert CAL.add_working_days(D(start), n).day == D(expected)


@pytest.mark.parametrize("a, b, expected", [
    ("2025-09-26", "2025-10-23", 15),
    ("2025-10-23", "2025-09-26", -15),
    ("2025-10-23", "2025-10-23", 0),
    ("2025-10-01", "2025-10-08", 0),
    ("2025-09-27", "2025-09-28", 1),   # b counted, a not
    ("2024-12-31", "2025-01-02", 1),   # 01-01 off
    ("2024-12-31", "2025-12-31", 248),
    ("2023-12-31", "2024-12-31", 251),
])
def test_working_days_between(a, b, expected):
    assert CAL.working_days_between(D(a), D(b)) == expected


@pytest.mark.parametrize("start", ["2024-12-20", "2025-09-26", "2025-01-24", "2026-09-30"])
@pytest.mark.parametrize("n", [1, 5, 15, 40, -1, -15])
def test_between_inverts_add(start, n):
    end = CAL.add_working_days(D(start), n).day
    assert CAL.working_days_between(D(start), end) == n
    assert CAL.is_working_day(end)


# --- provisional years -----------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    ("2026-12-20", 15, Deadline(D("2027-01-08"), True)),
    ("2026-12-30", 1, Deadline(D("2026-12-31"), False)),
    ("2026-12-31", 1, Deadline(D("2027-01-01"), True)),   # start itself is not examined
    ("2027-01-01", -1, Deadline(D("2026-12-31"), False)),
    ("2027-01-05", -3, Deadline(D("2026-12-31"), True)),  # counted 01-04 and 01-01
    ("2003-12-30", 1, Deadline(D("2003-12-31"), True)),
    ("2003-12-31", 1, Deadline(D("2004-01-02"), False)),  # 2004-01-01 official holiday
])
def test_provisional_working_days(start, n, expected):
    assert CAL.add_working_days(D(start), n) == expected


def test_loading_2027_moves_a_provisional_deadline():
    loaded = CAL.with_schedule(YearSchedule.from_dict(SCHEDULE_2027))
    assert loaded.is_official(2027) and not CAL.is_official(2027)
    # 2027-01-01 was counted as a working day; now it is a holiday.
    assert loaded.add_working_days(D("2026-12-20"), 15) == Deadline(D("2027-01-11"), False)
    assert CAL.add_working_days(D("2026-12-20"), 15) == Deadline(D("2027-01-08"), True)


def test_provisional_months_roll_over():
    # 2027-01-30 is a Saturday: provisional roll to Monday; the loaded schedule makes it work.
    assert CAL.add_months(D("2026-11-30"), 2) == Deadline(D("2027-02-01"), True)
    loaded = WorkingCalendar([YearSchedule.from_dict(SCHEDULE_2027)])
    assert loaded.add_months(D("2026-11-30"), 2) == Deadline(D("2027-01-30"), False)


def test_months_only_examine_the_due_day():
    # Intermediate months are not examined: start in 2027, due in 2026 is not provisional.
    assert CAL.add_months(D("2027-01-31"), -2) == Deadline(D("2026-11-30"), False)


def test_with_schedule_keeps_the_original_and_replaces_a_year():
    empty_2027 = YearSchedule(2027, frozenset(), frozenset(), "first")
    first = CAL.with_schedule(empty_2027)
    assert first.is_working_day(D("2027-01-01"))
    second = first.with_schedule(YearSchedule.from_dict(SCHEDULE_2027))
    assert not second.is_working_day(D("2027-01-01"))
    assert first.is_working_day(D("2027-01-01"))
    assert [s.source for s in second.schedules] == [SCHEDULE_2027["source"]]
    assert CAL.schedules == ()


@pytest.mark.parametrize("n", [1.5, "15", None, True])
def test_count_must_be_an_integer(n):
    with pytest.raises(ValueError, match="integer"):
        CAL.add_working_days(D("2025-01-01"), n)
    with pytest.raises(ValueError, match="integer"):
        CAL.add_months(D("2025-01-01"), n)


# --- deadline instant and day parsing -------------------------------------------------------

@pytest.mark.parametrize("day, iso", [
    ("2025-10-23", "2025-10-24T00:00:00+08:00"),
    ("2025-12-31", "2026-01-01T00:00:00+08:00"),
    ("2024-02-28", "2024-02-29T00:00:00+08:00"),
])
def test_deadline_instant(day, iso):
    instant = deadline_instant(D(day))
    assert instant.isoformat() == iso
    assert instant.utcoffset() == timedelta(hours=8)


def test_deadline_instant_is_after_the_last_second_of_the_day():
    instant = deadline_instant(D("2025-10-23"))
    assert datetime(2025, 10, 23, 23, 59, 59, tzinfo=BEIJING) < instant
    assert instant == datetime(2025, 10, 23, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    (date(2025, 10, 23), "2025-10-23"),
    (datetime(2025, 10, 23, 23, 30), "2025-10-23"),                       # naive: Beijing
    (datetime(2025, 10, 23, 17, 0, tzinfo=timezone.utc), "2025-10-24"),  # 01:00 Beijing
    ("2025-10-23", "2025-10-23"),
    (" 2025-10-23 ", "2025-10-23"),
    ("2025-10-23T23:30:00+08:00", "2025-10-23"),
    ("2025-10-23T16:30:00+00:00", "2025-10-24"),
    ("2025-10-23T16:30:00Z", "2025-10-24"),
    ("2025-10-23 08:00", "2025-10-23"),
])
def test_parse_day(value, expected):
    assert parse_day(value) == D(expected)
    assert type(parse_day(value)) is date


@pytest.mark.parametrize("value", [
    "", "2025/10/23", "20251023", "2025-13-01", "2025-02-30", "2025-10-23T25:00",
    "yesterday", None, 20251023, 1.0,
])
def test_parse_day_rejects(value):
    with pytest.raises(ValueError, match="invalid date"):
        parse_day(value)


def test_calendar_accepts_strings_and_datetimes():
    aware = datetime(2025, 9, 26, 20, 0, tzinfo=timezone.utc)  # 2025-09-27 04:00 Beijing
    assert CAL.add_working_days("2025-09-26", 15).day == D("2025-10-23")
    assert CAL.add_working_days(aware, 1).day == D("2025-09-28")


# --- YearSchedule ------------------------------------------------------------------------

def test_schedule_round_trip():
    schedule = YearSchedule.from_dict(SCHEDULE_2027)
    assert schedule.year == 2027
    assert D("2027-02-08") in schedule.holidays
    assert D("2027-02-06") in schedule.workdays
    assert schedule.to_dict() == SCHEDULE_2027
    shuffled = dict(SCHEDULE_2027, holidays=list(reversed(SCHEDULE_2027["holidays"])))
    assert YearSchedule.from_dict(shuffled).to_dict()["holidays"] == SCHEDULE_2027["holidays"]


@pytest.mark.parametrize("change, message", [
    ({"year": "2027"}, "year must be an integer"),
    ({"year": True}, "year must be an integer"),
    ({"year": 2028}, "not a date in 2028"),
    ({"holidays": ["2026-12-31"]}, "not a date in 2027"),
    ({"workdays": ["2028-01-01"]}, "not a date in 2027"),
    ({"workdays": ["2027-01-01"]}, "both as holiday and workday: 2027-01-01"),
    ({"holidays": ["2027-02-30"]}, "not a valid date"),
    ({"holidays": ["2027/01/01"]}, "not a YYYY-MM-DD date"),
    ({"holidays": [20270101]}, "not a YYYY-MM-DD date"),
    ({"holidays": "2027-01-01"}, "must be a list"),
    ({"source": None}, "source must be a string"),
])
def test_schedule_from_dict_rejects(change, message):
    with pytest.raises(ValueError, match=message) as info:
        YearSchedule.from_dict(dict(SCHEDULE_2027, **change))
    assert "年度节假日安排无效" in str(info.value)


def test_schedule_from_dict_rejects_missing_keys_and_non_objects():
    incomplete = {k: v for k, v in SCHEDULE_2027.items() if k != "workdays"}
    with pytest.raises(ValueError, match="missing keys \\['workdays'\\]"):
        YearSchedule.from_dict(incomplete)
    with pytest.raises(ValueError, match="expected a JSON object"):
        YearSchedule.from_dict([SCHEDULE_2027])


def test_schedule_is_frozen_and_hashable():
    schedule = YearSchedule(2027, {D("2027-01-01")}, [], "x")
    assert isinstance(schedule.holidays, frozenset) and isinstance(schedule.workdays, frozenset)
    same = YearSchedule(2027, frozenset({D("2027-01-01")}), frozenset(), "x")
    assert schedule == same and hash(schedule) == hash(same)
    with pytest.raises(AttributeError):
        schedule.year = 2028
