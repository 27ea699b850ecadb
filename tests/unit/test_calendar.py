"""School days: the official calendar with 调休, county days off and extra days, unknown years
(the params calendar, else an estimate that every report and metrics.json announce)."""

import dataclasses
import datetime as dt
import re

import chinese_calendar
import pandas as pd
import pytest

from kcbx.analysis.county import measure_county
from kcbx.calendar import (
    CalendarCoverage,
    CalendarError,
    calendar_coverage,
    estimated_holidays,
    estimated_year_calendar,
    is_school_day,
    last_school_day_on_or_before,
    school_days,
    school_days_for,
)
from kcbx.cli import main as kcbx_main
from kcbx.params import YearCalendar, load_params
from kcbx.report import show
from kcbx.store.tables import load_tables
from support.paths import DEMO_PARAMS  # written and ingested by `make test`

D = dt.date
BANNER_2027 = "2027 年节假日安排为估算，请在参数 calendar 中补充国务院办公厅通知的放假与调休日期"


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


# --- years the holiday library lacks: the estimate ---------------------------------------


def test_2027_estimate_worked_by_hand():
    # chinese-calendar 1.11 stops at 2026. 2027's statutory holidays (全国年节及纪念日放假办法):
    assert estimated_holidays(2027) == {
        "元旦": [D(2027, 1, 1)],                                   # a Friday
        # 初一 (正月初一) of the lunar year 2027 is Sat 6 Feb; 除夕 the day before, Fri 5 Feb;
        # 除夕 to 初七 as the State Council gave it for 2025 and 2026: Fri 5 – Fri 12 Feb.
        "春节": [D(2027, 2, d) for d in range(5, 13)],
        "清明节": [D(2027, 4, 5)],                                 # the 清明 solar term: Mon 5 Apr
        "劳动节": [D(2027, 5, d) for d in range(1, 6)],            # Sat 1 – Wed 5 May
        "端午节": [D(2027, 6, 9)],                                 # 五月初五: Wed 9 Jun
        "中秋节": [D(2027, 9, 15)],                                # 八月十五: Wed 15 Sep
        "国庆节": [D(2027, 10, d) for d in range(1, 8)],           # Fri 1 – Thu 7 Oct
    }
    # No one-day holiday of 2027 falls on a weekend, so none is made up (补假); 调休 unknown.
    assert estimated_year_calendar(2027).workdays == ()


# Each festival's statutory days (the core the notices build on), from the State Council's
# notices: 春节 初一–初三, and from 2025 除夕–初三; 劳动节 1 May, and from 2025 1–2 May;
# 国庆 1–3 Oct; the others one day.
CORE_DAYS = {
    2023: [D(2023, 1, 1), *(D(2023, 1, d) for d in (22, 23, 24)), D(2023, 4, 5), D(2023, 5, 1),
           D(2023, 6, 22), D(2023, 9, 29), *(D(2023, 10, d) for d in (1, 2, 3))],
    2024: [D(2024, 1, 1), *(D(2024, 2, d) for d in (10, 11, 12)), D(2024, 4, 4), D(2024, 5, 1),
           D(2024, 6, 10), D(2024, 9, 17), *(D(2024, 10, d) for d in (1, 2, 3))],
    2025: [D(2025, 1, 1), *(D(2025, 1, d) for d in (28, 29, 30, 31)), D(2025, 4, 4),
           D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 31), D(2025, 10, 6),
           *(D(2025, 10, d) for d in (1, 2, 3))],
    2026: [D(2026, 1, 1), *(D(2026, 2, d) for d in (16, 17, 18, 19)), D(2026, 4, 5),
           D(2026, 5, 1), D(2026, 5, 2), D(2026, 6, 19), D(2026, 9, 25),
           *(D(2026, 10, d) for d in (1, 2, 3))],
}
# A one-day holiday on a weekend or inside 国庆 was made up on the next weekday (补假):
# 2023 元旦 (Sun) on Mon 2 Jan, 2025 端午 (Sat) on Mon 2 Jun, 2025 中秋 (in 国庆) on Wed 8 Oct,
# 2026 清明 (Sun) on Mon 6 Apr.
IN_LIEU_DAYS = [D(2023, 1, 2), D(2025, 6, 2), D(2025, 10, 8), D(2026, 4, 6)]


def weekday_holidays(days) -> set[dt.date]:
    return {day for day in days if day.weekday() < 5}


@pytest.mark.parametrize("year", sorted(CORE_DAYS))
def test_estimate_matches_chinese_calendar_on_every_core_day(year):
    estimate = set(estimated_year_calendar(year).holidays)
    year_days = pd.date_range(D(year, 1, 1), D(year, 12, 31)).date
    official = {day for day in year_days if not chinese_calendar.is_workday(day)}
    for day in CORE_DAYS[year] + [d for d in IN_LIEU_DAYS if d.year == year]:
        assert day in official and day in estimate, day


def test_estimate_differs_from_chinese_calendar_only_in_bridge_days():
    # Weekdays off in one and not the other, 2023–2026. Library only: bridge days the State
    # Council gave between a holiday and a weekend, paid back by 调休. Estimate only: 2023's
    # 劳动节 ran 29 Apr – 3 May, not 1–5 May; 2024 除夕 was not yet a holiday (from 2025).
    differences = {}
    for year in CORE_DAYS:
        estimate = weekday_holidays(estimated_year_calendar(year).holidays)
        year_days = pd.date_range(D(year, 1, 1), D(year, 12, 31)).date
        official = weekday_holidays(d for d in year_days if not chinese_calendar.is_workday(d))
        differences[year] = (sorted(official - estimate), sorted(estimate - official))
    assert differences == {
        2023: ([D(2023, 6, 23)], [D(2023, 5, 4), D(2023, 5, 5)]),
        2024: ([D(2024, 4, 5), D(2024, 9, 16)], [D(2024, 2, 9)]),
        2025: ([], []),
        2026: ([D(2026, 1, 2)], []),
    }


def demo_params_for(term_start: dt.date, term_end: dt.date, calendar=None):
    params = dataclasses.replace(load_params(DEMO_PARAMS), term_start=term_start, term_end=term_end,
                                 days_off=(), extra_school_days=())
    return params if calendar is None else dataclasses.replace(params, calendar=calendar)


AUTUMN_2026 = (D(2026, 9, 1), D(2027, 1, 15))


def test_a_term_into_2027_runs_on_the_estimate_and_2026_still_on_chinese_calendar():
    params = demo_params_for(*AUTUMN_2026)
    assert calendar_coverage(params) == CalendarCoverage(estimated_years=(2027,))
    days = school_days_for(params)
    # 2026 from chinese-calendar: Sun 20 Sep and Sat 10 Oct are its 调休 workdays, 1–7 Oct off.
    assert is_school_day(D(2026, 9, 20), days) and is_school_day(D(2026, 10, 10), days)
    assert not any(is_school_day(D(2026, 10, d), days) for d in range(1, 8))
    # 2027 estimated: Fri 1 Jan 元旦 off; Mon 4 – Fri 15 Jan, ten school days.
    assert as_dates(days[days >= pd.Timestamp("2027-01-01")]) == [
        D(2027, 1, d) for d in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)]


def test_a_params_calendar_year_overrides_the_estimate():
    # The county's transcription (made-up): no holiday on 1 Jan, Sat 9 Jan a make-up workday.
    calendar = {2027: YearCalendar(holidays=(), workdays=(D(2027, 1, 9),))}
    params = demo_params_for(*AUTUMN_2026, calendar=calendar)
    assert not calendar_coverage(params).estimated and calendar_coverage(params).banner is None
    days = school_days_for(params)
    assert is_school_day(D(2027, 1, 1), days) and is_school_day(D(2027, 1, 9), days)


def test_the_banner_names_every_estimated_year():
    assert CalendarCoverage((2027,)).banner == BANNER_2027
    assert CalendarCoverage((2027, 2028)).banner.startswith("2027、2028 年节假日安排为估算")
    assert CalendarCoverage().banner is None and not CalendarCoverage().estimated


@pytest.fixture(scope="module")
def demo_tables():
    return load_tables(load_params(DEMO_PARAMS).store)


def test_every_report_of_an_estimated_term_says_so(demo_tables):
    params = demo_params_for(*AUTUMN_2026)
    county_pass = measure_county(demo_tables, params, D(2026, 10, 15))
    for township in [None, *county_pass.townships()]:
        analysis = county_pass.analysis(township)
        assert analysis.metrics["calendar_estimated"] is True, township
        assert BANNER_2027 in show.header(analysis).body, township


def test_a_term_the_library_knows_has_no_banner(demo_tables):
    params = load_params(DEMO_PARAMS)
    county = measure_county(demo_tables, params, D(2021, 10, 15)).analysis(None)
    assert county.metrics["calendar_estimated"] is False
    assert "估算" not in show.header(county).body


def test_kcbx_calendar_prints_a_block_that_params_read_back(tmp_path, capsys):
    assert kcbx_main(["calendar", "--year", "2027"]) == 0
    block = capsys.readouterr().out
    assert block.startswith("# 2027 年节假日安排为估算")
    assert "国务院办公厅关于2027年部分节假日安排的通知" in block
    # Pasted over the demo's `calendar: {}`, with its relative paths made absolute.
    text = DEMO_PARAMS.read_text(encoding="utf-8").replace("calendar: {}\n", block)
    text = re.sub(r"^(ledgers|store|outputs): \.\./", rf"\1: {DEMO_PARAMS.parents[1]}/", text,
                  flags=re.MULTILINE)
    (tmp_path / "county.yaml").write_text(text, encoding="utf-8")
    pasted = load_params(tmp_path / "county.yaml")
    assert pasted.calendar == {2027: estimated_year_calendar(2027)}
    term = dict(term_start=AUTUMN_2026[0], term_end=AUTUMN_2026[1])
    assert calendar_coverage(dataclasses.replace(pasted, **term)).estimated_years == ()
    assert school_days_for(dataclasses.replace(pasted, **term)).equals(
        school_days_for(demo_params_for(*AUTUMN_2026)))


def test_kcbx_calendar_refuses_a_year_the_library_knows(capsys):
    assert kcbx_main(["calendar", "--year", "2026"]) == 2
    assert "chinese-calendar knows 2026" in capsys.readouterr().err
