"""周通报, the county's only: the townships ranked worst first, each figure beside its change
over a week."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.analysis.cut import WEEK
from kcbx.analysis.model import Analysis, no_history
from kcbx.analysis.ranking import RANKED_BY, RANKING_KEYS
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import _official_table


def _ranked(figures: pd.DataFrame) -> pd.DataFrame:
    """figures (one row per township, RANKING_KEYS) worst first, with rank: equal figures share it."""
    keys = list(RANKED_BY)
    figures = figures.assign(**{key: pd.to_numeric(figures[key], errors="coerce") for key in RANKING_KEYS})
    ordered = figures.sort_values(keys, ascending=list(RANKED_BY.values()), kind="stable",
                                  na_position="last").reset_index(drop=True)
    position = pd.Series(range(1, len(ordered) + 1), index=ordered.index)
    rank = position.groupby([ordered[key] for key in keys], dropna=False, sort=False).transform("min")
    return ordered.assign(rank=rank)


def _week_before(earlier: pd.DataFrame, as_of: dt.date) -> tuple[dt.date | None, pd.DataFrame]:
    """The townships' figures of the latest earlier run at least a week before as_of, and its day."""
    runs = earlier[earlier["township"].notna() & (earlier["as_of"] <= pd.Timestamp(as_of - WEEK))]
    if runs.empty:
        return None, pd.DataFrame(columns=["township", *RANKING_KEYS])
    day = runs["as_of"].max()
    return day.date(), runs[runs["as_of"].eq(day)].reindex(columns=["township", *RANKING_KEYS])


_THIS_WEEK, _CHANGE = "本周", "较上周"
_BULLETIN_COLUMNS = [
    Column("排名", "rank", kind="int"),
    Column("乡镇", "township"),
    Column(_THIS_WEEK, "cases_open", group="在办辍学案件(件)", kind="int"),
    Column(_CHANGE, "cases_open_change", group="在办辍学案件(件)", kind="int"),
    Column(_THIS_WEEK, "cases_open_poverty", group="其中脱贫户(件)", kind="int"),
    Column(_CHANGE, "cases_open_poverty_change", group="其中脱贫户(件)", kind="int"),
    Column(_THIS_WEEK, "notices_overdue", group="通知书逾期(件)", kind="int"),
    Column(_CHANGE, "notices_overdue_change", group="通知书逾期(件)", kind="int"),
    Column(_THIS_WEEK, "enrollment_rate", group="入学率", kind="percent"),
    Column(_CHANGE, "enrollment_rate_change", group="入学率", kind="percent"),
    Column("今日无故缺勤(人)", "absent_unexcused_today", kind="int"),
    Column("在读学生(人)", "enrolled", kind="int"),
    Column("上周排名", "previous_rank", kind="int"),
]


def _weekly_bulletin_sheet(county: Analysis) -> TableSheet:
    """周通报: the townships ranked worst first, each figure beside its change since the run a week
    before (the latest run at least 7 days earlier; blank when there is none or the township
    was not in it)."""
    if county.ranking is None:
        raise ValueError("the county's analysis carries no ranking: open it with "
                         "kcbx.notebook.open_county, or analyse the county (township None)")
    current = _ranked(county.ranking)
    day, before = _week_before(no_history() if county.history is None else county.history, county.as_of)
    previous = _ranked(before).set_index("township")
    rows = current.assign(
        previous_rank=current["township"].map(previous["rank"]),
        **{f"{key}_change": current[key] - current["township"].map(previous[key]) for key in RANKED_BY})
    compared = (f"较上周：与 {day.isoformat()} 的运行结果相比。" if day is not None else
                f"较上周：无 {(county.as_of - WEEK).isoformat()} 或更早的运行结果，暂不比较。")
    return _official_table(
        county, "周通报", "控辍保学工作周通报（乡镇排名）", _BULLETIN_COLUMNS, rows,
        notes=["排名：在办辍学案件多者在前；相同时依次比较其中脱贫户、通知书逾期（多者在前）、入学率（低者在前）；"
               "各项相同的并列。", compared])
