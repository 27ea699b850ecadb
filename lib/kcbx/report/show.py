"""The report's sections, one function per mechanism, for the notebooks to display.

Each function takes an ``Analysis`` and returns a ``Section`` (HTML that a notebook
displays and nbconvert keeps). Identities are masked here, always: the HTML goes to
leadership; full identities go only into forms.xlsx. Tables are escaped
(``privacy.safe_table_html``), so ledger text never becomes live HTML.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from PIL import Image

from kcbx.calendar import calendar_coverage
from kcbx.measures.cases import CASE_STATES
from kcbx.measures.escalation import absence_not_reported, action_of_rung
from kcbx.measures.groups import GROUPS
from kcbx.metrics import Analysis
from kcbx.report import charts, privacy
from kcbx.report.fonts import use_cjk_font
from kcbx.schema import CASE_METHOD_NAMES

MAX_ROWS = 40  # longer lists are in forms.xlsx; the page stays readable on a phone

ID_COLUMNS = ("person_key", "id_number", "student_no", "身份证号", "学籍号")
NAME_COLUMNS = ("name", "guardian", "姓名", "监护人")


class Section:
    """An HTML fragment that Jupyter displays as is."""

    def __init__(self, body: str):
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __str__(self) -> str:
        return self.body


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def percent(value: float | None, digits: int = 1) -> str:
    """A rate as a percentage; '—' where it is null (denominator 0 or a row missing)."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def _palette_png(png: bytes) -> bytes:
    """The PNG with a 256-colour palette: a chart has few colours, and the county page on a
    phone over a poor connection weighs a third as much (a 98 kB chart becomes about 26 kB)."""
    with Image.open(io.BytesIO(png)) as image:
        # No dithering: flat bars and crisp text; the fast octree keeps a run's time flat.
        paletted = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                                 dither=Image.Dither.NONE)
    out = io.BytesIO()
    paletted.save(out, format="PNG")
    return out.getvalue()


def figure_html(figure, alt: str) -> str:
    """A matplotlib figure as an embedded PNG: the page needs no other file and no other host."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    encoded = base64.b64encode(_palette_png(buffer.getvalue())).decode("ascii")
    return f'<img class="kcbx-chart" alt="{_e(alt)}" src="data:image/png;base64,{encoded}">'


def _chart(make, *args, alt: str, **kwargs) -> str:
    use_cjk_font()
    return figure_html(make(*args, **kwargs), alt)


def cards(items: Sequence[tuple[str, str, str, str]]) -> str:
    """Key-figure cards: (metric key, label, value text, note). data-metric lets tests find them."""
    cells = "".join(
        f'<div class="kcbx-card" data-metric="{_e(key)}"><div class="kcbx-value">{_e(value)}</div>'
        f'<div class="kcbx-label">{_e(label)}</div>'
        + (f'<div class="kcbx-note">{_e(note)}</div>' if note else "") + "</div>"
        for key, label, value, note in items)
    return f'<div class="kcbx-cards">{cells}</div>'


def masked_table(frame: pd.DataFrame | None, columns: Mapping[str, str], *,
                 limit: int = MAX_ROWS, empty: str = "无") -> str:
    """The chosen columns, renamed to Chinese, identities masked, at most `limit` rows."""
    if frame is None or len(frame) == 0:
        return f'<p class="kcbx-empty">{_e(empty)}</p>'
    shown = frame[[c for c in columns if c in frame.columns]]
    shown = privacy.mask_frame(shown, name_columns=[c for c in NAME_COLUMNS if c in shown],
                               id_columns=[c for c in ID_COLUMNS if c in shown])
    shown = shown.rename(columns=columns)
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = shown[column].map({True: "是", False: "否"})
    shown = shown.astype(object)
    shown = shown.where(shown.notna(), "")
    more = ""
    if len(shown) > limit:
        more = f'<p class="kcbx-more">共 {len(shown)} 行，此处显示前 {limit} 行；完整名单见 forms.xlsx。</p>'
        shown = shown.head(limit)
    return f'<div class="kcbx-table">{privacy.safe_table_html(shown)}</div>{more}'


def _with_township(a: Analysis, columns: Mapping[str, str]) -> dict[str, str]:
    """The county report lists children of every township: say which, first after the name."""
    if a.township is not None:
        return dict(columns)
    items = list(columns.items())
    at = 1 if items and items[0][0] == "name" else 0
    return dict([*items[:at], ("township", "乡镇"), *items[at:]])


def _section(title: str, *parts: str) -> Section:
    return Section(f'<section class="kcbx-section"><h2>{_e(title)}</h2>{"".join(parts)}</section>')


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _alert(text: str | None) -> str:
    """A warning the reader must not miss (e.g. today's absences not uploaded); '' for None."""
    if not text:
        return ""
    return (f'<p class="kcbx-alert" role="alert" style="border-left: 4px solid #cf222e; '
            f'background: #ffebe9; color: #82071e; font-weight: 600; padding: 0.5rem 0.75rem;">'
            f'{_e(text)}</p>')


# --- sections ---------------------------------------------------------------------------


def header(a: Analysis) -> Section:
    """The title and the row of key figures leadership reads first."""
    m = a.metrics
    retention_note = "高于100%：有转入未核减" if m["retention_flag"] else ""
    clearance = a.clearance
    days_left = clearance.get("days_remaining")
    clearance_note = ("目标已过" if days_left is not None and days_left < 0 else
                      f"距清零目标 {days_left} 天" if days_left is not None else "未设目标日期")
    not_reported = absence_not_reported(m)
    items = [
        ("enrollment_rate", "入学率", percent(m["enrollment_rate"]),
         f"适龄 {m['school_age_population']} 人，疑似失学 {m['out_of_school_suspected']} 人"),
        ("retention_rate", "巩固率", percent(m["retention_rate"]), retention_note),
        ("dropout_rate", "辍学率(本学年)", percent(m["dropout_rate"], 2), f"在读 {m['enrolled']} 人"),
        ("cases_open", "在办辍学案件", str(m["cases_open"]),
         f"其中脱贫户 {m['cases_open_poverty']} 件"),
        ("clearance", "清零进度", percent(m["closure_rate"]), clearance_note),
        ("absent_unexcused_today", "今日无故缺勤", str(m["absent_unexcused_today"]),
         "今日非上课日" if not m["is_school_day"] else "数据尚未上报" if not_reported else ""),
    ]
    where = a.township or "全县"
    title = f"{a.params.county}{where if a.township else ''} 控辍保学日报"
    return Section(
        f'<header class="kcbx-header"><h1>{_e(title)}</h1>'
        f'<p class="kcbx-sub">{_e(where)} · 截至 {_e(a.as_of.isoformat())} · '
        f'本学期第 {m["school_days_so_far"]} 个上课日</p>{_alert(calendar_coverage(a.params).banner)}'
        f'{_alert(not_reported)}{cards(items)}</header>')


def enrolment(a: Analysis) -> Section:
    """在校生 by school and grade; the county's chart draws a bar per township."""
    by = a.enrolled_by_school_grade
    rows = ["school"] if a.township is not None else ["township", "school"]
    pivot = (by.pivot_table(index=rows, columns="grade", values="enrolled", aggfunc="sum",
                            fill_value=0) if len(by) else pd.DataFrame())
    if len(pivot):
        pivot.columns = [f"{g}年级" for g in pivot.columns]
        pivot["合计"] = pivot.sum(axis=1)
        pivot = pivot.reset_index().rename(columns={"township": "乡镇", "school": "学校"})
    table = (f'<div class="kcbx-table">{privacy.safe_table_html(pivot)}</div>'
             if len(pivot) else _p("无在读学生"))
    bar, title = ("school", "各校在校生（按年级）") if a.township is not None else ("township", "各乡镇在校生（按年级）")
    chart = _chart(charts.enrolled_by_grade, by.rename(columns={"enrolled": "pupils"}), by=bar,
                   title=title, alt=title)
    return _section("在校生（按学校、年级）",
                    _p(f"在读学生 {a.metrics['enrolled']} 人（去重），重复学籍 "
                       f"{a.metrics['duplicate_enrollments']} 人。"), table, chart)


def escalation(a: Analysis) -> Section:
    thresholds = list(a.params.escalation)
    actions = [action_of_rung(rung) for rung in range(1, len(thresholds) + 1)]
    counts = a.metrics["escalation"]
    ladder = pd.DataFrame({"连续无故缺勤(上课日)": [f"≥{n} 天" for n in thresholds],
                           "学生数": [counts[str(n)] for n in thresholds],
                           "应采取措施": actions})
    funnel = _chart(charts.escalation_funnel, counts, actions, alt="连续无故缺勤分级预警")
    trend = _chart(charts.daily_trend, a.daily_unexcused, alt="每日无故缺勤人数")
    streaks = a.streaks.sort_values(["streak", "school"], ascending=[False, True])
    pupils = a.roster[["person_key", "name", "township", "grade"]].drop_duplicates("person_key")
    streaks = streaks.merge(pupils, on="person_key", how="left")
    today = a.absent_today.merge(pupils, on="person_key", how="left")
    not_reported = absence_not_reported(a.metrics)
    # Before the ladder: its zeros, too, mean "not uploaded" on such a day.
    return _section(
        "缺勤预警（“135”分级）", _alert(not_reported),
        f'<div class="kcbx-table">{privacy.safe_table_html(ladder)}</div>', funnel,
        "<h3>连续无故缺勤学生</h3>",
        masked_table(streaks, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级",
                               "streak": "连续天数", "streak_start": "起始日", "action": "应采取措施"})),
        "<h3>日报：今日无故未到校</h3>",
        masked_table(today, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级",
                             "absence_type": "类型", "note": "备注"}),
                     empty=("今日非上课日" if not a.metrics["is_school_day"] else
                            "暂无今日缺勤数据" if not_reported else "今日无无故缺勤")),
        trend)


def _state_counts_long(states_over_time: pd.DataFrame) -> pd.DataFrame:
    present = [s for s in CASE_STATES if s in states_over_time.columns]
    return states_over_time.melt(id_vars="date", value_vars=present, var_name="state",
                                 value_name="cases")


def cases(a: Analysis) -> Section:
    m = a.metrics
    by_state = a.case_breakdowns["state"]
    state_table = by_state[["state_label", "cases"]].rename(
        columns={"state_label": "状态", "cases": "案件数"})
    over_time = _chart(charts.case_states_over_time, _state_counts_long(a.states_over_time),
                       CASE_STATES, alt="劝返台账案件状态")
    open_cases = a.cases[a.cases["state"] == "open"].sort_values("opened")
    breakdowns = []
    for column, label in (("cause", "辍学原因"), ("method", "劝返方式(四个一批)"), ("placement", "复学安置方式")):
        frame = a.case_breakdowns[column]
        if column == "method":
            frame = frame.assign(method=frame["method"].map(lambda v: CASE_METHOD_NAMES.get(v, v)))
        shown = frame[[column, "cases"]].rename(columns={column: label, "cases": "案件数"})
        breakdowns.append(f'<div class="kcbx-table">{privacy.safe_table_html(shown)}</div>')
    summary = (f"案件 {m['cases_total']} 件：在办 {m['cases_open']}（脱贫户 {m['cases_open_poverty']}），"
               f"已复学 {m['cases_returned']}；劝返率 {percent(m['return_rate'])}，"
               f"清零进度 {percent(m['closure_rate'])}；限期复学通知书逾期 {m['notices_overdue']} 件。")
    missing_owner = a.cases[a.cases["missing_owner"]]
    return _section(
        "辍学案件（一生一案、动态销号）", _p(summary),
        f'<div class="kcbx-table">{privacy.safe_table_html(state_table)}</div>', over_time,
        "<h3>在办案件与双线责任人</h3>",
        masked_table(open_cases, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级", "opened": "登记日",
                                  "cause": "辍学原因", "admin_owner": "行政线责任人",
                                  "edu_owner": "教育线责任人", "attempts": "劝返次数",
                                  "notice_due": "复学期限", "notice_overdue": "通知书逾期"}),
                     empty="无在办案件"),
        "<h3>责任人缺失（双线未落实）</h3>",
        masked_table(missing_owner, _with_township(a, {"name": "姓名", "school": "学校", "admin_owner": "行政线责任人",
                                     "edu_owner": "教育线责任人", "state_label": "状态"}), empty="无"),
        "<h3>原因、方式与安置</h3>", "".join(breakdowns))


def matching(a: Analysis) -> Section:
    m = a.metrics
    return _section(
        "四查三比对",
        _p(f"户籍适龄儿童 {m['school_age_population']} 人，疑似失学 {m['out_of_school_suspected']} 人，"
           f"入学率 {percent(m['enrollment_rate'])}；重复学籍 {m['duplicate_enrollments']} 人。"),
        "<h3>疑似失学（户籍有、学籍无）</h3>",
        masked_table(a.out_of_school, _with_township(a, {"name": "姓名", "village": "村", "age": "年龄", "reason": "原因"}),
                     empty="无疑似失学儿童"),
        "<h3>重复学籍</h3>",
        masked_table(a.duplicates, {"name": "姓名", "schools": "学校", "n_schools": "学校数"}, empty="无"),
        "<h3>脱贫户、残疾儿童无学籍</h3>",
        masked_table(pd.concat([a.unenrolled_poverty.assign(register="脱贫户"),
                                a.unenrolled_disability.assign(register="残疾")], ignore_index=True),
                     _with_township(a, {"register": "名册", "name": "姓名", "age": "年龄", "reason": "原因"}),
                     empty="无"))


def rates(a: Analysis) -> Section:
    m = a.metrics
    detail = m["retention_detail"]
    flag = (" 巩固率高于100%：转入学生未核减，如实显示、不封顶。" if m["retention_flag"] else "")
    cohort = m["cohort"]
    grades = [str(g) for g in range(1, 10)]
    table = pd.DataFrame({
        "年级": [f"{g}年级" for g in grades],
        "升级率": [percent(cohort["promotion"].get(g)) for g in grades],
        "留级率": [percent(cohort["repetition"].get(g)) for g in grades],
        "辍学率": [percent(cohort["dropout"].get(g)) for g in grades],
    })
    return _section(
        "巩固率与年级队列",
        _p(f"巩固率 {percent(m['retention_rate'])}：本学年九年级 {detail.get('grade9')} 人 / "
           f"{detail.get('grade1_year')}学年一年级 {detail.get('grade1')} 人。{flag}"),
        _p(f"辍学率（本学年至今）{percent(m['dropout_rate'], 2)}。"
           f"UNESCO 重构队列法：到达九年级的保留率 {percent(cohort['survival_to_grade_9'])}。"),
        f'<div class="kcbx-table">{privacy.safe_table_html(table)}</div>')


def key_groups(a: Analysis) -> Section:
    rows = [{"群体": GROUPS[g], "在读": v["enrolled"], "在办案件": v["cases_open"],
             f"连续缺勤≥{max(a.params.escalation)}天": v["escalated"]}
            for g, v in a.metrics["groups"].items()]
    return _section("重点群体", f'<div class="kcbx-table">{privacy.safe_table_html(pd.DataFrame(rows))}</div>')


def home_teaching(a: Analysis) -> Section:
    s = a.home_teaching_summary
    months = "、".join(s.get("months_assessed") or []) or "尚无已结束的整月"
    not_ok = a.home_teaching[~a.home_teaching["compliant"]] if len(a.home_teaching) else a.home_teaching
    return _section(
        "送教上门",
        _p(f"应送教 {s['due']} 人，达标 {s['compliant']} 人（考核月份：{months}；每月至少 "
           f"{a.params.home_teaching['visits_per_month']} 次、每次 {a.params.home_teaching['hours_per_visit']} 课时）；"
           f"经费应拨 {s.get('funding_due', 0):,.0f} 元/年。"),
        "<h3>未达标月份</h3>",
        masked_table(not_ok, _with_township(a, {"name": "姓名", "month": "月份", "visits": "送教次数", "hours": "课时"}),
                     empty="全部达标"),
        "<h3>送教教师工作量</h3>",
        masked_table(a.teacher_workload, {c: c for c in a.teacher_workload.columns}, empty="无送教记录"))


def subsidy(a: Analysis) -> Section:
    m = a.metrics
    short = a.subsidy[a.subsidy["short"]] if len(a.subsidy) else a.subsidy
    return _section(
        "资助（应助尽助）",
        _p(f"应资助（在读脱贫户学生）{m['subsidy_eligible']} 人，本学期生活补助未足额 {m['subsidy_short']} 人，"
           f"合计少发 {m['subsidy_missing_yuan']:,.0f} 元。"),
        masked_table(short, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级", "term": "学期",
                             "due": "应发(元)", "paid": "实发(元)", "missing": "少发(元)"}), empty="全部足额"))


def transition(a: Analysis) -> Section:
    missing = a.metrics["transition_missing"]
    if missing is None:
        return _section("小升初衔接", _p("学籍台账中没有上一学年的记录，无法核对。"))
    return _section(
        "小升初衔接", _p(f"上学年六年级学生中，本学年未见在读、亦无佐证的 {missing} 人。"),
        masked_table(a.transition, _with_township(a, {"name": "姓名", "school": "原学校", "status": "上学年状态",
                                    "reason": "原因"}), empty="全部衔接"))


def _mask_rejected_value(frame: pd.DataFrame) -> pd.DataFrame:
    """A rejected row's value may be an ID or a name: mask it like the column it came from."""
    if frame.empty:
        return frame
    column = frame["column"].astype(str)
    value = frame["value"]
    is_id = column.str.contains("身份证|证件|学籍号|person_key|id_number|student_no", regex=True)
    is_name = column.str.contains("姓名|监护人|name|guardian", regex=True)
    masked = value.where(~is_id, value.map(privacy.mask_id))
    masked = masked.where(~is_name, value.map(privacy.mask_name))
    return frame.assign(value=masked.map(privacy.mask_ids_in_text))


def data_quality(a: Analysis) -> Section:
    log = a.ingest_log
    totals = log[["rows_read", "rows_accepted", "rows_rejected"]].fillna(0).sum()
    return _section(
        "数据问题",
        _p(f"本报告涉及台账文件 {len(log)} 个：读入 {int(totals['rows_read'])} 行，接受 "
           f"{int(totals['rows_accepted'])} 行，拒收 {int(totals['rows_rejected'])} 行。"
           f"全县合计读入 {a.metrics['rows_read']} 行、拒收 {a.metrics['rows_rejected']} 行。"),
        masked_table(log, {"kind": "台账", "file": "文件", "rows_read": "读入", "rows_accepted": "接受",
                           "rows_rejected": "拒收", "error": "错误"}, limit=200),
        "<h3>拒收的行</h3>",
        masked_table(_mask_rejected_value(a.rejected),
                     {"file": "文件", "sheet": "工作表", "row": "行号", "column": "列", "value": "值",
                      "reason": "原因"}, empty="无"),
        "<h3>已接受但需核查</h3>",
        masked_table(a.findings.assign(detail=a.findings["detail"].map(privacy.mask_ids_in_text))
                     if len(a.findings) else a.findings, {"file": "文件", "sheet": "工作表", "row": "行号", "finding": "问题",
                                  "detail": "说明"}, empty="无"))


TOWNSHIP_SECTIONS = (header, escalation, cases, matching, rates, key_groups, home_teaching,
                     subsidy, transition, enrolment, data_quality)


def report(a: Analysis, sections: Iterable = TOWNSHIP_SECTIONS) -> Section:
    """Every section in report order (for a quick look in JupyterLab)."""
    return Section("".join(section(a).body for section in sections))


RANKING_COLUMNS = {"township": "乡镇", "cases_open": "在办案件", "cases_open_poverty": "脱贫户在办",
                   "notices_overdue": "通知书逾期", "enrollment_rate": "入学率",
                   "absent_unexcused_today": "今日无故缺勤", "enrolled": "在读"}
# The sorter's first click puts the most urgent first: the largest count, but the lowest 入学率.
RANKING_ASCENDING_FIRST = ("乡镇", "入学率")


def ranking(a: Analysis, figures: pd.DataFrame) -> Section:
    """周通报: townships ranked by open cases, poverty cases open, overdue notices and 入学率.

    One table, written most open cases first (as printed); in the page a click on a column
    heading re-sorts it (kcbx_sort.js).
    """
    if figures.empty:
        return _section("乡镇排名（周通报）", _p("暂无乡镇数据"))
    order = figures.assign(_open=figures["cases_open"].astype(float)).sort_values(
        ["_open", "township"], ascending=[False, True], na_position="last").index
    shown = figures.loc[order, list(RANKING_COLUMNS)]
    shown = shown.assign(enrollment_rate=shown["enrollment_rate"].map(percent)).rename(columns=RANKING_COLUMNS)
    table = privacy.safe_table_html(shown, classes="kcbx-sortable", table_attributes={
        "data-ascending-first": "|".join(RANKING_ASCENDING_FIRST)})
    chart = _chart(charts.township_ranking, figures, "cases_open", "各乡镇在办辍学案件", alt="各乡镇在办辍学案件")
    return _section("乡镇排名（周通报）", _p("按在办案件从多到少排列；点击列标题可按该列排序，再点一次反向。"),
                    f'<div class="kcbx-table">{table}</div>', chart)


TREND_KEYS = {"cases_open": "在办案件", "absent_unexcused_today": "今日无故缺勤",
              "out_of_school_suspected": "疑似失学"}


def trends(a: Analysis, history: pd.DataFrame) -> Section:
    """周通报 / 月调度: the county's figures at the last run of each week and of each month.

    ``history`` holds earlier runs (``kcbx.report.history.load_history``); this run's own
    figures are the latest point and replace an earlier run of the same as_of.
    """
    this_run = pd.DataFrame([{"as_of": pd.Timestamp(a.as_of), **{k: a.metrics.get(k) for k in TREND_KEYS}}])
    earlier = history[history["township"].isna() & (history["as_of"] < this_run["as_of"][0])] \
        if len(history) else history
    if earlier.empty:
        return _section("趋势（周通报、月调度）", _p("本次之前没有完整的运行，暂无趋势。"))
    county = pd.concat([earlier[["as_of", *TREND_KEYS]], this_run], ignore_index=True).sort_values("as_of")
    parts = []
    for title, period in (("按周（每周最后一次运行）", "W"), ("按月（每月最后一次运行）", "M")):
        last = county.groupby(county["as_of"].dt.to_period(period)).tail(1)
        table = last[["as_of", *TREND_KEYS]].rename(columns={"as_of": "日期", **TREND_KEYS})
        table["日期"] = table["日期"].dt.strftime("%Y-%m-%d")
        parts.append(f"<h3>{_e(title)}</h3><div class='kcbx-table'>{privacy.safe_table_html(table)}</div>")
    daily = county.rename(columns={"as_of": "date", "cases_open": "pupils"})[["date", "pupils"]]
    chart = _chart(charts.daily_trend, daily, title="全县在办辍学案件（历次运行）", alt="在办案件趋势")
    return _section("趋势（周通报、月调度）", *parts, chart)
