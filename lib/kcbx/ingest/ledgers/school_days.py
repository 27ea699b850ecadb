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
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kcbx.params import Params


@dataclass(frozen=True)
class TermDays:
    """A term: its first and last day, and its school days (sorted, all inside it)."""

    start: dt.date
    end: dt.date
    days: tuple[dt.date, ...]

    def is_school_day(self, day: dt.date) -> bool:
        position = bisect.bisect_left(self.days, day)
        return position < len(self.days) and self.days[position] == day

    def from_day(self, first: dt.date, count: int) -> tuple[dt.date, ...]:
        """The ``count`` school days from ``first`` on, ``first`` (a school day) included; fewer
        when the term ends before (the caller says why that is wrong)."""
        position = bisect.bisect_left(self.days, first)
        return self.days[position:position + count]


def term_days(params: Params) -> TermDays:
    """The county's term and its school days, from its params file (the measures' own calendar)."""
    from kcbx.calendar import school_days_for  # pandas and the holiday library: only to read files

    days = tuple(day.date() for day in school_days_for(params))
    return TermDays(params.term_start, params.term_end, days)


def term_rules(params: Params) -> dict[str, object]:
    """What decides the term's school days, as text for the reading rules' fingerprint
    (kcbx.ingest.county.reading_rules): an absence row's 天数 is read against them."""
    return {"term": [params.term_start.isoformat(), params.term_end.isoformat()],
            "days_off": sorted(day.isoformat() for day in params.days_off),
            "extra_school_days": sorted(day.isoformat() for day in params.extra_school_days),
            "calendar": {str(year): {"holidays": sorted(day.isoformat() for day in calendar.holidays),
                                     "workdays": sorted(day.isoformat() for day in calendar.workdays)}
                         for year, calendar in sorted(params.calendar.items())}}
