"""School days: the days a pupil can be absent from school.

Contract: "School days lie inside the term; a county's `extra_school_days` win
over its `days_off`, which win over the official calendar." The official
calendar is Monday–Friday minus Chinese public holidays plus the official
make-up working days (调休); ``chinese_calendar.is_workday`` answers both for
the years it knows (2004–2026 in version 1.11). For any other year the county
transcribes the State Council's notice into its params file
(``calendar: {2027: {holidays: [...], workdays: [...]}}``); without it we
refuse to guess, because treating an unknown holiday as a school day would
turn a whole Golden Week into "absent without reason".

Decisions:
- ``extra_school_days`` and ``days_off`` outside the term are ignored: a school
  day lies inside the term, whatever the list says.
- ``calendar[year]`` is read only for years the library lacks: for the years it
  knows, the library is the official calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache

import chinese_calendar
import pandas as pd

from kcbx.params import Params, YearCalendar

__all__ = [
    "CalendarError",
    "school_days",
    "school_days_for",
    "is_school_day",
    "last_school_day_on_or_before",
]


class CalendarError(ValueError):
    """A school day cannot be decided: the holiday library and the params lack its year."""


def _missing_year_message(year: int) -> str:
    return (
        f"chinese-calendar 不含 {year} 年的节假日安排: 请在 params 文件的 calendar 键中填写 "
        f"{year}: {{holidays: [...], workdays: [...]}} "
        f"(the holiday library does not know {year}: add its holidays and make-up workdays "
        f"under the params key calendar.{year})"
    )


def _is_official_workday(day: dt.date, calendar: Mapping[int, YearCalendar]) -> bool:
    """Weekday not a public holiday, or an official make-up workday (调休)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The library raises for years it has no State Council notice for.
        year_calendar = calendar.get(day.year)
        if year_calendar is None:
            raise CalendarError(_missing_year_message(day.year)) from None
        if day in year_calendar.workdays:
            return True
        return day.weekday() < 5 and day not in year_calendar.holidays


@lru_cache(maxsize=64)
def _school_days_cached(
    term_start: dt.date,
    term_end: dt.date,
    days_off: frozenset[dt.date],
    extra_school_days: frozenset[dt.date],
    calendar: tuple[tuple[int, YearCalendar], ...],
) -> pd.DatetimeIndex:
    year_calendars = dict(calendar)
    days = []
    for day in pd.date_range(term_start, term_end, freq="D").date:
        # Precedence: extra_school_days > days_off > official calendar. The
        # official calendar is only consulted when neither county list decides,
        # so a county can cover an unknown year's day by listing it.
        if day in extra_school_days or (
            day not in days_off and _is_official_workday(day, year_calendars)
        ):
            days.append(day)
    return pd.DatetimeIndex(days, dtype="datetime64[ns]", name="date")


def school_days(
    term_start: dt.date,
    term_end: dt.date,
    days_off: Iterable[dt.date] = (),
    extra_school_days: Iterable[dt.date] = (),
    calendar: Mapping[int, YearCalendar] | None = None,
) -> pd.DatetimeIndex:
    """The term's school days, sorted: official workdays minus days_off plus extra_school_days.

    "School days lie inside the term; a county's extra_school_days win over its
    days_off, which win over the official calendar." Official workdays are
    weekdays that are no public holiday plus the make-up workdays (调休).
    Raises CalendarError, naming the year and the params key to fill in, when a
    term day falls in a year neither chinese_calendar nor ``calendar`` knows.
    """
    return _school_days_cached(
        pd.Timestamp(term_start).date(),
        pd.Timestamp(term_end).date(),
        frozenset(pd.Timestamp(d).date() for d in days_off),
        frozenset(pd.Timestamp(d).date() for d in extra_school_days),
        tuple(sorted((calendar or {}).items())),
    )


def school_days_for(params: Params) -> pd.DatetimeIndex:
    """The school days of a county's term, from its params file."""
    return school_days(
        params.term_start,
        params.term_end,
        params.days_off,
        params.extra_school_days,
        params.calendar,
    )


def is_school_day(day: dt.date | pd.Timestamp, days: pd.DatetimeIndex) -> bool:
    """Whether a day is one of the given school days."""
    return pd.Timestamp(day).normalize() in days


def last_school_day_on_or_before(
    days: pd.DatetimeIndex, as_of: dt.date | pd.Timestamp
) -> pd.Timestamp | None:
    """The last of the (sorted) school days on or before as_of; None before the first one."""
    position = days.searchsorted(pd.Timestamp(as_of).normalize(), side="right")
    return days[position - 1] if position > 0 else None
