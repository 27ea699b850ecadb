"""The term's school days, as ingest needs them: an absence row's 天数 counts school days.

An absence row with 天数 n (docs/ledgers.md, absence) stands for n consecutive school days
from its 日期: 日期 itself, then the next n − 1 school days of the term (weekends, holidays and
a county's days off skipped, 调休 make-up days and its extra school days counted), exactly the
school days the measures count (kcbx.calendar.school_days_for). The ingest computes them from
the params file once and hands them to its reader processes (a plain tuple of dates: nothing
here imports pandas).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kcbx.params import Params


@dataclass
class TermDays:
    """A term: its first and last day, and its school days (sorted, all inside it). Made from a
    params file (``term_days``), the days are counted only when a row first asks: the calendar
    imports pandas and the holiday library, which a county without a 天数 column never needs,
    and a reader process counts them for itself rather than the ingest before any file is read."""

    start: dt.date
    end: dt.date
    days: tuple[dt.date, ...] | None = None  # None: counted from ``params`` when first needed
    params: Params | None = field(default=None, repr=False, compare=False)

    def school_days(self) -> tuple[dt.date, ...]:
        if self.days is None:
            from kcbx.calendar import school_days_for  # pandas and the holiday library: here only

            self.days = tuple(day.date() for day in school_days_for(self.params))
        return self.days

    def is_school_day(self, day: dt.date) -> bool:
        days = self.school_days()
        position = bisect.bisect_left(days, day)
        return position < len(days) and days[position] == day

    def from_day(self, first: dt.date, count: int) -> tuple[dt.date, ...]:
        """The ``count`` school days from ``first`` on, ``first`` (a school day) included; fewer
        when the term ends before (the caller says why that is wrong)."""
        days = self.school_days()
        position = bisect.bisect_left(days, first)
        return days[position:position + count]


def term_days(params: Params) -> TermDays:
    """The county's term, its school days the measures' own calendar (counted when first needed)."""
    return TermDays(params.term_start, params.term_end, params=params)


def term_rules(params: Params) -> dict[str, object]:
    """What decides the term's school days, as text for the reading rules' fingerprint
    (kcbx.ingest.county.reading_rules): an absence row's 天数 is read against them."""
    return {"term": [params.term_start.isoformat(), params.term_end.isoformat()],
            "days_off": sorted(day.isoformat() for day in params.days_off),
            "extra_school_days": sorted(day.isoformat() for day in params.extra_school_days),
            "calendar": {str(year): {"holidays": sorted(day.isoformat() for day in calendar.holidays),
                                     "workdays": sorted(day.isoformat() for day in calendar.workdays)}
                         for year, calendar in sorted(params.calendar.items())}}
