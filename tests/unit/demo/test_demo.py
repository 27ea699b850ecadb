"""The demo county (kcbx.demo): determinism, shapes, and the scenarios the reports rely on.

Files are read back with plain pandas (not kcbx's ingest), so these tests hold
whatever the reader does; expected numbers come from the hand-made scenarios
in kcbx.demo (ESCALATION_RUNS, SCENARIOS).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import chinese_calendar
import pandas as pd
import pytest
from stdnum.cn import ric

from kcbx.demo import DEMO_AS_OF, ESCALATION_RUNS, generate_demo, write_demo
from kcbx.params import load_params
from kcbx.schema import KIND_FOLDERS, KINDS

TERM_START = dt.date(2021, 9, 1)
LOCAL_DAY_OFF = dt.date(2021, 11, 12)
ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    write_demo(root)
    return root


@pytest.fixture(scope="module")
def ledgers(repo) -> Path:
    return repo / "build" / "ledgers" / "demo"


@pytest.fixture(scope="module")
def demo():
    return generate_demo("small")


def kind_folder(ledgers: Path, kind: str) -> Path:
    (folder,) = [ledgers / name for name in KIND_FOLDERS[kind] if (ledgers / name).is_dir()]
    return folder


def raw_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a file as text cells, no header: CSV in UTF-8 (BOM) or GBK, or xlsx."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("gbk")
        return {"": pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False)}
    sheets = pd.read_excel(path, header=None, dtype=str, sheet_name=None, engine="calamine")
    return {name: frame.fillna("") for name, frame in sheets.items()}


def table(path: Path, header: str) -> pd.DataFrame:
    """All sheets of a ledger file under their header row (the first row holding `header`)."""
    frames = []
    for raw in raw_sheets(path).values():
        row = next(i for i in range(len(raw)) if header in set(raw.iloc[i]))
        frame = raw.iloc[row + 1:].set_axis(list(raw.iloc[row]), axis=1)
        blank = frame.iloc[:, 0].str.strip() == ""
        total = (frame == "合计").any(axis=1)
        frames.append(frame[~blank & ~total])
    return pd.concat(frames, ignore_index=True)


def read_kind(ledgers: Path, kind: str, header: str = "身份证号", exclude: str = "",
              synonyms: dict[str, str] | None = None) -> pd.DataFrame:
    """Every file of a kind (but those whose name holds `exclude`), headers renamed by `synonyms`."""
    files = sorted(p for p in kind_folder(ledgers, kind).iterdir() if not exclude or exclude not in p.name)
    return pd.concat([table(p, header).rename(columns=synonyms or {}) for p in files], ignore_index=True)


def is_school_day(day: dt.date) -> bool:
    return TERM_START <= day and chinese_calendar.is_workday(day) and day != LOCAL_DAY_OFF


def unexcused_run(days_absent: set[dt.date], as_of: dt.date) -> int:
    """Brute force: walk back day by day from as_of over school days while the pupil was absent."""
    run, day = 0, as_of
    while day >= TERM_START:
        if is_school_day(day):
            if day not in days_absent:
                break
            run += 1
        day -= dt.timedelta(days=1)
    return run


# ---------------------------------------------------------------------------


def test_params_file_points_at_the_ledgers(repo):
    params = load_params(repo / "params" / "demo.yaml")
    assert params.county == "示例县"
    assert params.ledgers == (repo / "build" / "ledgers" / "demo").resolve()
    assert params.store == (repo / "build" / "demo.duckdb").resolve()
    assert (params.term_start, params.term_end) == (dt.date(2021, 9, 1), dt.date(2022, 1, 14))
    assert params.days_off == (LOCAL_DAY_OFF,)
    assert params.escalation == (1, 3, 5) and params.notice_days == 7
    assert params.synonyms == {"身份证号": ("证件号",)}
    # DEMO_AS_OF is a Friday school day inside the term.
    assert DEMO_AS_OF.weekday() == 4 and is_school_day(DEMO_AS_OF)


def test_the_params_synonym_is_needed_by_a_file(ledgers):
    headers = {h for p in kind_folder(ledgers, "roster").glob("*.csv") for h in raw_sheets(p)[""].iloc[0]}
    assert "证件号" in headers


def test_every_kind_folder_has_files(ledgers):
    for kind in KINDS:
        assert any(kind_folder(ledgers, kind).iterdir()), kind


def test_same_seed_same_files_other_seed_other_files(tmp_path, ledgers):
    write_demo(tmp_path / "again")
    again = tmp_path / "again" / "build" / "ledgers" / "demo"
    files = sorted(p.relative_to(ledgers) for p in ledgers.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        if name.suffix == ".csv":
            assert (ledgers / name).read_bytes() == (again / name).read_bytes(), name
        else:
            first, second = raw_sheets(ledgers / name), raw_sheets(again / name)
            assert first.keys() == second.keys()
            for sheet in first:
                pd.testing.assert_frame_equal(first[sheet], second[sheet])
    write_demo(tmp_path / "other", seed=1)
    other = tmp_path / "other" / "build" / "ledgers" / "demo"
    name = "absence/城厢镇2021秋季学期缺勤登记.csv"
    assert (other / name).read_bytes() != (ledgers / name).read_bytes()


def test_ids_are_valid_except_the_one_mistyped(ledgers, demo):
    cells = set()
    for path in ledgers.rglob("*"):
        if path.is_file():
            for sheet in raw_sheets(path).values():
                cells |= {v.strip() for v in sheet.to_numpy().ravel() if ID_PATTERN.match(v.strip())}
    invalid = {c for c in cells if not ric.is_valid(c)}
    roster = demo.tables["roster"]
    assert invalid == set(roster.loc[roster["defect"] == "bad_checksum", "id_number"])
    assert len(invalid) == 1
    # One clerk typed a lower-case x: still a valid ID once read as X.
    assert any(c.endswith("x") for c in cells - invalid)


def test_roster_has_3000_pupils_this_year(ledgers):
    roster = read_kind(ledgers, "roster", header="姓名", exclude="2020学年",
                       synonyms={"身份证号码": "身份证号", "公民身份号码": "身份证号", "证件号": "身份证号"})
    roster = roster[roster["年级"] != "高一"]
    ids = roster["身份证号"].str.upper()
    valid = ids.map(ric.is_valid)
    no_id = roster.loc[ids == "", "学籍号"]
    # 3000 pupils: every row but the mistyped ID (rejected) and the 高一 row; the child on
    # two rosters counts once; two pupils without an ID are keyed by an 'L' 学籍号.
    assert ids[valid].nunique() + no_id.nunique() == 3000
    assert len(no_id) == 2 and no_id.str.startswith("L").all()
    assert (~valid & (ids != "")).sum() == 1
    assert ids[valid].duplicated().sum() == 1


def absence_rows(ledgers: Path) -> pd.DataFrame:
    """The absence files' rows without their 零报告 rows (姓名 无缺勤: a school's day without absence)."""
    rows = read_kind(ledgers, "absence", header="日期")
    return rows[rows["姓名"] != "无缺勤"].reset_index(drop=True)


def test_every_escalation_threshold_is_reached_on_as_of(ledgers):
    absences = absence_rows(ledgers)
    absences["day"] = pd.to_datetime(absences["日期"], format="mixed").dt.date
    assert set(absences["缺勤类型"]) == {"无故", "旷课", "病假", "事假"}
    # Only school days, except the one row deliberately dated 4 Oct (National Day).
    off = absences[~absences["day"].map(is_school_day)]
    assert list(off["day"]) == [dt.date(2021, 10, 4)]
    unexcused = absences[absences["缺勤类型"].isin(["无故", "旷课"])]
    key = unexcused["身份证号"].where(unexcused["身份证号"] != "", unexcused["学籍号"])
    runs = {k: unexcused_run(set(days), DEMO_AS_OF) for k, days in unexcused.groupby(key)["day"]}
    # The designed runs (1,1,1,2,2,3,3,4,5,5,6,8,12) give at least 13 / 8 / 5 pupils at 1 / 3 / 5;
    # background single days can only add to the count at 1.
    for threshold in (1, 3, 5):
        assert sum(r >= threshold for r in runs.values()) >= sum(n >= threshold for n in ESCALATION_RUNS)
    longest_key = max(runs, key=runs.get)
    assert runs[longest_key] == 12
    # 12 school days back from Fri 15 Oct: 11–15 Oct, Sat 9 (make-up), Fri 8, then over
    # National Day to 27–30 Sep and Sun 26 Sep (make-up): both make-up days are in it.
    days = set(unexcused.loc[key == longest_key, "day"])
    assert {dt.date(2021, 9, 26), dt.date(2021, 10, 9)} <= days
    assert min(days) == dt.date(2021, 9, 26)


def test_exactly_one_duplicate_absence_row(ledgers):
    absences = absence_rows(ledgers)
    absences["day"] = pd.to_datetime(absences["日期"], format="mixed").dt.date
    columns = ["day", "身份证号", "学籍号", "缺勤类型", "备注"]
    assert absences.duplicated(subset=columns).sum() == 1


def case_state(events: list[str]) -> str:
    """docs/ledgers.md: the last outcome if any, else closed if struck, else open."""
    outcomes = {"复学": "returned", "转学": "transferred", "外地就读": "transferred",
                "送教上门": "home teaching", "死亡": "died"}
    last = [outcomes[e] for e in events if e in outcomes]
    return last[-1] if last else ("closed" if "销号" in events else "open")


def test_cases_cover_every_state_on_as_of(ledgers):
    cases = read_kind(ledgers, "cases", synonyms={"事件日期": "日期"})
    cases["day"] = pd.to_datetime(cases["日期"], format="mixed", errors="coerce").dt.date
    assert cases["day"].isna().sum() == 1                       # the 2021-02-30 typo
    assert "见备注" in set(cases["事件"])                           # an unknown event
    cases = cases[cases["day"].notna() & (cases["day"] <= DEMO_AS_OF)]
    states = cases.groupby("身份证号")["事件"].agg(lambda e: case_state(list(e)))
    assert set(states) == {"open", "returned", "transferred", "home teaching", "died", "closed"}
    assert set(cases["劝返方式"]) - {""} == {"感召", "感化", "行政", "法治"}
    # Open cases with a notice: at least one overdue (> 7 days), at least one not.
    notices = cases[(cases["事件"] == "发出限期复学通知书") & cases["身份证号"].isin(states[states == "open"].index)]
    age = notices.groupby("身份证号")["day"].max().map(lambda d: (DEMO_AS_OF - d).days)
    assert (age > 7).any() and (age <= 7).any()


def test_home_teaching_two_visits_a_month_but_one_child_short_in_september(ledgers):
    disability = read_kind(ledgers, "disability")
    home_taught = set(disability.loc[disability["安置方式"] == "送教上门", "身份证号"])
    assert len(home_taught) == 8
    visits = read_kind(ledgers, "home_teaching")
    visits["month"] = visits["日期"].str.extract(r"年(\d+)月", expand=False).astype(int)
    assert set(visits["身份证号"]) == home_taught
    september = visits[visits["month"] == 9].groupby("身份证号")["课时"].apply(lambda h: h.astype(int).sum())
    # 2 visits x 3 hours = 6 for seven children; one child had one visit (3 hours).
    assert sorted(september) == [3] + [6] * 7


def test_one_negative_subsidy_and_both_term_spellings(ledgers):
    subsidy = read_kind(ledgers, "subsidy", synonyms={"金额(元)": "金额"})
    assert (subsidy["金额"].astype(float) < 0).sum() == 1
    assert set(subsidy["学期"]) == {"2021秋", "2021年秋季学期"}


def test_enrollment_agrees_with_the_roster_and_flags_one_township(demo):
    roster, enrollment = demo.tables["roster"], demo.tables["enrollment"]
    rejected_or_repeated = roster["defect"].isin(["bad_checksum", "unknown_grade", "double_enrolment"])
    in_school = roster[(roster["school_year"] == 2021) & (roster["status"] == "在读") & ~rejected_or_repeated]
    counted = in_school.groupby(["school", "grade"]).size()
    stated = enrollment[enrollment["school_year"] == 2021].set_index(["school", "grade"])["enrolled"]
    assert stated.to_dict() == {key: counted.get(key, 0) for key in stated.index}
    by_township = enrollment.groupby(["township", "school_year", "grade"])["enrolled"].sum()
    retention = {t: by_township[(t, 2021, 9)] / by_township[(t, 2013, 1)] for t in ("城厢镇", "百省乡", "坡荷乡")}
    # Promotion below 1 everywhere but in 百省乡 (transfers in): only its 巩固率 exceeds 1.
    assert retention["百省乡"] > 1 > max(retention["城厢镇"], retention["坡荷乡"])


def test_previous_year_grade_six_mostly_reappears_in_grade_seven(demo):
    roster = demo.tables["roster"]
    key = roster["id_number"].where(roster["id_number"] != "", roster["student_no"])
    sixth = set(key[(roster["school_year"] == 2020) & (roster["grade"] == 6)])
    missing = sixth - set(key[roster["school_year"] == 2021])
    # One vanished child per township (6), plus the children of the two scenarios that start
    # with a 2020 sixth-grader who is on no roster now (open, overdue notice; 外地就读).
    assert len(missing) == 6 + 2
    assert len(missing) / len(sixth) < 0.05


def test_tongjiang_demo_runs_tongjiangs_own_ladder_and_the_small_one_135():
    import yaml

    from kcbx.demo import SCALES, _params_text

    # 通江's "1357"; the small demo (那坡's shape) keeps "135".
    assert yaml.safe_load(_params_text("tongjiang", SCALES["tongjiang"], 1))["escalation"] == [1, 3, 5, 7]
    assert yaml.safe_load(_params_text("small", SCALES["small"], 1))["escalation"] == [1, 3, 5]
