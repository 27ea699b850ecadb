"""周通报, the county's only: the townships in the order of the report page's 乡镇排名
(``kcbx.analysis.ranking.ranked``, its rule written above the table), each figure beside its
change over a week.

较上周 compares with the run of a week before where history has one; otherwise the open
cases, 脱贫户 cases and overdue notices are replayed from the case log to that day, as the
report's header replays its week-ago figure (metrics ``open_cases_week_ago``), and a column
says which source each township's row used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from kcbx.analysis.cut import WEEK, tuopin_keys
from kcbx.analysis.model import Analysis, no_history
from kcbx.analysis.ranking import RANKED_BY, RANKING_KEYS, RANKING_RULE, WEEKLY_FIGURES, ranked
from kcbx.measures.cases import states_of_cases_on
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import _official_table

FROM_RUN, FROM_CASE_LOG = "上周运行结果", "按劝返台账回溯"
# The figures the case log gives for a past day; 入学率 needs that day's registers too.
REPLAYED = ("cases_open", "cases_open_tuopin", "notices_overdue")


def _week_before_day(county: Analysis) -> dt.date | None:
    """The day 较上周 looks at: the last school day on or before as_of − 7 days, the day the
    header's week-ago figure reads (``open_cases_before``); None early in the term."""
    days = county.school_days[county.school_days <= pd.Timestamp(county.as_of - WEEK)]
    return None if days.empty else days[-1].date()


def _run_of_week_before(history: pd.DataFrame, as_of: dt.date,
                        day: dt.date | None) -> tuple[dt.date | None, pd.DataFrame]:
    """The townships' figures of the latest earlier run dated from ``day`` to as_of − 7 days
    (a run on a day off between them counts), and its date; (None, empty) without one."""
    last = pd.Timestamp(as_of - WEEK)
    first = pd.Timestamp(day) if day is not None else last
    runs = history[history["township"].notna() & history["as_of"].between(first, last)]
    if runs.empty:
        return None, pd.DataFrame(columns=["township", *WEEKLY_FIGURES])
    run_day = runs["as_of"].max()
    return run_day.date(), runs[runs["as_of"].eq(run_day)].reindex(columns=["township", *WEEKLY_FIGURES])


def _replayed_week_before(county: Analysis) -> pd.DataFrame:
    """Each township's REPLAYED figures a week before, from the case log: on the day the
    header's week-ago figure reads (``_week_before_day``), its cases open as its report replays
    them, those of its 脱贫户 children, and its notices overdue. The county's log is replayed
    once (``states_of_cases_on``) and its cases counted by township. Indexed by township;
    empty when no school day lies a week back."""
    day = _week_before_day(county)
    if day is None:
        return pd.DataFrame(columns=list(REPLAYED))
    states = states_of_cases_on(county.case_events, day, county.params.notice_days)
    township_of = county.cases.drop_duplicates("case_id").set_index("case_id")["township"]
    states = states.assign(township=states["case_id"].map(township_of))
    is_open = states["state"].eq("open")
    of_tuopin = states["person_key"].isin(tuopin_keys(county.poverty))
    figures = pd.DataFrame({
        "cases_open": is_open.groupby(states["township"]).sum(),
        "cases_open_tuopin": (is_open & of_tuopin).groupby(states["township"]).sum(),
        "notices_overdue": states["notice_overdue"].groupby(states["township"]).sum(),
    })
    return figures.reindex(list(county.ranking["township"]), fill_value=0).astype("int64")


def week_before(county: Analysis) -> tuple[pd.DataFrame, str]:
    """Each township's WEEKLY_FIGURES a week before, with ``source`` (FROM_RUN or
    FROM_CASE_LOG and the day, "" where neither has it), indexed by township; and the note
    that says which source was used for which townships.

    The run of that week (``_run_of_week_before``) where it has the township; else the case
    log replayed to the day (``_replayed_week_before``), which leaves 入学率 blank.
    """
    day = _week_before_day(county)
    history = no_history() if county.history is None else county.history
    run_day, run = _run_of_week_before(history, county.as_of, day)
    run = run.drop_duplicates("township").set_index("township")
    townships = list(ranked(county.ranking)["township"])  # the note names them in the table's order
    from_run = [township for township in townships if township in run.index]
    replayed = _replayed_week_before(county) if len(from_run) < len(townships) else pd.DataFrame()
    from_log = [township for township in townships if township not in run.index and township in replayed.index]
    figures = pd.concat([run.loc[from_run, list(WEEKLY_FIGURES)],
                         replayed.loc[from_log].reindex(columns=list(WEEKLY_FIGURES))])
    figures = figures.reindex(townships).apply(pd.to_numeric, errors="coerce")
    source = pd.Series("", index=townships, dtype=object)
    source[from_run] = f"{FROM_RUN}（{run_day}）" if run_day else ""
    source[from_log] = f"{FROM_CASE_LOG}（{day}）"
    note = _source_note(county.as_of, day, run_day, from_run, from_log, townships)
    return figures.assign(source=source), note


def _source_note(as_of: dt.date, day: dt.date | None, run_day: dt.date | None,
                 from_run: list[str], from_log: list[str], townships: list[str]) -> str:
    if day is None and run_day is None:
        return f"较上周：{(as_of - WEEK).isoformat()} 及以前本学期尚无上课日，暂不比较。"
    parts = []
    if from_run:
        named = "各乡镇" if len(from_run) == len(townships) else "、".join(from_run)
        parts.append(f"{named}与 {run_day} 的运行结果（{FROM_RUN}）相比")
    if from_log:
        named = "各乡镇" if len(from_log) == len(townships) else "、".join(from_log)
        parts.append(f"{named}无该周运行结果，{FROM_CASE_LOG}至 {day}：在办案件、其中脱贫户、通知书逾期"
                     "按当日已录入的台账事件重算，入学率无法回溯，留空")
    return "较上周：" + "；".join(parts) + "。"


_THIS_WEEK, _CHANGE = "本周", "较上周"
_BULLETIN_COLUMNS = [
    Column("排名", "rank", kind="int"),
    Column("乡镇", "township"),
    Column(_THIS_WEEK, "cases_open", group="在办辍学案件(件)", kind="int"),
    Column(_CHANGE, "cases_open_change", group="在办辍学案件(件)", kind="int"),
    Column(_THIS_WEEK, "cases_open_tuopin", group="其中脱贫户(件)", kind="int"),
    Column(_CHANGE, "cases_open_tuopin_change", group="其中脱贫户(件)", kind="int"),
    Column(_THIS_WEEK, "notices_overdue", group="通知书逾期(件)", kind="int"),
    Column(_CHANGE, "notices_overdue_change", group="通知书逾期(件)", kind="int"),
    Column(_THIS_WEEK, "enrollment_rate", group="入学率", kind="percent"),
    Column(_CHANGE, "enrollment_rate_change", group="入学率", kind="percent"),
    Column("今日无故缺勤(人)", "absent_unexcused_today", kind="int"),
    Column("在读学生(人)", "enrolled", kind="int"),
    Column("上周排名", "previous_rank", kind="int"),
    Column("较上周依据", "source"),
]


def _weekly_bulletin_sheet(county: Analysis) -> TableSheet:
    """周通报: the townships in the 乡镇排名 order (RANKING_RULE, above the table), each
    figure beside its change since a week before (``week_before``); 上周排名 ranks the
    townships' open cases of that day by the same rule."""
    if county.ranking is None:
        raise ValueError("the county's analysis carries no ranking: open it with "
                         "kcbx.notebook.open_county, or analyse the county (township None)")
    figures = county.ranking.assign(**{key: pd.to_numeric(county.ranking[key], errors="coerce")
                                       for key in RANKING_KEYS})
    current = ranked(figures).reset_index(drop=True)
    before, source_note = week_before(county)
    compared = before.dropna(subset=[RANKED_BY])
    previous = ranked(compared.rename_axis("township").reset_index()).set_index("township")["rank"]
    rows = current.assign(
        previous_rank=current["township"].map(previous),
        source=current["township"].map(before["source"]),
        **{f"{key}_change": current[key] - current["township"].map(before[key]) for key in WEEKLY_FIGURES})
    sheet = _official_table(county, "周通报", "控辍保学工作周通报（乡镇排名）", _BULLETIN_COLUMNS, rows,
                            notes=[f"排名：{RANKING_RULE}上周排名按同一规则排列一周前的在办案件。", source_note])
    return dataclasses.replace(sheet, subtitle=f"{sheet.subtitle}　排名：{RANKING_RULE}")
