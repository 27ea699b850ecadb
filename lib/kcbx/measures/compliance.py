"""合规检查: the checks officers still do by hand, one row per child or case breaking a rule.

Each rule is one function returning COMPLIANCE_COLUMNS: the rule, who the row is about, the
fact in one Chinese line with its dates, and who must act (with the case's 包保 owners where the
ledger names them). ``compliance_checks`` puts them together, in RULES' order.

- notice_late — the government's 《限期复学通知书》 after the ladder's top rung (seed 004: "5天仍
  不返校的 … 由政府向监护人发出《限期复学通知书》，要求7天内务必返校"): an open case whose first
  notice came more than ``notice_grace_days`` school days after the child reached the top rung,
  or with no notice yet once that many school days have passed; a pupil at the top rung with no
  open case at all, likewise. The top rung is reached on the day the unexcused run reaches the
  ladder's largest threshold (``case_top_rung_days``); for a case whose child has no such run in
  the absence ledger, its 登记 date stands in.
- return_overdue — an open case whose last notice is more than ``notice_days`` calendar days old
  (the notice's 7 days are over and the child is not back: metrics.json's notices_overdue).
- child_labour — a case on this term's forms whose 辍学原因 or 去向 says 务工 or 打工, whose
  child is under 16 on as_of (seed 000: report to the place of work's education,
  human-resources and police departments).
- not_struck_off — a case 已复学 whose 复学 is more than ``strike_off_days`` calendar days before
  as_of and that has no 销号 (动态销号).
- no_owner — an open case with no 行政线 (包保干部) or no 教育线 (包保教师) owner on any of its
  events (双线).
- no_guardian_phone — a pupil on today's 未到校名册 (absent without leave) or on the 预警名单
  whose guardian has no phone in the population register.
- early_marriage — a case on this term's forms whose 辍学原因 says 早婚 (report to 妇联 and 司法).
- case_not_opened — a school-age child whose verification on as_of says 确认失学 (疑似失学核查,
  kcbx.measures.verification), with no case opened within ``case_open_days`` school days of the
  核查日期: none yet once that many school days have passed, or an open case registered later
  than that. A case already open on the 核查日期 is that case.

Cases whose child is back (or transferred, taught at home, died) owe no notice and no owner any
more; a working child or an early marriage is reported whatever became of the case, as long as
the case is on this term's forms (``cases.term_scope``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kcbx.measures.cases import NOTICE_EVENT, term_scope
from kcbx.measures.common import as_timestamp, is_in
from kcbx.measures.escalation import counted_absences, numbered_runs
from kcbx.measures.matching import age_on, first_row_per_person

__all__ = [
    "RULES",
    "WHO_ACTS",
    "COMPLIANCE_COLUMNS",
    "WORKING_AGE",
    "rules_in_words",
    "top_rung_runs",
    "case_top_rung_days",
    "school_days_between",
    "known_birth_dates",
    "notice_late",
    "return_overdue",
    "child_labour",
    "not_struck_off",
    "no_owner",
    "no_guardian_phone",
    "early_marriage",
    "case_not_opened",
    "compliance_checks",
]

# Rule code -> the label the sheet and the report show, in the order they list them.
RULES: dict[str, str] = {
    "notice_late": "限期复学通知书未按时发出",
    "return_overdue": "限期复学期满未返校",
    "child_labour": "未满16周岁外出务工",
    "not_struck_off": "已复学未销号",
    "no_owner": "未落实双线包保责任人",
    "no_guardian_phone": "缺监护人联系电话",
    "early_marriage": "早婚",
    "case_not_opened": "确认失学未按时立案",
}
# Rule code -> who must act, and what (the report's line for the rule says it too).
WHO_ACTS: dict[str, str] = {
    "notice_late": "乡镇人民政府（向监护人发出《限期复学通知书》）",
    "return_overdue": "乡镇人民政府、县教育局（依法督促复学，《义务教育法》第五十八条）",
    "child_labour": "乡镇人民政府、县教育局（通报务工地教育、人社、公安部门）",
    "not_struck_off": "学校（核实在校就读后报销号）",
    "no_owner": "乡镇人民政府（指定包保干部）、学校（指定包保教师）",
    "no_guardian_phone": "学校（班主任）、村（居）委会（补齐监护人联系电话）",
    "early_marriage": "乡镇人民政府、县教育局（通报妇联、司法部门）",
    "case_not_opened": "学校、乡镇人民政府（登记辍学案件，落实双线包保，启动劝返）",
}
COMPLIANCE_COLUMNS = ["rule", "rule_label", "township", "school", "name", "person_key", "case_id",
                      "since", "fact", "who_acts", "owners"]

WORKING_AGE = 16  # 未满16周岁: child labour (seed 000)
WORK_WORDS = ("务工", "打工")
EARLY_MARRIAGE_WORD = "早婚"


def rules_in_words(escalation: Sequence[int], notice_grace_days: int, notice_days: int,
                   strike_off_days: int, case_open_days: int = 3) -> dict[str, str]:
    """Rule code → what it checks, in one Chinese sentence with the county's params (the
    sheet's notes, the report's lines)."""
    top = max(escalation)
    return {
        "notice_late": f"连续无故缺勤达{top}天（最高一级）后{notice_grace_days}个上课日内，乡镇政府应向监护人"
                       "发出《限期复学通知书》；缺勤台账无此记录的，从立案（登记）日算起",
        "return_overdue": f"《限期复学通知书》发出{notice_days}天后仍未复学的在办案件",
        "child_labour": f"辍学原因或去向为外出务工、未满{WORKING_AGE}周岁的学生，应通报务工地教育、人社、公安部门",
        "not_struck_off": f"复学超过{strike_off_days}天仍未销号的案件（动态销号）",
        "no_owner": "在办案件缺行政线（包保干部）或教育线（包保教师）责任人（双线包保）",
        "no_guardian_phone": "未到校名册或预警名单上的学生，户籍台账无监护人联系电话",
        "early_marriage": "辍学原因为早婚的案件，应通报妇联、司法部门",
        "case_not_opened": f"村（社区）、学校核查确认失学的适龄儿童，应在核查日期后{case_open_days}个上课日内登记辍学案件",
    }


_NO_CASE_ACTOR = "学校（登记辍学案件，报告乡镇政府和教育局）、"


# --- small helpers ---------------------------------------------------------------------


def _day(day: pd.Timestamp, as_of: dt.date) -> str:
    """"10月11日"; with the year when it is not as_of's ("2021年3月8日")."""
    if day.year == as_of.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or \
        (isinstance(value, str) and not value.strip())


def _owners(case: pd.Series) -> str | None:
    """"包保干部：…；包保教师：…" from the case's owners; None when neither is known."""
    parts = [f"{label}：{case[column]}" for column, label in (("admin_owner", "包保干部"),
                                                            ("edu_owner", "包保教师"))
             if not _blank(case.get(column))]
    return "；".join(parts) or None


def _rows(rule: str, records: list[dict]) -> pd.DataFrame:
    """The rule's rows as COMPLIANCE_COLUMNS (who_acts defaults to WHO_ACTS[rule])."""
    frame = pd.DataFrame.from_records(
        [{"rule": rule, "rule_label": RULES[rule], "who_acts": WHO_ACTS[rule], **record}
         for record in records], columns=COMPLIANCE_COLUMNS)
    text = [column for column in COMPLIANCE_COLUMNS if column != "since"]
    frame = frame.astype({"since": "datetime64[ns]", **dict.fromkeys(text, object)})
    # Missing text as None, as the store gives it (not NaN).
    frame[text] = frame[text].where(frame[text].notna(), None)
    return frame


def _case_record(case: pd.Series, since: pd.Timestamp | None, fact: str, **more) -> dict:
    return {"township": case.get("township"), "school": case.get("school"), "name": case.get("name"),
            "person_key": case["person_key"], "case_id": case["case_id"], "since": since,
            "fact": fact, "owners": _owners(case), **more}


def _opening(case: pd.Series) -> str:
    """How the case opened: 登记, or 立案 for a case opened by another event (no 登记 in the log)."""
    return "登记" if bool(case.get("registered", True)) else "立案"


def _open(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[cases["state"].eq("open")]


def _on_this_terms_forms(cases: pd.DataFrame, term_start: dt.date) -> pd.DataFrame:
    return cases[term_scope(cases, term_start).notna()]


def school_days_between(school_days: pd.DatetimeIndex, after: pd.Series,
                        through: pd.Series | pd.Timestamp) -> pd.Series:
    """School days d with after < d ≤ through, per row (0 when through is not after ``after``)."""
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    start = days.searchsorted(pd.DatetimeIndex(after).as_unit("ns"), side="right")
    end_days = (pd.DatetimeIndex(through).as_unit("ns") if isinstance(through, pd.Series)
                else pd.DatetimeIndex([through] * len(after)).as_unit("ns"))
    end = days.searchsorted(end_days, side="right")
    return pd.Series(np.maximum(end - start, 0), index=after.index, dtype="int64")


# --- the top rung ----------------------------------------------------------------------


def top_rung_runs(absence: pd.DataFrame, school_days: pd.DatetimeIndex, top: int,
                  as_of: dt.date) -> pd.DataFrame:
    """Every run of consecutive unexcused-absent school days (on or before as_of) that reaches
    ``top`` days: person_key, run_start, top_day (the run's top-th school day: the day the pupil
    reached the top rung), run_end (its last day so far)."""
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    counted = counted_absences(absence, days)
    counted = counted[counted["date"] <= as_timestamp(as_of)]
    empty = pd.DataFrame({"person_key": pd.Series(dtype=object),
                          **{c: pd.Series(dtype="datetime64[ns]") for c in ("run_start", "top_day", "run_end")}})
    if counted.empty:
        return empty
    # The runs absence_streaks counts (``numbered_runs``), every one of them, not only the latest.
    runs = numbered_runs(counted, days).groupby("run").agg(
        person_key=("person_key", "first"), first=("position", "min"), last=("position", "max"),
        size=("position", "size"))
    runs = runs[runs["size"] >= top]
    if runs.empty:
        return empty
    return pd.DataFrame({
        "person_key": runs["person_key"].astype(object).to_numpy(),
        "run_start": days[runs["first"].to_numpy()],
        "top_day": days[(runs["first"] + top - 1).to_numpy()],
        "run_end": days[runs["last"].to_numpy()],
    })


def case_top_rung_days(cases: pd.DataFrame, runs: pd.DataFrame,
                       school_days: pd.DatetimeIndex) -> pd.DataFrame:
    """The day each case's child reached the top rung, aligned with ``cases``: top_day and
    from_ledger (False: the absence ledger has no such run, and the 登记 date stands in).

    The run is that of the case: one still going on the school day before the case opened, or
    on a later day, that reached the top before the child's next case opened; of several, the
    first to reach it. ``runs``: ``top_rung_runs``; ``cases``: a case_table.
    """
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    opened = pd.to_datetime(cases["opened"]).astype("datetime64[ns]")
    before = days.searchsorted(pd.DatetimeIndex(opened), side="left") - 1
    # The school day before the opening; the opening day itself when there is none.
    earlier = days[np.maximum(before, 0)].to_numpy() if len(days) else opened.to_numpy()
    day_before = pd.Series(np.where(before >= 0, earlier, opened.to_numpy()),
                           index=cases.index, dtype="datetime64[ns]")
    # The child's next case, if any, ends this one's claim on later runs.
    next_opened = (pd.DataFrame({"person_key": cases["person_key"], "opened": opened})
                   .sort_values("opened", kind="stable").groupby("person_key")["opened"].shift(-1))
    frame = pd.DataFrame({"case": cases.index, "person_key": cases["person_key"].to_numpy(),
                          "day_before": day_before.to_numpy(),
                          "next_opened": next_opened.reindex(cases.index).to_numpy()})
    pairs = frame.merge(runs, on="person_key")
    mine = (pairs["run_end"] >= pairs["day_before"]) & ~(pairs["top_day"] >= pairs["next_opened"])
    first = pairs[mine].groupby("case")["top_day"].min()
    top_day = first.reindex(cases.index)
    return pd.DataFrame({"top_day": top_day.fillna(opened).astype("datetime64[ns]"),
                         "from_ledger": top_day.notna()}, index=cases.index)


def _first_notices(case_events: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """case_id → the date of its first 限期复学通知书 on or before as_of (case_events' duplicates
    left out)."""
    events = case_events
    if "duplicate" in events.columns:
        events = events[~events["duplicate"].astype(bool)]
    notices = events[events["event"].eq(NOTICE_EVENT) & (events["date"] <= as_timestamp(as_of))]
    return notices.groupby("case_id")["date"].min()


# --- the rules -------------------------------------------------------------------------


def notice_late(cases: pd.DataFrame, case_events: pd.DataFrame, absence: pd.DataFrame,
                streaks: pd.DataFrame, pupils: pd.DataFrame, school_days: pd.DatetimeIndex,
                as_of: dt.date, escalation: Sequence[int], grace_days: int) -> pd.DataFrame:
    """notice_late: the notice came (or is still missing) more than ``grace_days`` school days
    after the top rung. Counted in school days d with top_day < d ≤ notice date (or as_of).

    Open cases (``cases``: a case_table with township) by their top-rung day
    (``case_top_rung_days``); then pupils at the top rung with no open case (``streaks``:
    absence_streaks rows; ``pupils``: person_key, township, school, name of each pupil).
    """
    top = max(escalation)
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    day = as_timestamp(as_of)
    records: list[dict] = []
    open_cases = _open(cases)
    if len(open_cases):
        children = set(open_cases["person_key"])
        runs = top_rung_runs(absence[is_in(absence["person_key"], children)], days, top, as_of)
        # Every case of these children: a later case bounds an earlier one's runs.
        theirs = cases[is_in(cases["person_key"], children)]
        reached = case_top_rung_days(theirs, runs, days).reindex(open_cases.index)
        first_notices = _first_notices(case_events, as_of).astype("datetime64[ns]")
        notice = pd.Series(first_notices.reindex(open_cases["case_id"]).to_numpy(), index=open_cases.index,
                           dtype="datetime64[ns]")
        through = notice.fillna(day)
        waited = school_days_between(days, reached["top_day"], through)
        for index in open_cases.index[waited > grace_days]:
            case, top_day = open_cases.loc[index], reached.at[index, "top_day"]
            start = (f"{_day(top_day, as_of)}连续无故缺勤达{top}天（最高一级）" if reached.at[index, "from_ledger"]
                     else f"{_day(top_day, as_of)}{_opening(case)}（缺勤台账无连续{top}天记录，从此日算起）")
            if pd.isna(notice[index]):
                fact = (f"{start}，已过{waited[index]}个上课日仍未发出限期复学通知书"
                        f"（应在{grace_days}个上课日内发出）")
            else:
                fact = (f"{start}，{_day(notice[index], as_of)}才发出限期复学通知书，相隔{waited[index]}个"
                        f"上课日（应在{grace_days}个上课日内发出）")
            records.append(_case_record(case, top_day, fact))
    at_top = streaks[(streaks["streak"] >= top)
                     & ~is_in(streaks["person_key"], set(open_cases["person_key"]))]
    if len(at_top):
        start = days.get_indexer(pd.DatetimeIndex(at_top["streak_start"]).as_unit("ns"))
        top_day = pd.Series(days[start + top - 1], index=at_top.index)
        waited = school_days_between(days, top_day, day)
        who = pupils.drop_duplicates("person_key").set_index("person_key")
        for index in at_top.index[waited > grace_days]:
            key = at_top.at[index, "person_key"]
            known = who.loc[key] if key in who.index else pd.Series(dtype=object)
            records.append({
                "township": known.get("township"), "school": known.get("school", at_top.at[index, "school"]),
                "name": known.get("name"), "person_key": key, "case_id": None, "since": top_day[index],
                "fact": (f"{_day(top_day[index], as_of)}连续无故缺勤达{top}天（最高一级），已过{waited[index]}个"
                         f"上课日，尚未登记辍学案件，也未发出限期复学通知书（应在{grace_days}个上课日内发出）"),
                "who_acts": _NO_CASE_ACTOR + WHO_ACTS["notice_late"], "owners": None})
    return _rows("notice_late", records)


def return_overdue(cases: pd.DataFrame, as_of: dt.date, notice_days: int) -> pd.DataFrame:
    """return_overdue: open cases whose last notice on or before as_of is more than notice_days
    calendar days before as_of (case_table's notice_overdue)."""
    overdue = _open(cases)
    overdue = overdue[overdue["notice_overdue"].astype(bool)]
    records = []
    for _, case in overdue.iterrows():
        notice = pd.Timestamp(case["last_notice"])
        passed = (as_timestamp(as_of) - notice).days
        fact = (f"{_day(notice, as_of)}发出限期复学通知书（限{notice_days}日内返校），"
                f"至{_day(as_timestamp(as_of), as_of)}已过{passed}天仍未复学")
        records.append(_case_record(case, notice, fact))
    return _rows("return_overdue", records)


def _says(cases: pd.DataFrame, column: str, words: Sequence[str]) -> pd.Series:
    """Whether the column's text holds any of the words (blank: no)."""
    said = [isinstance(value, str) and any(word in value for word in words) for value in cases[column]]
    return pd.Series(said, index=cases.index, dtype=bool)


def _cause_and_destination(case: pd.Series) -> str:
    parts = [f"辍学原因：{case['cause']}" if not _blank(case.get("cause")) else None,
             f"去向：{case['destination']}" if not _blank(case.get("destination")) else None]
    return "；".join(p for p in parts if p)


def known_birth_dates(*registers: pd.DataFrame) -> pd.Series:
    """person_key → 出生日期: the first row giving one, registers in the order given (each in
    file order); a child none of them dates is missing."""
    dated = [first_row_per_person(register[register["birth_date"].notna()])[["person_key", "birth_date"]]
             for register in registers if "birth_date" in register.columns]
    if not dated:
        return pd.Series(dtype="datetime64[ns]")
    both = pd.concat(dated, ignore_index=True).drop_duplicates("person_key", keep="first")
    return pd.to_datetime(both.set_index("person_key")["birth_date"]).astype("datetime64[ns]")


def child_labour(cases: pd.DataFrame, birth_dates: pd.Series, as_of: dt.date,
                 term_start: dt.date) -> pd.DataFrame:
    """child_labour: cases on this term's forms whose cause or destination says 务工 (or 打工)
    and whose child is under WORKING_AGE on as_of.

    ``birth_dates``: person_key → 出生日期 (from the registers); a child without one is aged by
    the ID (person_key of 18 characters); a child of unknown age is not listed.
    """
    scoped = _on_this_terms_forms(cases, term_start)
    working = scoped[_says(scoped, "cause", WORK_WORDS) | _says(scoped, "destination", WORK_WORDS)]
    keys = working["person_key"].astype(str)
    ids = keys.where(keys.str.len() == 18)
    born = pd.Series(pd.to_datetime(birth_dates).reindex(working["person_key"]).to_numpy(),
                     index=working.index, dtype="datetime64[ns]")
    age = age_on(born, ids, as_of)
    records = []
    for index in working.index[(age < WORKING_AGE).fillna(False).to_numpy(dtype=bool)]:
        case = working.loc[index]
        fact = (f"{_cause_and_destination(case)}；截至{_day(as_timestamp(as_of), as_of)}{age[index]}周岁"
                f"（未满{WORKING_AGE}周岁）；案件状态：{case['state_label']}")
        records.append(_case_record(case, pd.Timestamp(case["opened"]), fact))
    return _rows("child_labour", records)


def not_struck_off(cases: pd.DataFrame, as_of: dt.date, strike_off_days: int) -> pd.DataFrame:
    """not_struck_off: cases 已复学 with no 销号 whose 复学 is more than strike_off_days calendar
    days before as_of."""
    returned = cases[cases["state"].eq("returned") & cases["struck_date"].isna()]
    waited = (as_timestamp(as_of) - pd.to_datetime(returned["outcome_date"])).dt.days
    records = []
    for index in returned.index[waited > strike_off_days]:
        case = returned.loc[index]
        back = pd.Timestamp(case["outcome_date"])
        fact = (f"{_day(back, as_of)}复学，至{_day(as_timestamp(as_of), as_of)}已过{waited[index]}天仍未销号"
                f"（复学后{strike_off_days}天内应核实销号）")
        records.append(_case_record(case, back, fact))
    return _rows("not_struck_off", records)


def no_owner(cases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """no_owner: open cases with no 行政线 or no 教育线 owner on any event (双线)."""
    records = []
    for _, case in _open(cases).iterrows():
        lines = [(label, actor) for column, label, actor in (
            ("admin_owner", "行政线（包保干部）", "乡镇人民政府（指定包保干部）"),
            ("edu_owner", "教育线（包保教师）", "学校（指定包保教师）")) if _blank(case.get(column))]
        if not lines:
            continue
        fact = (f"{_day(pd.Timestamp(case['opened']), as_of)}{_opening(case)}，"
                f"未落实{'、'.join(label for label, _ in lines)}责任人")
        records.append(_case_record(case, pd.Timestamp(case["opened"]), fact,
                                    who_acts="、".join(actor for _, actor in lines)))
    return _rows("no_owner", records)


def no_guardian_phone(absent_today: pd.DataFrame, early_warning: pd.DataFrame,
                      pupils: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """no_guardian_phone: pupils on today's 未到校名册 (``absent_today``) or on the 预警名单
    (``early_warning``) whose guardian has no phone in the population register (first row of
    the child; a child the register lacks has none). ``pupils``: person_key, township, school,
    name of each pupil (its first row counts)."""
    lists = {"未到校名册（今日无故缺勤）": absent_today, "预警名单": early_warning}
    on_lists: dict[str, list[str]] = {}
    for label, listed in lists.items():
        for key in listed["person_key"].drop_duplicates():
            on_lists.setdefault(key, []).append(label)
    phones = first_row_per_person(population).set_index("person_key")["phone"]
    who = pupils.drop_duplicates("person_key").set_index("person_key")
    records = []
    for key, labels in on_lists.items():
        if not _blank(phones.get(key)):
            continue
        known = who.loc[key] if key in who.index else pd.Series(dtype=object)
        registered = "户籍台账中无该生" if key not in phones.index else "户籍台账未填监护人联系电话"
        records.append({"township": known.get("township"), "school": known.get("school"),
                        "name": known.get("name"), "person_key": key, "case_id": None, "since": None,
                        "fact": f"列入{'、'.join(labels)}，{registered}", "owners": None})
    return _rows("no_guardian_phone", records)


def early_marriage(cases: pd.DataFrame, term_start: dt.date) -> pd.DataFrame:
    """early_marriage: cases on this term's forms whose cause says 早婚."""
    scoped = _on_this_terms_forms(cases, term_start)
    records = [_case_record(case, pd.Timestamp(case["opened"]),
                            f"{_cause_and_destination(case)}；案件状态：{case['state_label']}")
               for _, case in scoped[_says(scoped, "cause", (EARLY_MARRIAGE_WORD,))].iterrows()]
    return _rows("early_marriage", records)


def case_not_opened(confirmed: pd.DataFrame, cases: pd.DataFrame, school_days: pd.DatetimeIndex,
                    as_of: dt.date, case_open_days: int) -> pd.DataFrame:
    """case_not_opened: children verified 确认失学 whose case was not opened within
    ``case_open_days`` school days of the 核查日期 (counted in school days d with 核查日期 < d ≤ the
    case's opening, or as_of while there is none).

    ``confirmed``: the children whose verification on as_of says 确认失学 — person_key, name,
    township (of the population row), check_date. ``cases``: a case_table (opened, state …).
    A case open on the 核查日期 (opened before it) covers the child; else the first case opened
    on or after it: on time, or late (listed while it is open); with none, listed once the days
    have passed.
    """
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    records: list[dict] = []
    for _, child in confirmed.iterrows():
        checked = pd.Timestamp(child["check_date"])
        theirs = cases[cases["person_key"].eq(child["person_key"])]
        opened = pd.to_datetime(theirs["opened"])
        if (theirs["state"].eq("open") & (opened < checked)).any():
            continue
        later = theirs[(opened >= checked).to_numpy(dtype=bool)].sort_values("opened", kind="stable")
        who = {"township": child.get("township"), "school": None, "name": child.get("name"),
               "person_key": child["person_key"], "since": checked}
        start = f"{_day(checked, as_of)}核查确认失学"
        if len(later):
            case = later.iloc[0]
            waited = int(school_days_between(days, pd.Series([checked]), pd.Timestamp(case["opened"])).iloc[0])
            if waited > case_open_days and case["state"] == "open":
                records.append(_case_record(case, checked, (
                    f"{start}，{_day(pd.Timestamp(case['opened']), as_of)}才{_opening(case)}辍学案件，相隔"
                    f"{waited}个上课日（应在{case_open_days}个上课日内登记）")))
            continue
        waited = int(school_days_between(days, pd.Series([checked]), as_timestamp(as_of)).iloc[0])
        if waited > case_open_days:
            records.append({**who, "case_id": None, "owners": None,
                            "fact": f"{start}，已过{waited}个上课日仍未登记辍学案件（应在{case_open_days}个上课日内登记）"})
    return _rows("case_not_opened", records)


def compliance_checks(*, cases: pd.DataFrame, case_events: pd.DataFrame, absence: pd.DataFrame,
                      streaks: pd.DataFrame, absent_today: pd.DataFrame, early_warning: pd.DataFrame,
                      pupils: pd.DataFrame, population: pd.DataFrame, birth_dates: pd.Series,
                      school_days: pd.DatetimeIndex, as_of: dt.date, escalation: Sequence[int],
                      notice_grace_days: int, notice_days: int, strike_off_days: int,
                      term_start: dt.date, confirmed: pd.DataFrame | None = None,
                      case_open_days: int = 3) -> pd.DataFrame:
    """Every rule's rows (COMPLIANCE_COLUMNS), in RULES' order, then by township, school and
    the day each rule's clock started (``since``). ``confirmed``: the children verified 确认失学
    (``case_not_opened``; None: no verification ledger)."""
    parts = [
        notice_late(cases, case_events, absence, streaks, pupils, school_days, as_of, escalation,
                    notice_grace_days),
        return_overdue(cases, as_of, notice_days),
        child_labour(cases, birth_dates, as_of, term_start),
        not_struck_off(cases, as_of, strike_off_days),
        no_owner(cases, as_of),
        no_guardian_phone(absent_today, early_warning, pupils, population),
        early_marriage(cases, term_start),
    ]
    if confirmed is not None and len(confirmed):
        parts.append(case_not_opened(confirmed, cases, school_days, as_of, case_open_days))
    checks = pd.concat(parts, ignore_index=True)
    order = checks["rule"].map({rule: n for n, rule in enumerate(RULES)})
    checks = checks.assign(_order=order).sort_values(
        ["_order", "township", "school", "since", "person_key"], kind="stable", na_position="last")
    return checks.drop(columns="_order").reset_index(drop=True)[COMPLIANCE_COLUMNS]
