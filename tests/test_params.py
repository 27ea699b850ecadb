"""The params file: fixed keys, relative paths, clear errors."""

import datetime as dt

import pytest

from kcbx.params import ParamsError, load_params, parse_as_of, school_year_of


def write(tmp_path, text):
    path = tmp_path / "params" / "c.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
county: 示例县
county_code: "452626"
ledgers: ../ledgers/demo
store: ../build/demo.duckdb
term: {start: 2021-09-01, end: 2022-01-14}
"""


def test_paths_are_relative_to_the_params_file(tmp_path):
    params = load_params(write(tmp_path, MINIMAL))
    assert params.ledgers == (tmp_path / "ledgers" / "demo").resolve()
    assert params.store == (tmp_path / "build" / "demo.duckdb").resolve()
    # outputs defaults to ../outputs beside the params folder
    assert params.outputs == (tmp_path / "outputs").resolve()


def test_defaults_follow_the_contract(tmp_path):
    params = load_params(write(tmp_path, MINIMAL))
    assert params.escalation == (1, 3, 5)
    assert params.notice_days == 7
    assert (params.school_age_min, params.school_age_max) == (6, 15)
    assert params.subsidy["boarding"]["junior"] == 1250
    assert params.home_teaching["hours_per_year"] == 60
    assert params.townships == ()


def test_calendar_years_and_synonyms_are_read(tmp_path):
    text = MINIMAL + """
calendar: {2027: {holidays: [2027-10-01], workdays: [2027-09-26]}}
synonyms: {身份证号: [证件号]}
escalation: [1, 2, 3]
"""
    params = load_params(write(tmp_path, text))
    assert params.calendar[2027].holidays == (dt.date(2027, 10, 1),)
    assert params.calendar[2027].workdays == (dt.date(2027, 9, 26),)
    assert params.synonyms == {"身份证号": ("证件号",)}
    assert params.escalation == (1, 2, 3)


@pytest.mark.parametrize(
    "extra, message",
    [
        ("escalation: [5, 3]", "escalation"),
        ("term: {start: 2022-01-14, end: 2021-09-01}", "term.end"),
        ("target_date: 2021-13-01", "target_date"),
    ],
)
def test_bad_values_name_their_key(tmp_path, extra, message):
    with pytest.raises(ParamsError, match=message):
        load_params(write(tmp_path, MINIMAL + extra + "\n"))


def test_missing_required_key_is_named(tmp_path):
    with pytest.raises(ParamsError, match="'store'"):
        load_params(write(tmp_path, MINIMAL.replace("store: ../build/demo.duckdb\n", "")))


def test_school_year_turns_on_the_first_of_september():
    assert school_year_of(dt.date(2021, 8, 31)) == 2020
    assert school_year_of(dt.date(2021, 9, 1)) == 2021
    assert school_year_of(dt.date(2022, 1, 14)) == 2021


def test_as_of_today():
    assert parse_as_of("today") == dt.date.today()
    assert parse_as_of("2021-10-15") == dt.date(2021, 10, 15)
