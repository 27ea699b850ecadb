"""The params file: fixed keys, relative paths, clear errors naming the file and the key."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kcbx.cli import main
from kcbx.demo import DEFAULT_SEED, SCALES, _params_text
from kcbx.params import (
    DEFAULT_EARLY_WARNING,
    EarlyWarning,
    HomeTeaching,
    Office,
    Params,
    ParamsError,
    RuleWeights,
    SubsidyStandards,
    WarningLevels,
    YearCalendar,
    YuanByLevel,
    load_params,
    parse_as_of,
    school_year_of,
)


def write(tmp_path, text):
    path = tmp_path / "params" / "c.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
county: 示例县
county_code: "452626"
ledgers: ../ledgers/demo
store: ../build/demo.duckdb
term: {start: 2021-09-01, end: 2022-01-14}
"""


def rejected(tmp_path, extra: str) -> str:
    """The ParamsError message for MINIMAL plus `extra` (whose keys replace MINIMAL's: a key
    given twice is itself refused); it always names the file."""
    given = {line.split(":")[0] for line in extra.splitlines() if line and not line[0].isspace()}
    base = "".join(line + "\n" for line in MINIMAL.splitlines() if line.split(":")[0] not in given)
    path = write(tmp_path, base + extra + "\n")
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    message = str(caught.value)
    assert str(path) in message
    return message


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
    assert params.subsidy == SubsidyStandards(boarding=YuanByLevel(primary=1000, junior=1250),
                                              day=YuanByLevel(primary=500, junior=625))
    assert params.home_teaching == HomeTeaching(visits_per_month=2, hours_per_visit=3, hours_per_year=60,
                                                workload_hours_per_visit=4, funding_per_year=6000)
    assert params.townships == ()
    assert params.early_warning == EarlyWarning(
        window=20, absence_share=0.10, unexcused_days=3, overage_years=2, grades=(8, 9),
        weights=RuleWeights(attendance=2, unexcused=3, relapse=3, overage=1, key_group=1, grades=1),
        levels=WarningLevels(high=5, medium=3),
        horizon=60,
    )
    assert params.office == Office()


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


# one test per row of "params as written | today"


def test_a_misspelt_key_is_an_error_that_suggests_the_key(tmp_path):
    # today: ignored, the defaults were used
    message = rejected(tmp_path, "escalaton: [1, 2, 3]")
    assert "'escalaton'" in message and "did you mean escalation?" in message


def test_a_bare_number_is_no_escalation_list(tmp_path):
    # today: a TypeError traceback
    assert "'escalation': must be a list" in rejected(tmp_path, "escalation: 3")


def test_escalation_thresholds_are_whole_numbers(tmp_path):
    # today: silently truncated to 1
    assert "'escalation.0'" in rejected(tmp_path, "escalation: [1.5, 3, 5]")


def test_a_text_is_not_reinterpreted_as_escalation_thresholds(tmp_path):
    # today: read as 1, 3, 5
    message = rejected(tmp_path, 'escalation: "135"')
    assert "'escalation': must be a list" in message and "'135'" in message


def test_a_single_synonym_is_a_one_item_list(tmp_path):
    # today: split into characters, ('证', '件', '号')
    params = load_params(write(tmp_path, MINIMAL + "synonyms: {身份证号: 证件号}\n"))
    assert params.synonyms == {"身份证号": ("证件号",)}


def test_school_age_min_is_not_above_max(tmp_path):
    # today: accepted
    message = rejected(tmp_path, "school_age: {min: 15, max: 6}")
    assert "'school_age.max'" in message and "school_age.min 15" in message


@pytest.mark.parametrize(
    "subsidy, key",
    [
        ("{boarding: {primary: 1000, junior: 1250}}", "'subsidy.day': the key is required"),
        ("{boarding: {primary: 1000, junior: 1250, senior: 1500}, day: {primary: 500, junior: 625}}",
         "'subsidy.boarding.senior': unknown key"),
        ("{boarding: {primary: -1000, junior: 1250}, day: {primary: 500, junior: 625}}",
         "'subsidy.boarding.primary'"),
        ("{boarding: {primary: 1000, junior: 1250}, day: {primary: 五百, junior: 625}}",
         "'subsidy.day.primary'"),
        ("1000", "'subsidy': must be a mapping"),
    ],
)
def test_a_malformed_subsidy_stops_at_load(tmp_path, subsidy, key):
    # today: caught only inside every notebook
    assert key in rejected(tmp_path, f"subsidy: {subsidy}")


# the rest of the contract's keys


@pytest.mark.parametrize(
    "extra, key",
    [
        ("escalation: [5, 3]", "'escalation': [5, 3] is not strictly increasing"),
        ("escalation: [0, 3]", "'escalation.0'"),
        ("escalation: []", "'escalation'"),
        ("term: {start: 2022-01-14, end: 2021-09-01}", "'term.end'"),
        ("term: {start: 2021-09-01, end: 2021-09-01}", "'term.end'"),
        ("term: {start: 2021-09-01}", "'term.end': the key is required"),
        ("target_date: 2021-13-01", "'target_date': 应为日期，如 2021-10-15（收到 '2021-13-01'）"),
        ("days_off: [2021-11-12, 2021-11-31]", "'days_off.1'"),  # 20211113 is a date (kcbx.util.dates)
        ("calendar: {2027: [2027-10-01]}", "'calendar.2027': must be a mapping"),
        ("calendar: {2027: {holiday: [2027-10-01]}}", "'calendar.2027.holiday': unknown key, did you mean holidays?"),
        ("home_teaching: {visits_per_month: 2}", "'home_teaching.hours_per_visit': the key is required"),
        ("home_teaching: {visits_per_month: 2, hours_per_visit: 3, hours_per_year: 60,"
         " workload_hours_per_visit: 4, funding_per_year: -6000}", "'home_teaching.funding_per_year'"),
        ("notice_days: yes", "'notice_days'"),
        ("townships: [甲镇, 3]", "'townships.1'"),
    ],
)
def test_bad_values_name_their_key(tmp_path, extra, key):
    assert key in rejected(tmp_path, extra)


def test_missing_required_key_is_named(tmp_path):
    path = write(tmp_path, MINIMAL.replace("store: ../build/demo.duckdb\n", ""))
    with pytest.raises(ParamsError, match=r"c\.yaml: 'store': the key is required"):
        load_params(path)


def test_every_problem_is_in_the_one_message(tmp_path):
    message = rejected(tmp_path, "escalation: 3\nschool_age: {min: 15, max: 6}")
    assert "'escalation'" in message and "'school_age.max'" in message
    assert "\n" not in message


def test_the_cli_prints_a_bad_params_file_as_one_line(tmp_path, capsys):
    path = write(tmp_path, MINIMAL + "escalaton: [1, 2, 3]\n")
    assert main(["townships", "--params", str(path), "--as-of", "2021-10-15"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean escalation?" in err and str(path) in err


def test_a_key_written_without_value_keeps_its_default(tmp_path):
    params = load_params(write(tmp_path, MINIMAL + "calendar:\ndays_off:\nescalation:\nearly_warning:\n"))
    assert (params.calendar, params.days_off, params.escalation) == ({}, (), (1, 3, 5))
    assert params.early_warning == DEFAULT_EARLY_WARNING


def test_an_unquoted_county_code_is_text(tmp_path):
    params = load_params(write(tmp_path, MINIMAL.replace('"452626"', "452626")))
    assert params.county_code == "452626"


# early_warning (docs/params.md)


def test_early_warning_keys_given_override_the_defaults(tmp_path):
    params = load_params(write(tmp_path, MINIMAL + "early_warning: {window: 10, weights: {relapse: 4}, "
                                                   "levels: {high: 6}, grades: [7, 8, 9]}\n"))
    expected = dataclasses.replace(DEFAULT_EARLY_WARNING, window=10, grades=(7, 8, 9),
                                   weights=dataclasses.replace(DEFAULT_EARLY_WARNING.weights, relapse=4),
                                   levels=WarningLevels(high=6, medium=3))
    assert params.early_warning == expected


def test_an_early_warning_what_if_is_merged_over_the_file_s_keys(tmp_path):
    path = write(tmp_path, MINIMAL + "early_warning: {horizon: 30, weights: {overage: 2}}\n")
    what_if = {"early_warning": {"window": 10, "weights": {"relapse": 4}}}
    params = load_params(path, overrides=what_if)
    weights = dataclasses.replace(DEFAULT_EARLY_WARNING.weights, overage=2, relapse=4)
    assert params.early_warning == dataclasses.replace(DEFAULT_EARLY_WARNING, window=10, horizon=30, weights=weights)
    assert params.overrides == what_if


@pytest.mark.parametrize(
    "early_warning, key",
    [
        ("{weights: {attendance: -2}}", "'early_warning.weights.attendance'"),
        ("{levels: {high: 3, medium: 5}}", "'early_warning.levels.medium': 5 is above early_warning.levels.high 3"),
        ("{weights: {atendance: 2}}", "'early_warning.weights.atendance': unknown key, did you mean attendance?"),
        ("{weights: {truancy: 2}}", "'early_warning.weights.truancy': unknown key, the keys are attendance, "
                                    "unexcused, relapse, overage, key_group, grades"),
        ("{absence_share: 1.5}", "'early_warning.absence_share'"),
        ("{window: 0}", "'early_warning.window'"),
        ("{grades: 9}", "'early_warning.grades': must be a list"),
        ("{grades: [8, 10]}", "'early_warning.grades.1'"),
        ("{horizon: sixty}", "'early_warning.horizon'"),
        ("{weight: {attendance: 2}}", "'early_warning.weight': unknown key, did you mean weights?"),
    ],
)
def test_bad_early_warning_values_name_their_key(tmp_path, early_warning, key):
    assert key in rejected(tmp_path, f"early_warning: {early_warning}")


# files the project writes


@pytest.mark.parametrize("scale", ["small", "tongjiang"])
def test_the_demo_params_files_load(tmp_path, scale):
    params = load_params(write(tmp_path, _params_text(scale, SCALES[scale], DEFAULT_SEED)))
    assert params.county == SCALES[scale].county
    assert params.synonyms == {"身份证号": ("证件号",)}
    # 通江 runs its own 1357 ladder ; the small demo the usual 135.
    ladder = (1, 3, 5, 7) if scale == "tongjiang" else (1, 3, 5)
    # The small demo's as_of (15 Oct) is six weeks into the term: it looks back 30 days, not 60.
    horizon = 60 if scale == "tongjiang" else 30
    assert params.escalation == ladder
    assert params.early_warning == dataclasses.replace(DEFAULT_EARLY_WARNING, horizon=horizon)


def test_every_field_keeps_its_value(tmp_path):
    text = """
county: 某县
county_code: "511921"
ledgers: ../ledgers
store: ../build/x.duckdb
outputs: ../out
term: {start: 2026-09-01, end: 2027-01-22}
days_off: [2026-11-13, 2026-10-09]
extra_school_days: [2026-10-10]
calendar: {2027: {holidays: [2027-01-01], workdays: [2027-01-02]}}
escalation: [1, 2, 3]
notice_days: 10
target_date: 2026-12-31
school_age: {min: 7, max: 16}
subsidy: {boarding: {primary: 1100, junior: 1312.5}, day: {primary: 550, junior: 650}}
home_teaching: {visits_per_month: 3, hours_per_visit: 2.5, hours_per_year: 72,
                workload_hours_per_visit: 5, funding_per_year: 8000}
townships: [甲镇, 乙乡]
synonyms: {身份证号: [证件号, 身份证], 姓名: 学生姓名}
"""
    path = write(tmp_path, text)
    params = load_params(path)
    assert params == Params(
        path=path.resolve(),
        county="某县",
        county_code="511921",
        ledgers=(tmp_path / "ledgers").resolve(),
        store=(tmp_path / "build" / "x.duckdb").resolve(),
        outputs=(tmp_path / "out").resolve(),
        term_start=dt.date(2026, 9, 1),
        term_end=dt.date(2027, 1, 22),
        days_off=(dt.date(2026, 10, 9), dt.date(2026, 11, 13)),  # sorted
        extra_school_days=(dt.date(2026, 10, 10),),
        calendar={2027: YearCalendar(holidays=(dt.date(2027, 1, 1),), workdays=(dt.date(2027, 1, 2),))},
        escalation=(1, 2, 3),
        notice_days=10,
        target_date=dt.date(2026, 12, 31),
        school_age_min=7,
        school_age_max=16,
        subsidy=SubsidyStandards(boarding=YuanByLevel(primary=1100, junior=1312.5), day=YuanByLevel(primary=550, junior=650)),
        home_teaching=HomeTeaching(visits_per_month=3, hours_per_visit=2.5, hours_per_year=72,
                                   workload_hours_per_visit=5, funding_per_year=8000),
        townships=("甲镇", "乙乡"),
        synonyms={"身份证号": ("证件号", "身份证"), "姓名": ("学生姓名",)},
        sha256=params.sha256,
        early_warning=DEFAULT_EARLY_WARNING,
    )
    # whole numbers stay int: reports print them ("每月 3 次", not 3.0)
    assert type(params.home_teaching.visits_per_month) is int
    assert type(params.subsidy.day.primary) is int


def test_school_year_turns_on_the_first_of_september():
    assert school_year_of(dt.date(2021, 8, 31)) == 2020
    assert school_year_of(dt.date(2021, 9, 1)) == 2021
    assert school_year_of(dt.date(2022, 1, 14)) == 2021


def test_as_of_today():
    # today on the county's clock (Asia/Shanghai by default), not the machine's: test_params_loader.py
    now = dt.datetime.now(dt.UTC)
    assert parse_as_of("today") in {now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                                    dt.datetime.now(dt.UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()}
    assert parse_as_of("2021-10-15") == dt.date(2021, 10, 15)


# --- office: the sign-off block of the county's forms ------------------------------------------


def test_office_is_optional_and_read_when_given(tmp_path):
    assert load_params(write(tmp_path, MINIMAL)).office == Office()
    given = load_params(write(tmp_path, MINIMAL + "office: {unit: 示例县教育局, phone: 13800000000}\n"))
    # A phone written unquoted is text; a key not given stays out (blank on the form).
    assert given.office == Office(unit="示例县教育局", phone="13800000000")


@pytest.mark.parametrize("extra, key", [
    ("office: {unti: 示例县教育局}", "'office.unti': unknown key, did you mean unit?"),
    ("office: {contact: ''}", "'office.contact'"),
])
def test_a_bad_office_key_is_named(tmp_path, extra, key):
    assert key in rejected(tmp_path, extra)


# --- junior_grade_names: 七年级 or 初一 --------------------------------------------------------


def test_junior_grade_names_default_to_qinianji_and_accept_chuyi(tmp_path):
    assert load_params(write(tmp_path, MINIMAL)).junior_grade_names == "七年级"
    assert load_params(write(tmp_path, MINIMAL + "junior_grade_names: 初一\n")).junior_grade_names == "初一"


def test_an_unknown_junior_grade_style_is_named(tmp_path):
    message = rejected(tmp_path, "junior_grade_names: 初中\n")
    assert "'junior_grade_names'" in message and "七年级" in message and "初一" in message
