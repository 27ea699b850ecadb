"""``Analysis``: everything one report shows, metrics.json plus the tables behind each
figure; ``help(a)`` describes every table (``kcbx.analysis.fields``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from kcbx.analysis import fields
from kcbx.params import Params

COUNTY_WIDE = "全县"  # the county as a whole, where a township's name would stand


def place_name(county: str, township: str | None) -> str:
    """Whose report it is: "示例县城厢镇", or "示例县全县" for the county's own."""
    return f"{county}{township or COUNTY_WIDE}"


def report_title(county: str, township: str | None, as_of: dt.date) -> str:
    """The title of a report, on its page and in the index: "示例县城厢镇 控辍保学报告（截至
    2021-10-15）", the county's "示例县 控辍保学汇总报告（截至 2021-10-15）"."""
    if township:
        return f"{place_name(county, township)} 控辍保学报告（截至 {as_of.isoformat()}）"
    return f"{county} 控辍保学汇总报告（截至 {as_of.isoformat()}）"


def no_history() -> pd.DataFrame:
    """The ``history`` of a county with no earlier complete run: its two key columns, empty."""
    return pd.DataFrame({"as_of": pd.Series(dtype="datetime64[ns]"), "township": pd.Series(dtype=object)})


@dataclass
class Analysis:
    """Everything one report shows: metrics.json plus the tables behind each figure.

    Tables hold full identities; ``kcbx.report`` masks them for the HTML.
    """

    params: Params
    as_of: dt.date
    township: str | None
    metrics: dict
    school_days: pd.DatetimeIndex
    roster: pd.DataFrame                  # current roster rows of the township
    enrolled_by_school_grade: pd.DataFrame
    streaks: pd.DataFrame                 # pupils with a streak ≥ 1, level and action owed
    absent_today: pd.DataFrame            # 日报: unexcused today
    daily_unexcused: pd.DataFrame
    cases: pd.DataFrame                   # one row per case (case_table), township attributed
    case_events: pd.DataFrame             # the events of those cases, with case_id
    case_breakdowns: dict[str, pd.DataFrame]
    clearance: dict
    states_over_time: pd.DataFrame
    school_age: pd.DataFrame              # 适龄儿童台账
    out_of_school: pd.DataFrame           # 疑似失学
    duplicates: pd.DataFrame
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    home_teaching: pd.DataFrame           # child × month compliance
    home_teaching_summary: dict
    teacher_workload: pd.DataFrame
    subsidy: pd.DataFrame
    subsidy_not_due: pd.DataFrame         # 不应发: paid 生活补助 though not eligible
    transition: pd.DataFrame | None
    person_groups: pd.DataFrame           # the township's pupils and case children
    findings: pd.DataFrame
    rejected: pd.DataFrame
    ingest_log: pd.DataFrame
    day_absences: pd.DataFrame            # 日报 出勤统计: every pupil absent today, any type
    home_teaching_due: pd.DataFrame       # the disability register's 送教上门 children
    poverty: pd.DataFrame                 # person_key, category: the township's people in the register
    notices_missing: pd.DataFrame         # at the ladder's top rung without a 限期复学通知书
    # 预警名单: the pupils high or medium on as_of, highest score first (warning.listed_pupils):
    # person_key, name, id_number, student_no, township, school, grade, class_name, left_behind,
    # age, window_days, absent_days, unexcused_days, one bool per rule (warning.RULES), score,
    # level ("high", "medium"), guardian, phone
    early_warning: pd.DataFrame
    # 合规检查: one row per child or case breaking a rule (kcbx.measures.compliance), by rule
    compliance: pd.DataFrame
    disability: pd.DataFrame              # the township's disability register rows (残疾儿童安置台账)
    register_roster: pd.DataFrame         # current roster rows, any township, of its school-age and disabled children
    school_reporting: pd.DataFrame        # 日报 上报情况: each school's report today and its last (零报告)
    # The county's only (None for a township's): the 周通报 ranking, one row per township with
    # its RANKING_KEYS figures, from the same county pass; and the county's figures in earlier
    # complete runs (as_of ≤ this one). A run's county pass fills both; so does
    # ``notebook.open_county`` in JupyterLab.
    ranking: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    # A line for each ledger file that could not be read at the last ingest and whose earlier
    # rows this report uses ("一小学籍数据未更新（文件无法读取，沿用 10月14日 数据）").
    stale: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return place_name(self.params.county, self.township)

    # Typed in Jupyter or a console: a short summary, no identities (kcbx.analysis.summary).
    def _repr_html_(self) -> str:
        from kcbx.analysis.summary import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        from kcbx.analysis.summary import summary_text

        return summary_text(self)


Analysis.__doc__ += fields.docstring()  # help(a), a? in Jupyter: every table described


