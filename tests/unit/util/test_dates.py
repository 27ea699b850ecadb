"""kcbx.util.dates.parse_date: a date as people write it, or one line saying what is expected."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcbx.util.dates import NotADate, parse_date

OCT_15 = dt.date(2021, 10, 15)


@pytest.mark.parametrize("text", [
    "2021-10-15", "2021/10/15", "2021.10.15", "2021年10月15日", "20211015",
    " 2021-10-15 ",          # pasted with spaces
    "２０２１／１０／１５",      # full-width, as a Chinese input method types it
    "2021年10月15号",         # 号 is said as often as 日
])
def test_the_spellings_of_15_october(text):
    assert parse_date(text) == OCT_15


@pytest.mark.parametrize("text", ["2021-10-5", "2021-10-05", "2021/10/5", "2021.10.5", "2021年10月5日"])
def test_a_day_without_its_leading_zero(text):
    assert parse_date(text) == dt.date(2021, 10, 5)


def test_dates_and_timestamps_are_taken_as_they_are():
    assert parse_date(OCT_15) == OCT_15
    assert parse_date(dt.datetime(2021, 10, 15, 16, 30)) == OCT_15
    assert parse_date(pd.Timestamp("2021-10-15 16:30")) == OCT_15


@pytest.mark.parametrize("text", [
    "15/10/2021",     # day first: ambiguous with month first, so refused
    "2021-10/15",     # two separators
    "2021-02-30",     # no such day
    "2021-13-01",
    "2021101",        # seven digits
    "today",          # a word only as_of knows (kcbx.params.parse_as_of), not a date
    "",
])
def test_anything_else_is_one_line_naming_the_parameter(text):
    with pytest.raises(NotADate) as refused:
        parse_date(text)
    assert str(refused.value) == f"as_of 应为日期，如 2021-10-15（收到 '{text}'）"
    assert refused.value.__cause__ is None and refused.value.__context__ is None  # no library traceback


def test_eight_digits_written_as_a_number():
    assert parse_date(20211015) == OCT_15  # unquoted in YAML, or in a notebook cell


def test_the_message_names_the_parameter_and_shows_a_non_text_value():
    with pytest.raises(NotADate, match=r"^term\.start 应为日期，如 2021-10-15（收到 1\.5）$"):
        parse_date(1.5, name="term.start")
    with pytest.raises(NotADate, match=r"^应为日期，如 2021-10-15（收到 True）$"):
        parse_date(True, name="")  # no name: the caller names the key (the params file)


def test_a_long_value_is_cut_to_keep_the_message_one_line():
    with pytest.raises(NotADate) as refused:
        parse_date("2021-10-15\n" + "x" * 200)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 100


def _spellings(day: dt.date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [f"{y}-{m:02d}-{d:02d}", f"{y}-{m}-{d}", f"{y}/{m:02d}/{d:02d}", f"{y}/{m}/{d}",
            f"{y}.{m:02d}.{d:02d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}日", f"{y}年{m:02d}月{d:02d}日",
            f"{y}{m:02d}{d:02d}"]


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_accepted_spelling_of_a_date_parses_to_that_date(day):
    for text in _spellings(day):
        assert parse_date(text) == day, text
