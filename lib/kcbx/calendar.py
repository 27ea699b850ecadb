"""School days: the days a pupil can be absent from school.

School days lie inside the term; a county's `extra_school_days` win over its
`days_off`, which win over the official calendar (docs/params.md). The official
calendar is Monday–Friday minus Chinese public holidays plus the official
make-up working days (调休); ``chinese_calendar.is_workday`` answers both for
the years it knows (2004–2026 in version 1.11). For any other year the county
transcribes the State Council's notice into its params file
(``calendar: {2027: {holidays: [...], workdays: [...]}}``). Until it does, a
county's term runs on an estimate (``estimated_year_calendar``) and every
report says so (``calendar_coverage``): a term from September 2026 runs into
January 2027, and refusing to run would leave the county with no report at all.

Decisions:
- ``extra_school_days`` and ``days_off`` outside the term are ignored: a school
  day lies inside the term, whatever the list says.
- ``calendar[year]`` is read only for years the library lacks: for the years it
  knows, the library is the official calendar.
- ``school_days`` itself never estimates (it raises ``CalendarError``); only
  ``school_days_for(params)`` does, so that an estimate is always one that
  ``calendar_coverage`` reports.
- The estimate: every statutory holiday (《全国年节及纪念日放假办法》) on its date,
  with the spans the State Council has given since the 2025 revision (春节 除夕
  to 初七, as in chinese-calendar's 2025 and 2026 data; 劳动节 1–5 May; 国庆
  1–7 Oct); a one-day holiday on a weekend or on another holiday is made up on
  the next weekday (the 办法's 补假, as in 2023 元旦, 2025 端午 and 中秋, 2026
  清明). Make-up workdays (调休) cannot be foreseen: none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
import pandas as pd

from kcbx.params import Params, YearCalendar

__all__ = [
    "CalendarCoverage",
    "CalendarError",
    "calendar_coverage",
    "estimated_holidays",
    "estimated_year_calendar",
    "library_knows",
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


def library_knows(year: int) -> bool:
    """Whether chinese-calendar has the State Council's notice for the year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# --- the estimate for a year neither the library nor the params know ---------------------


def _days(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range(count)]


def _lunar_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a day of the lunar year that starts in the given year."""
    # Here, not at the top: only an estimated year needs it, and a kernel that renders a
    # prepared slice imports this module without ever estimating (issue 27).
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> dt.date:
    """The day of the 清明 solar term (4 or 5 April)."""
    from lunar_python import Lunar  # as in _lunar_date

    solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def estimated_holidays(year: int) -> dict[str, list[dt.date]]:
    """The year's holidays by festival, estimated (see the module's decisions), weekends included."""
    new_year_eve = _lunar_date(year, 1, 1) - dt.timedelta(days=1)
    spans = {
        "春节": _days(new_year_eve, 8),                    # 除夕 to 初七
        "劳动节": _days(dt.date(year, 5, 1), 5),
        "国庆节": _days(dt.date(year, 10, 1), 7),
    }
    one_day = {
        "元旦": dt.date(year, 1, 1),
        "清明节": _qingming(year),
        "端午节": _lunar_date(year, 5, 5),
        "中秋节": _lunar_date(year, 8, 15),
    }
    taken = {day for days in spans.values() for day in days}
    holidays = dict(spans)
    for name, day in one_day.items():
        days = [day]
        if day.weekday() >= 5 or day in taken:  # 补假: the next weekday that is no holiday yet
            in_lieu = day + dt.timedelta(days=1)
            while in_lieu.weekday() >= 5 or in_lieu in taken:
                in_lieu += dt.timedelta(days=1)
            days.append(in_lieu)
        taken.update(days)
        holidays[name] = days
    return dict(sorted(holidays.items(), key=lambda item: item[1][0]))


@lru_cache(maxsize=16)
def estimated_year_calendar(year: int) -> YearCalendar:
    """The year's calendar as a county would write it in params, estimated: no 调休 workdays."""
    days = {day for festival in estimated_holidays(year).values() for day in festival}
    return YearCalendar(holidays=tuple(sorted(days)), workdays=())


@dataclass(frozen=True)
class CalendarCoverage:
    """Where a term's calendar comes from: the years that run on an estimate (none: all official)."""

    estimated_years: tuple[int, ...] = ()

    @property
    def estimated(self) -> bool:
        return bool(self.estimated_years)

    @property
    def banner(self) -> str | None:
        """The warning every report carries while a year is estimated; None when none is."""
        if not self.estimated:
            return None
        years = "、".join(str(year) for year in self.estimated_years)
        return f"{years} 年节假日安排为估算，请在参数 calendar 中补充国务院办公厅通知的放假与调休日期"


@lru_cache(maxsize=64)
def _coverage(first_year: int, last_year: int, given_years: frozenset[int]) -> CalendarCoverage:
    return CalendarCoverage(tuple(
        year for year in range(first_year, last_year + 1)
        if year not in given_years and not library_knows(year)))


def calendar_coverage(params: Params) -> CalendarCoverage:
    """Which years of the params term neither chinese-calendar nor params ``calendar`` know.

    Cheap (cached): the county pass and every report header ask it; a runner can ask it
    once before any notebook to say that the run is on an estimate.
    """
    return _coverage(params.term_start.year, params.term_end.year, frozenset(params.calendar))


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
    """The school days of a county's term, from its params file; a year that neither
    chinese-calendar nor params ``calendar`` knows runs on its estimate (``calendar_coverage``)."""
    estimates = {year: estimated_year_calendar(year)
                 for year in calendar_coverage(params).estimated_years}
    return school_days(
        params.term_start,
        params.term_end,
        params.days_off,
        params.extra_school_days,
        {**params.calendar, **estimates},
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
