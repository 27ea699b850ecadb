"""School days: the official calendar with 调休, county days off and extra days, unknown years."""

import datetime as dt

import pandas as pd
import pytest

from kcbx.calendar import (
    CalendarError,
    is_school_day,
    last_school_day_on_or_before,
    school_days,
    school_days_for,
)
from kcbx.params import YearCalendar, load_params

D = dt.date


def as_dates(days: pd.DatetimeIndex) -> list[dt.date]:
    return [d.date() for d in days]


# Wed 22 Sep – Tue 12 Oct 2021, around National Day: 1–7 Oct are holidays,
# Sun 26 Sep and Sat 9 Oct are official make-up workdays (调休).
NATIONAL_DAY_2021 = [
    D(2021, 9, 22), D(2021, 9, 23), D(2021, 9, 24),          # Wed–Fri; Sat 25 off
    D(2021, 9, 26),                                          # Sunday, 调休 workday
    D(2021, 9, 27), D(2021, 9, 28), D(2021, 9, 29), D(2021, 9, 30),
    D(2021, 10, 8), D(2021, 10, 9),                          # Fri, and Sat (调休)
    D(2021, 10, 11), D(2021, 10, 12),                        # Sun 10 off
]


def test_national_day_2021_holidays_and_make_up_days():
    days = school_days(D(2021, 9, 22), D(2021, 10, 12))
    # 12 days: the 14 weekdays minus the 5 weekdays of 1–7 Oct, plus the two 调休 weekend days.
    assert as_dates(days) == NATIONAL_DAY_2021
    assert days.dtype == "datetime64[ns]"


def test_county_day_off_is_removed():
    # Mon 11 Oct is a county day off: 12 − 1 = 11 school days.
    days = school_days(D(2021, 9, 22), D(2021, 10, 12), days_off=[D(2021, 10, 11)])
    assert len(days) == 11
    assert pd.Timestamp("2021-10-11") not in days


def test_extra_school_day_wins_over_day_off_and_official_calendar():
    # Sun 10 Oct is both a county day off and an extra school day: the extra day wins.
    # Mon 4 Oct (National Day holiday) made a school day by the county: it counts too.
    days = school_days(
        D(2021, 9, 22),
        D(2021, 10, 12),
        days_off=[D(2021, 10, 10)],
        extra_school_days=[D(2021, 10, 10), D(2021, 10, 4)],
    )
    assert len(days) == 14  # 12 + Sun 10 Oct + Mon 4 Oct
    assert pd.Timestamp("2021-10-10") in days
    assert pd.Timestamp("2021-10-04") in days


def test_extra_school_day_outside_the_term_is_ignored():
    # Sat 16 Oct lies after the term end (12 Oct): still 12 school days.
    days = school_days(D(2021, 9, 22), D(2021, 10, 12), extra_school_days=[D(2021, 10, 16)])
    assert as_dates(days) == NATIONAL_DAY_2021


def test_year_unknown_to_the_library_without_calendar_raises_a_clear_error():
    with pytest.raises(CalendarError) as raised:
        school_days(D(2026, 12, 28), D(2027, 1, 8))
    message = str(raised.value)
    assert "2027" in message and "calendar" in message
    assert isinstance(raised.value, ValueError)


def test_year_unknown_to_the_library_with_calendar():
    # A county's transcription of 2027 (made-up for the test): Fri 1 Jan holiday, Sat 2 Jan 调休.
    calendar = {2027: YearCalendar(holidays=(D(2027, 1, 1),), workdays=(D(2027, 1, 2),))}
    days = school_days(D(2026, 12, 28), D(2027, 1, 8), calendar=calendar)
    # Mon 28 – Thu 31 Dec 2026 (4, from the library), Sat 2 Jan, Mon 4 – Fri 8 Jan (5) = 10.
    assert as_dates(days) == [
        D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31),
        D(2027, 1, 2),
        D(2027, 1, 4), D(2027, 1, 5), D(2027, 1, 6), D(2027, 1, 7), D(2027, 1, 8),
    ]


def test_is_school_day_and_last_school_day():
    days = school_days(D(2021, 9, 22), D(2021, 10, 12))
    assert is_school_day(D(2021, 9, 26), days)          # Sunday, 调休
    assert not is_school_day(D(2021, 10, 1), days)      # National Day
    # Sun 10 Oct is no school day: the last one on or before it is Sat 9 Oct (调休).
    assert last_school_day_on_or_before(days, D(2021, 10, 10)) == pd.Timestamp("2021-10-09")
    # Fri 1 – Thu 7 Oct: back to Thu 30 Sep.
    assert last_school_day_on_or_before(days, D(2021, 10, 5)) == pd.Timestamp("2021-09-30")
    assert last_school_day_on_or_before(days, D(2021, 9, 22)) == pd.Timestamp("2021-09-22")
    assert last_school_day_on_or_before(days, D(2021, 9, 21)) is None  # before the term


def test_school_days_for_params(tmp_path):
    params_file = tmp_path / "county.yaml"
    params_file.write_text(
        "county: 测试县\nledgers: ledgers\nstore: build/x.duckdb\n"
        "term: {start: 2021-09-22, end: 2021-10-12}\n"
        "days_off: [2021-10-11]\nextra_school_days: [2021-10-10]\n",
        encoding="utf-8",
    )
    days = school_days_for(load_params(params_file))
    # 12 official days − Mon 11 Oct + Sun 10 Oct = 12, with 10 Oct in and 11 Oct out.
    assert len(days) == 12
    assert pd.Timestamp("2021-10-10") in days and pd.Timestamp("2021-10-11") not in days
