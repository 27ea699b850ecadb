"""The report's sections, one function per mechanism, for the notebooks to display.

Each function takes an ``Analysis`` and returns a ``Section`` (HTML that a notebook
displays and nbconvert keeps). Identities are masked here, always: the HTML goes to
leadership; full identities go only into forms.xlsx. Tables are escaped
(``privacy.safe_table_html``), so ledger text never becomes live HTML, and every text cell
passes the page's free-text masking there (IDs, phones and the names of the Analysis's pupils
and guardians): each section runs inside ``privacy.page_masking(a)`` (``_masks_known_names``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from kcbx.analysis.attribution import problems_of_report
from kcbx.analysis.cut import tuopin_keys
from kcbx.analysis.model import COUNTY_WIDE, Analysis, no_history
from kcbx.analysis.ranking import RANKING_KEYS, RANKING_RULE, ranked
from kcbx.calendar import calendar_coverage
from kcbx.measures import cases as case_measures
from kcbx.measures import compliance as compliance_rules
from kcbx.measures import verification, warning
from kcbx.measures.cases import CASE_STATES
from kcbx.measures.escalation import absence_not_reported, action_of_rung, ladder_name
from kcbx.measures.groups import GROUPS
from kcbx.measures.matching import GRADE_NAMES, STANDINGS, grade_names
from kcbx.measures.reporting import ZERO_REPORTS_REQUIRED, not_reported_alert, not_reported_schools
from kcbx.outputs import INDEX_FILE
from kcbx.report import charts, privacy
from kcbx.report.excel import plain_number
from kcbx.report.fonts import glyphs_checked, use_cjk_font
from kcbx.schema import CASE_METHOD_NAMES, KIND_LABELS

MAX_ROWS = 20  # longer lists are whole in forms.xlsx; the page stays readable on a phone
# The sections' own styles (cards, notes, the funnel band): the header carries them, so they
# hold in JupyterLab too, where report.html's <head> is absent. Only .kcbx-* selectors.
SECTION_STYLE = (f"<style>{(Path(__file__).parent / 'templates' / 'kcbx_sections.css').read_text(encoding='utf-8')}"
                 "</style>")

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


def _masks_known_names(section):
    """A section run inside its page's masking (``privacy.page_masking``): every table it
    renders through ``privacy.safe_table_html`` masks IDs, phones and the known names of its
    Analysis in free text (the Analysis's Masker is built once and shared by its sections)."""

    @functools.wraps(section)
    def masked(a, *args, **kwargs):
        with privacy.page_masking(a):
            return section(a, *args, **kwargs)

    masked.masks_known_names = True  # tests/unit/report/test_free_text.py: every section has it
    return masked


def percent(value: float | None, digits: int = 1) -> str:
    """A rate as a percentage; '—' where it is null (denominator 0 or a row missing)."""
    if value is None or pd.isna(value):
        return "—"
    text = f"{value * 100:.{digits}f}%"
    # A rate a hair below zero rounds to "-0.0%": it is 0.0%.
    return text[1:] if text.startswith("-") and float(text[:-1]) == 0 else text


def _count(value: float) -> str:
    """A count or a mean of counts: 5, 9.6 (no spurious .0)."""
    return f"{value:.1f}".removesuffix(".0")


def _or_dash(value) -> str:
    """A figure, or '—' where the ledger gives none (never the word None)."""
    return "—" if value is None or pd.isna(value) else str(value)


def grade_name(grade, names: Mapping[int, str] = GRADE_NAMES) -> str:
    """一年级 … 九年级 (or 初一 … 初三, see grade_names_of); blank when the grade is unknown."""
    if grade is None or pd.isna(grade):
        return ""
    return names.get(int(grade), f"{grade}年级")


def grade_names_of(a: Analysis) -> dict[int, str]:
    """The county's grade names (params junior_grade_names: 七年级 or 初一)."""
    return grade_names(a.params.junior_grade_names)


def palette_png(figure) -> bytes:
    """The figure drawn once and written as a PNG with a 256-colour palette: a chart has few
    colours, and the county page on a phone over a poor connection weighs a third as much (a
    98 kB chart becomes about 26 kB). The pixels go straight from the canvas to the palette:
    no full-colour PNG is encoded and read back."""
    canvas = FigureCanvasAgg(figure)  # its layout is "constrained" already: nothing to trim
    with glyphs_checked():
        canvas.draw()
    pixels = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba())
    # No dithering: flat bars and crisp text; the fast octree keeps a run's time flat.
    paletted = pixels.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
    out = io.BytesIO()
    paletted.save(out, format="PNG")
    return out.getvalue()


def figure_html(figure, alt: str) -> str:
    """A matplotlib figure as an embedded PNG: the page needs no other file and no other host."""
    encoded = base64.b64encode(palette_png(figure)).decode("ascii")
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
                 limit: int = MAX_ROWS, empty: str = "无",
                 grade_names: Mapping[int, str] = GRADE_NAMES, sheet: str | None = None) -> str:
    """The chosen columns, renamed to Chinese, identities masked, at most `limit` rows; a longer
    list says how long it is and which sheet of forms.xlsx holds it whole (``sheet``)."""
    if frame is None or len(frame) == 0:
        return f'<p class="kcbx-empty">{_e(empty)}</p>'
    # Only the rows shown are masked and formatted: a county list runs to thousands.
    shown = frame[[c for c in columns if c in frame.columns]].head(limit)
    shown = privacy.mask_frame(shown, name_columns=[c for c in NAME_COLUMNS if c in shown],
                               id_columns=[c for c in ID_COLUMNS if c in shown])
    if "grade" in shown.columns:  # 三年级, not 3
        shown = shown.assign(grade=shown["grade"].map(lambda grade: grade_name(grade, grade_names)))
    shown = shown.rename(columns=columns)
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = shown[column].map({True: "是", False: "否"})
        elif pd.api.types.is_float_dtype(shown[column]):  # 687.5 and 3, never 688 or 3.0
            shown[column] = shown[column].map(plain_number, na_action="ignore")
    shown = shown.astype(object)
    shown = shown.where(shown.notna(), "")
    more = ""
    if len(frame) > limit:
        unit = "人" if "name" in columns else "行"
        where = f"表格（forms.xlsx）「{sheet}」" if sheet else "表格（forms.xlsx）"
        more = f'<p class="kcbx-more">共 {len(frame)} {unit}，此处显示前 {limit} {unit}；完整名单见 {_e(where)}。</p>'
    return f'<div class="kcbx-table">{privacy.safe_table_html(shown)}</div>{more}'


def _with_township(a: Analysis, columns: Mapping[str, str]) -> dict[str, str]:
    """The county report lists children of every township: say which, first after the name."""
    if a.township is not None:
        return dict(columns)
    items = list(columns.items())
    at = 1 if items and items[0][0] == "name" else 0
    return dict([*items[:at], ("township", "乡镇"), *items[at:]])


# The page's table of contents: each section's anchor (its function's name) and short name,
# in page order; the county's page also has the first two.
CONTENTS = {"ranking": "乡镇排名", "trends": "趋势", "escalation": "缺勤预警", "early_warning": "预警名单",
            "cases": "辍学案件", "compliance": "合规检查", "matching": "四查三比对", "rates": "巩固率", "key_groups": "重点群体",
            "home_teaching": "送教上门", "subsidy": "资助", "transition": "小升初", "enrolment": "在校生",
            "data_quality": "数据说明"}
COUNTY_ONLY_SECTIONS = ("ranking", "trends")
TOP = "top"  # the header's anchor: every section links back to it


def contents(county: bool) -> str:
    """The table of contents: a link to each section of the page."""
    links = [f'<a href="#{anchor}">{_e(name)}</a>' for anchor, name in CONTENTS.items()
             if county or anchor not in COUNTY_ONLY_SECTIONS]
    return f'<nav class="kcbx-contents">目录：{" · ".join(links)}</nav>'


def _section(anchor: str, title: str, *parts: str) -> Section:
    return Section(f'<section class="kcbx-section" id="{_e(anchor)}"><h2>{_e(title)}</h2>{"".join(parts)}'
                   f'<p class="kcbx-back"><a href="#{TOP}">↑ 回到目录</a></p></section>')


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


def _return_rate_note(m: dict) -> str:
    """劝返率's parts and scope: "累计（含以前学期登记）：已复学 1 / 案件 3，其中核减 1 件（死亡 1）" —
    return_rate counts every case to date, and the cases that are no dropout (转学, 送教上门,
    死亡) stay in its denominator: named as 核减, so nobody reads them as children still out."""
    by_state = m["cases_by_state"]
    written_off = {"转学": by_state["transferred"], "送教上门": by_state["home_teaching"], "死亡": by_state["died"]}
    written_off_total = sum(written_off.values())
    parts = "、".join(f"{label} {n}" for label, n in written_off.items() if n)
    return (f"累计（含以前学期登记）：已复学 {m['cases_returned']} / 案件 {m['cases_total']}"
            + (f"，其中核减 {written_off_total} 件（{parts}，非辍学）" if written_off_total else ""))


STRUCK_UNVERIFIED = "销号待核实（无结果、销号前无劝返记录）"


def _clearance_note(a: Analysis) -> str:
    """清零进度: the number still out, and the days left to the target date or overdue."""
    clearance = a.clearance
    still_out = f"仍未复学 {clearance['open_cases']} 人"
    days_left = clearance.get("days_remaining")
    if days_left is None:
        progress = f"{still_out}，未设清零目标日期"
    elif clearance["met"]:
        progress = _clearance_blockers_words(a.metrics["clearance_blockers"], max(a.params.escalation))
    elif days_left < 0:
        progress = f"{still_out}，已超过清零目标（{clearance['target_date']}）{-days_left} 天"
    else:
        progress = f"{still_out}，距清零目标（{clearance['target_date']}）还有 {days_left} 天"
    # A 销号 with no outcome and no 劝返 action is not proof the child is back: said apart.
    unverified = clearance["struck_unverified"]
    return progress + (f"；另有 {unverified} 件销号无结果、销号前无劝返记录，待核实，不算清零"
                       if unverified else "")


def _clearance_blockers_words(blockers: Mapping[str, int], top_rung: int) -> str:
    """已清零 only when nothing stands in the way: no open case, nobody at the top rung without a
    case, no unverified 疑似失学 child; else what does, e.g. "在办案件 0；达5天未立案 1 人；疑似失学待核查 7 人"."""
    if not any(blockers.values()):
        return "已清零"
    words = [f"在办案件 {blockers['cases_open']}"]
    if blockers["top_rung_without_case"]:
        words.append(f"达{top_rung}天未立案 {blockers['top_rung_without_case']} 人")
    if blockers["suspected_unverified"]:
        words.append(f"疑似失学待核查 {blockers['suspected_unverified']} 人")
    return "；".join(words) + "：尚未清零"


def trend_alerts(a: Analysis) -> list[str]:
    """The header's alerts on trends, in words: an unexcused-absence surge today, or more open
    cases than a week before (metrics ``unexcused_surge``, ``open_cases_week_ago``)."""
    m = a.metrics
    alerts = []
    surge = m.get("unexcused_surge")
    if surge and surge["rising"] and not absence_not_reported(m):
        alerts.append(f"今日无故缺勤 {surge['today']} 人，较前{surge['previous_days']}个上课日平均 "
                      f"{_count(surge['previous_mean'])} 人上升")
    week_ago = m.get("open_cases_week_ago")
    if week_ago and m["cases_open"] > week_ago["open"]:
        day = dt.date.fromisoformat(week_ago["date"])
        alerts.append(f"在办辍学案件 {m['cases_open']} 件，"
                      + _change_words(f"一周前（{day.month}月{day.day}日）", week_ago["open"], m["cases_open"]))
    return alerts


TODAY_AT_MOST = 5  # 今日需处理: what a leader can take in at a glance


TOWNSHIPS_NAMED = 3  # the county's 今日需处理 names the townships with most, then "等 N 个乡镇"


def todays_actions(metrics: Mapping, top_rung: int,
                   where: Mapping[str, Mapping[str, int]] | None = None) -> list[str]:
    """今日需处理: at most TODAY_AT_MOST items, most urgent first, each when its figure is not
    zero: the count, what is owed, and who acts. ``top_rung``: the ladder's last threshold (days).

    ``where`` (the county's): for an item's key, the count in each township; the item then
    names the townships with most, so the county's page says who is behind."""
    warning_high = (metrics.get("early_warning") or {}).get("high") or 0
    absent_today = 0 if absence_not_reported(metrics) else metrics.get("absent_unexcused_today") or 0
    candidates = [
        ("notices_missing", metrics.get("notices_missing") or 0,
         "{n} 名学生连续无故缺勤已达{days}天，尚未发限期复学通知书或立案（乡镇专干）"),
        ("notices_overdue", metrics.get("notices_overdue") or 0, "{n} 份限期复学通知书逾期，学生仍未复学（包保干部）"),
        ("warning_high", warning_high, "{n} 名学生辍学风险为“高”，本周内家访（班主任）"),
        ("absent_today", absent_today, "{n} 名学生今日无故缺勤，当日联系家长（班主任）"),
        ("out_of_school_suspected", metrics.get("out_of_school_suspected") or 0, "{n} 名疑似失学儿童待核查（村）"),
    ]
    return [text.format(n=count, days=top_rung) + _townships_words((where or {}).get(key))
            for key, count, text in candidates if count][:TODAY_AT_MOST]


def _townships_words(counts: Mapping[str, int] | None) -> str:
    """"：龙合镇 3、城厢镇 2 等 4 个乡镇" — the townships with most first (ties by name)."""
    named = sorted(((n, t) for t, n in (counts or {}).items() if n), key=lambda item: (-item[0], item[1]))
    if not named:
        return ""
    words = "、".join(f"{township} {n}" for n, township in named[:TOWNSHIPS_NAMED])
    return f"：{words}" + (f" 等 {len(named)} 个乡镇" if len(named) > TOWNSHIPS_NAMED else "")


def actions_by_township(a: Analysis) -> dict[str, dict[str, int]]:
    """For the county's 今日需处理: each item's count in each township, from the same rows the
    county's figures count (a pupil's township is the roster's; a child's, the register's)."""
    if a.township is not None:
        return {}
    pupils = a.roster[["person_key", "township"]].drop_duplicates("person_key")

    def by_township(frame: pd.DataFrame) -> dict[str, int]:
        if "township" not in frame.columns:
            frame = frame.merge(pupils, on="person_key", how="left")
        return {str(t): int(n) for t, n in frame["township"].value_counts().items()}

    return {"notices_missing": by_township(a.notices_missing),
            "notices_overdue": by_township(a.cases[a.cases["notice_overdue"].fillna(False).astype(bool)]),
            "warning_high": by_township(a.early_warning[a.early_warning["level"] == "high"]),
            "absent_today": by_township(a.absent_today),
            "out_of_school_suspected": by_township(a.out_of_school)}


def _todays_actions_html(a: Analysis) -> str:
    items = todays_actions(a.metrics, max(a.params.escalation), actions_by_township(a))
    body = ("<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>" if items
            else _p("今日没有需要处理的事项。"))
    return f'<div class="kcbx-todo"><h2>今日需处理</h2>{body}</div>'


def _change_words(when: str, before: int, now: int) -> str:
    """A count against an earlier one, as a leader would say it: "比一周前（10月8日）多 3 件",
    "一周前（10月8日）没有，新增 1 件", "与上次持平"."""
    if now == before:
        return f"与{when}持平"
    if before == 0:
        return f"{when}没有，新增 {now} 件"
    return f"比{when}{'多' if now > before else '少'} {abs(now - before)} 件"


def _funnel_text(funnel: dict) -> str:
    """排查疑似辍学 N → 劝返复学 M → 仍未复学 K（脱贫户 k）, plus the cases that left otherwise,
    so the three numbers are not read as adding up."""
    other = funnel["found"] - funnel["returned"] - funnel["still_open"]
    return (f"排查疑似辍学 {funnel['found']} 人 → 劝返复学 {funnel['returned']} 人 → "
            f"仍未复学 {funnel['still_open']} 人（脱贫户 {funnel['still_open_tuopin']} 人）"
            + (f"；另 {other} 人转学、送教上门、死亡或已销号" if other else ""))


def special_action(a: Analysis, history: pd.DataFrame) -> str:
    """The county's 专项行动 in one line: since the start of the term, and since the
    last earlier run in ``history`` (Analysis.history), when there is one."""
    term = a.metrics["return_funnel"]
    lines = [f"本学期（{term['since']} 起）：{_funnel_text(term)}"]
    earlier = (history[history["township"].isna() & (history["as_of"] < pd.Timestamp(a.as_of))]
               if len(history) else history)
    if earlier.empty:
        lines.append("本学期此前没有运行记录，无法与上次比较。")
    else:
        last = earlier.sort_values("as_of").iloc[-1]
        last_day = last["as_of"].date()
        since = case_measures.return_funnel(a.cases, last_day + dt.timedelta(days=1), a.poverty["person_key"],
                                            tuopin_keys(a.poverty))
        line = f"上次运行（{last_day.isoformat()}）以来新登记：{_funnel_text(since)}"
        if not pd.isna(last["cases_open"]):  # an older run's metrics.json may lack the figure
            line += (f"；全县在办案件 {a.metrics['cases_open']} 件，"
                     + _change_words("上次", int(last["cases_open"]), a.metrics["cases_open"]))
        lines.append(line)
    return ('<div class="kcbx-funnel"><h2>控辍保学专项行动</h2>'
            + "".join(_p(line) for line in lines) + "</div>")


def header_alerts(a: Analysis) -> tuple[str, ...]:
    """The alerts above a report's figures, the page's and daily.png's alike: a ledger file that
    could not be read first (its figures stand on older rows), the calendar estimate, today's
    absences not uploaded, the schools that have not reported, then the trends."""
    m = a.metrics
    return tuple(text for text in (*a.stale, calendar_coverage(a.params).banner, absence_not_reported(m),
                                   not_reported_alert(m, a.params.zero_reports), *trend_alerts(a)) if text)


def absent_today_note(m: Mapping, zero_reports: str) -> str:
    """今日无故缺勤's note on the page and on daily.png: no school day, nothing uploaded, or the
    schools whose pupils are not counted because they have not reported."""
    if not m.get("is_school_day", True):
        return "今日非上课日"
    if absence_not_reported(m):
        return "数据尚未上报"
    if not_reported_alert(m, zero_reports):
        return f"缺 {len(m['schools_not_reported'])} 校数据"  # a tile's width at 11 CSS px on a phone
    return ""


@_masks_known_names
def header(a: Analysis, history: pd.DataFrame | None = None) -> Section:
    """The title, the alerts and the row of key figures leadership reads first; the county's
    header also carries the special action's funnel (``history``: earlier runs, the
    county's ``a.history`` when not given)."""
    m = a.metrics
    detail, grades = m["retention_detail"], grade_names_of(a)
    retention_note = (f"本学年{grades[9]} {_or_dash(detail.get('grade9'))} 人 / {detail.get('grade1_year')}学年"
                      f"{grades[1]} {_or_dash(detail.get('grade1'))} 人"
                      + ("；高于100%：有转入未核减" if m["retention_flag"] else ""))
    items = [
        ("enrollment_rate", "入学率", percent(m["enrollment_rate"]),
         f"适龄 {m['school_age_population']} 人，疑似失学 {m['out_of_school_suspected']} 人"),
        ("retention_rate", "巩固率", percent(m["retention_rate"]), retention_note),
        ("dropout_rate", "辍学率(本学年)", percent(m["dropout_rate"], 2),
         f"本学年（9月1日起）登记的辍学案件，含已复学的学生；除以在读 {m['enrolled']} 人"),
        ("cases_open", "在办辍学案件", str(m["cases_open"]),
         f"其中脱贫户 {m['cases_open_tuopin']} 件"),
        ("return_rate", "劝返率(累计)", percent(m["return_rate"]), _return_rate_note(m)),
        ("clearance", "清零进度", percent(m["closure_rate"]), _clearance_note(a)),
        ("absent_unexcused_today", "今日无故缺勤", str(m["absent_unexcused_today"]),
         absent_today_note(m, a.params.zero_reports)),
    ]
    where = a.township or COUNTY_WIDE
    title = f"{a.params.county}{where if a.township else ''} 控辍保学日报"
    funnel = ""
    if a.township is None:
        if history is None:
            history = no_history() if a.history is None else a.history
        funnel = special_action(a, history)
    alerts = "".join(_alert(text) for text in header_alerts(a))
    # In a run the page sits in <as_of>/<folder>/, beside the run's index.html.
    back = f'<p class="kcbx-back"><a href="../{INDEX_FILE}">← 全县各乡镇报告</a></p>'
    return Section(
        f'{SECTION_STYLE}<header class="kcbx-header" id="{TOP}">{back}<h1>{_e(title)}</h1>'
        f'<p class="kcbx-sub">{_e(where)} · <strong class="kcbx-as-of">截至 {_e(a.as_of.isoformat())}</strong> · '
        f'本学期第 {m["school_days_so_far"]} 个上课日</p>'
        f'<p class="kcbx-generated">生成时间 {dt.datetime.now(ZoneInfo(a.params.timezone)):%Y-%m-%d %H:%M}'
        f'（数据截至 {_e(a.as_of.isoformat())}）</p>{alerts}{cards(items)}{_todays_actions_html(a)}{funnel}'
        f'{contents(a.township is None)}</header>')


@_masks_known_names
def enrolment(a: Analysis) -> Section:
    """在校生 by school and grade; the county's chart draws a bar per township."""
    by = a.enrolled_by_school_grade
    rows = ["school"] if a.township is not None else ["township", "school"]
    pivot = (by.pivot_table(index=rows, columns="grade", values="enrolled", aggfunc="sum",
                            fill_value=0) if len(by) else pd.DataFrame())
    if len(pivot):
        pivot.columns = [grade_name(g, grade_names_of(a)) for g in pivot.columns]
        pivot["合计"] = pivot.sum(axis=1)
        pivot = pivot.reset_index().rename(columns={"township": "乡镇", "school": "学校"})
    table = (f'<div class="kcbx-table">{privacy.safe_table_html(pivot)}</div>'
             if len(pivot) else _p("无在读学生"))
    return _section("enrolment", "在校生（按学校、年级）",
                    _p(f"在读学生 {a.metrics['enrolled']} 人（去重），重复学籍 "
                       f"{a.metrics['duplicate_enrollments']} 人。"), table)


@_masks_known_names
def escalation(a: Analysis) -> Section:
    thresholds = list(a.params.escalation)
    actions = [action_of_rung(rung) for rung in range(1, len(thresholds) + 1)]
    counts = a.metrics["escalation"]
    ladder = pd.DataFrame({"连续无故缺勤(上课日)": [f"≥{n} 天" for n in thresholds],
                           "学生数": [counts[str(n)] for n in thresholds],
                           "应采取措施": actions})
    trend = _chart(charts.daily_trend, a.daily_unexcused, alt="每日无故缺勤人数")
    streaks = a.streaks.sort_values(["streak", "school"], ascending=[False, True])
    pupils = a.roster[["person_key", "name", "township", "grade"]].drop_duplicates("person_key")
    streaks = streaks.merge(pupils, on="person_key", how="left")
    today = a.absent_today.merge(pupils, on="person_key", how="left")
    notices_missing = a.notices_missing.merge(pupils, on="person_key", how="left")
    not_reported = absence_not_reported(a.metrics)
    # Before the ladder: its zeros, too, mean "not uploaded" on such a day.
    return _section("escalation",
        f"缺勤预警（“{ladder_name(thresholds)}”分级）", _alert(not_reported), _not_reported_schools_html(a),
        f'<div class="kcbx-table">{privacy.safe_table_html(ladder)}</div>',
        "<h3>连续无故缺勤学生</h3>",
        masked_table(streaks, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级",
                               "streak": "连续天数", "streak_start": "起始日", "action": "应采取措施"}),
                     grade_names=grade_names_of(a), sheet="日报 未到校学生名册"),
        "<h3>日报：今日无故未到校</h3>",
        masked_table(today, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级",
                             "absence_type": "类型", "note": "备注"}),
                     grade_names=grade_names_of(a),
                     empty=("今日非上课日" if not a.metrics["is_school_day"] else
                            "暂无今日缺勤数据" if not_reported else "今日无无故缺勤"), sheet="日报 未到校学生名册"),
        f"<h3>日报：连续无故缺勤≥{max(thresholds)}天，未发限期复学通知书或未登记案件</h3>",
        masked_table(notices_missing, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级",
                                                         "streak": "连续天数", "streak_start": "起始日",
                                                         "finding": "问题"}),
                     grade_names=grade_names_of(a), empty="无", sheet="日报 未到校学生名册"),
        trend)


def _not_reported_schools_html(a: Analysis) -> str:
    """日报 上报情况, first in the absence part: under zero_reports required the schools that have
    not reported today, with the last day each did; under optional one line saying a school
    without rows is not chased; nothing on a day that is no school day."""
    if not a.metrics["is_school_day"]:
        return ""
    if a.params.zero_reports != ZERO_REPORTS_REQUIRED:
        return _p("本县未要求零报告：今日没有缺勤记录的学校显示为“无缺勤记录（未要求零报告）”，可能尚未上报。")
    missing = not_reported_schools(a.school_reporting, a.params.zero_reports, True)
    return ("<h3>日报：今日未上报学校</h3>"
            + masked_table(missing, _with_township(a, {"school": "学校", "last_reported": "最近上报日期"}),
                           empty="今日各校均已上报缺勤或零报告", sheet="日报 未上报学校"))


def _state_counts_long(states_over_time: pd.DataFrame) -> pd.DataFrame:
    present = [s for s in CASE_STATES if s in states_over_time.columns]
    return states_over_time.melt(id_vars="date", value_vars=present, var_name="state",
                                 value_name="cases")


def _deadline_text(cases: pd.DataFrame) -> pd.Series:
    """复学期限 as a reader checks it: the date, or "10月3日 → 10月8日（遇节假日顺延）"."""
    moved = case_measures.deadline_moved_note(cases["notice_due_nominal"], cases["notice_due"])
    return moved.where(moved.notna(), cases["notice_due"].dt.strftime("%Y-%m-%d"))


@_masks_known_names
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
    summary = (f"累计案件 {m['cases_total']} 件（含以前学期登记）：在办 {m['cases_open']}"
               f"（脱贫户 {m['cases_open_tuopin']}），已复学 {m['cases_returned']}；"
               f"劝返率(累计) {percent(m['return_rate'])}，"
               f"清零进度 {percent(m['closure_rate'])}；限期复学通知书逾期 {m['notices_overdue']} 件"
               f"（按发出后满 {a.params.notice_days} 个日历日计；复学期限遇节假日顺延到下一个上课日）。"
               + (f"已销号案件中 {m['cases_struck_unverified']} 件{STRUCK_UNVERIFIED}：清零进度按已销号计入，"
                  f"但不能算作已清零。" if m["cases_struck_unverified"] else ""))
    missing_owner = a.cases[a.cases["missing_owner"]]
    struck_unverified = a.cases[a.cases["struck_unverified"]]
    return _section("cases",
        "辍学案件（一生一案、动态销号）", _p(summary),
        f'<div class="kcbx-table">{privacy.safe_table_html(state_table)}</div>', over_time,
        "<h3>在办案件与双线责任人</h3>",
        masked_table(open_cases.assign(notice_due=_deadline_text(open_cases)),
                     _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级", "opened": "登记日",
                                  "cause": "辍学原因", "admin_owner": "行政线责任人",
                                  "edu_owner": "教育线责任人", "attempts": "劝返次数",
                                  "notice_due": "复学期限", "notice_overdue": "通知书逾期"}),
                     grade_names=grade_names_of(a), empty="无在办案件", sheet="辍学台账"),
        f"<h3>{STRUCK_UNVERIFIED}</h3>",
        masked_table(struck_unverified, _with_township(a, {"name": "姓名", "school": "学校", "opened": "登记日",
                                                           "struck_date": "销号日", "attempts": "劝返次数"}),
                     empty="无", sheet="辍学台账"),
        "<h3>责任人缺失（双线未落实）</h3>",
        masked_table(missing_owner, _with_township(a, {"name": "姓名", "school": "学校", "admin_owner": "行政线责任人",
                                     "edu_owner": "教育线责任人", "state_label": "状态"}), empty="无", sheet="辍学台账"),
        "<h3>原因、方式与安置</h3>", "".join(breakdowns))


def compliance_lines(a: Analysis) -> list[str]:
    """合规检查 in one line per rule that has rows (kcbx.measures.compliance.RULES): the count, the
    county's townships with most, who acts and the rule in words; then one line naming the rules
    with none, so a phone shows what needs action, not eight paragraphs. No child is named."""
    checks = a.compliance
    params = a.params
    words = compliance_rules.rules_in_words(params.escalation, params.notice_grace_days,
                                            params.notice_days, params.strike_off_days,
                                            params.case_open_days)
    lines, clear = [], []
    for rule, label in compliance_rules.RULES.items():
        rows = checks[checks["rule"] == rule]
        if rows.empty:
            clear.append(label)
            continue
        where = "" if a.township is not None else _townships_words(
            {str(t): int(n) for t, n in rows["township"].value_counts().items()})
        lines.append(f"{label}：{len(rows)} 条{where}。责任：{compliance_rules.WHO_ACTS[rule]}。（{words[rule]}）")
    if clear:
        lines.append(f"无问题：{'、'.join(clear)}。")
    return lines


@_masks_known_names
def compliance(a: Analysis) -> Section:
    """合规检查: a line per rule with its count and who acts; the children and cases themselves are
    on forms.xlsx's sheet 合规检查, with full identities, for those who act."""
    items = "".join(f"<li>{_e(line)}</li>" for line in compliance_lines(a))
    return _section("compliance", "合规检查（人工核查事项）",
                    _p(f"共 {len(a.compliance)} 条；逐人逐案的情况、责任单位和包保责任人见表格（forms.xlsx）「合规检查」。"),
                    f"<ul>{items}</ul>")


def _also_listed(out_of_school: pd.DataFrame) -> pd.Series:
    """Which other list holds each suspected child too: 在办辍学案件, 小升初未衔接."""
    open_case = out_of_school["has_open_case"].map({True: "在办辍学案件", False: ""})
    gap = out_of_school["transition_gap"].map({True: "小升初未衔接", False: ""})
    return (open_case + "、" + gap).str.strip("、")


def verification_progress(a: Analysis) -> list[str]:
    """疑似失学核查: how many children were verified in the last 7 days and how many wait, by
    village (kcbx.measures.verification.progress_by_village); nothing before a verification ledger."""
    m = a.metrics
    if not m.get("suspected_verified") or "check_result" not in a.school_age:
        return [_p("尚无疑似失学核查回执：疑似失学儿童均待村（社区）、学校核查。")] if len(a.out_of_school) else []
    progress = verification.progress_by_village(a.school_age, a.out_of_school, a.as_of)
    verified = "，".join(f"{result} {n} 人" for result, n in m["suspected_verified"].items() if n)
    blockers = m.get("clearance_blockers") or {}
    lines = [_p(f"核查回执（佐证齐全）：{verified or '无'}。本周（近 {verification.WEEK_DAYS} 天）核查 "
                f"{int(progress['verified_this_week'].sum())} 人；仍待核查或确认失学 {m['suspected_pending']} 人，"
                f"其中未核查 {blockers.get('suspected_unverified', 0)} 人、核查结果缺佐证 "
                f"{int(progress['no_evidence'].sum())} 人（见数据说明）、确认失学或其他 "
                f"{int(progress['confirmed'].sum())} 人。")]
    columns = {"village": "村", "verified_this_week": "本周核查", "pending": "待核查", "unchecked": "其中未核查",
               "no_evidence": "其中缺佐证", "confirmed": "其中确认失学或其他"}
    if a.township is None:
        columns = {"township": "乡镇", **columns}
    lines.append(masked_table(progress, columns, empty="无"))
    return lines


@_masks_known_names
def matching(a: Analysis) -> Section:
    m = a.metrics
    out = a.out_of_school
    with_case, with_gap = int(out["has_open_case"].sum()), int(out["transition_gap"].sum())
    standing = m["school_age_standing"]
    # The standings a verification gives are named only when some child has one.
    not_suspected = "，".join(f"{name} {standing.get(name, 0)} 人" for name in STANDINGS[:-1]
                             if name in STANDINGS[:4] or standing.get(name))
    register_children = pd.concat([a.unenrolled_poverty.assign(register="脱贫户名单"),
                                   a.unenrolled_disability.assign(register="残疾")], ignore_index=True)
    return _section("matching",
        "四查三比对",
        _p(f"户籍适龄儿童 {m['school_age_population']} 人，疑似失学 {m['out_of_school_suspected']} 人，"
           f"入学率 {percent(m['enrollment_rate'])}；重复学籍 {m['duplicate_enrollments']} 人。"),
        _p(f"不计为疑似失学的 {m['school_age_population'] - m['out_of_school_suspected']} 人："
           f"{not_suspected}（外乡镇就读：学籍在户籍所在乡镇以外；有去向佐证：辍学案件已复学、"
           f"转学、送教上门或销号）。"),
        "<h3>疑似失学（户籍有、学籍无）</h3>",
        *verification_progress(a),
        _p(f"其中 {with_case} 人另有在办辍学案件、{with_gap} 人同在小升初未衔接名单（见“另见”列）："
           f"同一个孩子，请勿与那两个名单相加。") if len(out) else "",
        masked_table(out.assign(also=_also_listed(out)) if len(out) else out,
                     _with_township(a, {"name": "姓名", "village": "村", "age": "年龄", "reason": "原因",
                                        "also": "另见"}),
                     empty="无疑似失学儿童", sheet="疑似辍学台账"),
        "<h3>重复学籍</h3>",
        masked_table(a.duplicates, {"name": "姓名", "schools": "学校", "n_schools": "学校数"}, empty="无"),
        "<h3>脱贫户名单、残疾人名单中的儿童无学籍</h3>",
        _p(f"已完成九年义务教育（{grade_names_of(a)[9]}毕业）的不在此列。"),
        masked_table(register_children,
                     _with_township(a, {"register": "名册", "name": "姓名", "age": "年龄", "reason": "原因"}),
                     empty="无", sheet="适龄儿童台账"))


COHORT_OUT_OF_RANGE = "低于0或高于100%：乡镇之间的转入、转出未核减，如实显示。"


def _cohort_note(*values) -> str:
    """One line beside a grade whose rate leaves 0–100% (rates are never clamped, docs/metrics.md)."""
    out_of_range = any(v is not None and not pd.isna(v) and (v < 0 or v > 1) for v in values)
    return COHORT_OUT_OF_RANGE if out_of_range else ""


@_masks_known_names
def rates(a: Analysis) -> Section:
    m = a.metrics
    detail = m["retention_detail"]
    flag = (" 巩固率高于100%：转入学生未核减，如实显示、不封顶。" if m["retention_flag"] else "")
    cohort = m["cohort"]
    grades = [str(g) for g in range(1, 10)]
    rows = {kind: [cohort[kind].get(g) for g in grades] for kind in ("promotion", "repetition", "dropout")}
    table = pd.DataFrame({
        "年级": [grade_name(g, grade_names_of(a)) for g in grades],
        "升级率": [percent(v) for v in rows["promotion"]],
        "留级率": [percent(v) for v in rows["repetition"]],
        "辍学率": [percent(v) for v in rows["dropout"]],
        "说明": [_cohort_note(*values) for values in zip(*rows.values())],
    })
    return _section("rates",
        "巩固率与年级队列",
        _p(f"巩固率 {percent(m['retention_rate'])}：本学年{grade_names_of(a)[9]} {_or_dash(detail.get('grade9'))} 人 / "
           f"{detail.get('grade1_year')}学年{grade_names_of(a)[1]} {_or_dash(detail.get('grade1'))} 人。{flag}"),
        _p(f"辍学率（本学年至今）{percent(m['dropout_rate'], 2)}。"
           f"按联合国教科文组织的重构队列法：到达{grade_names_of(a)[9]}的保留率 {percent(cohort['survival_to_grade_9'])}。"),
        f'<div class="kcbx-table">{privacy.safe_table_html(table)}</div>')


@_masks_known_names
def key_groups(a: Analysis) -> Section:
    rows = [{"群体": GROUPS[g], "在读": v["enrolled"], "在办案件": v["cases_open"],
             f"连续缺勤≥{max(a.params.escalation)}天": v["escalated"]}
            for g, v in a.metrics["groups"].items()]
    return _section("key_groups", "重点群体", f'<div class="kcbx-table">{privacy.safe_table_html(pd.DataFrame(rows))}</div>')


WORKLOAD_COLUMNS = {"teacher": "送教教师", "visits": "送教次数", "children": "学生数",
                    "class_hours": "课时", "workload_hours": "工作量(课时)"}


@_masks_known_names
def home_teaching(a: Analysis) -> Section:
    s = a.home_teaching_summary
    months = "、".join(s.get("months_assessed") or []) or "尚无已结束的整月"
    not_ok = a.home_teaching[~a.home_teaching["compliant"]] if len(a.home_teaching) else a.home_teaching
    return _section("home_teaching",
        "送教上门",
        _p(f"应送教 {s['due']} 人，达标 {s['compliant']} 人（考核月份：{months}；每月至少 "
           f"{plain_number(a.params.home_teaching.visits_per_month)} 次、每次 "
           f"{plain_number(a.params.home_teaching.hours_per_visit)} 课时）；"
           f"经费应拨 {plain_number(s.get('funding_due', 0), thousands=True)} 元/年。"),
        "<h3>未达标月份</h3>",
        masked_table(not_ok, _with_township(a, {"name": "姓名", "month": "月份", "visits": "送教次数", "hours": "课时"}),
                     empty="全部达标", sheet="送教上门"),
        "<h3>送教教师工作量</h3>",
        masked_table(a.teacher_workload, WORKLOAD_COLUMNS, empty="无送教记录"))


@_masks_known_names
def subsidy(a: Analysis) -> Section:
    m = a.metrics
    short = a.subsidy[a.subsidy["short"]] if len(a.subsidy) else a.subsidy
    return _section("subsidy",
        "资助（应助尽助）",
        _p(f"应资助（在读困难家庭学生，脱贫户名单各类别）{m['subsidy_eligible']} 人，本学期生活补助未足额 {m['subsidy_short']} 人，"
           f"合计少发 {plain_number(m['subsidy_missing_yuan'], thousands=True)} 元。"),
        masked_table(short, _with_township(a, {"name": "姓名", "school": "学校", "grade": "年级", "term": "学期",
                             "due": "应发(元)", "paid": "实发(元)", "missing": "少发(元)"}),
                     grade_names=grade_names_of(a), empty="全部足额", sheet="资助核对"))


@_masks_known_names
def transition(a: Analysis) -> Section:
    missing = a.metrics["transition_missing"]
    if missing is None:
        return _section("transition", "小升初衔接", _p("学籍台账中没有上一学年的记录，无法核对。"))
    return _section("transition",
        "小升初衔接", _p(f"上学年{grade_names_of(a)[6]}学生中，本学年未见在读、亦无佐证的 {missing} 人。"),
        masked_table(a.transition, _with_township(a, {"name": "姓名", "school": "原学校", "status": "上学年状态",
                                    "reason": "原因"}), empty="全部衔接", sheet="小升初"))


def _mask_rejected_value(frame: pd.DataFrame) -> pd.DataFrame:
    """A rejected row's value may be an ID, a phone or a name: mask it like the column it came
    from (the header as written in the file: any ledger synonym, or the county's own,
    ``Masker.header_kind``). Any other value is free text, masked with every table cell."""
    if frame.empty:
        return frame
    masker = privacy.page_masker()
    return frame.assign(value=[masker.mask_by_header(column, value)
                               for column, value in zip(frame["column"], frame["value"])])


def _file_label(path) -> str:
    """A ledger file as the reader names it: its kind's folder in Chinese ("学籍/…xlsx" for
    "roster/…xlsx"; a county may name the folder either way)."""
    folder, slash, rest = str(path).partition("/")
    return f"{KIND_LABELS.get(folder, folder)}{slash}{rest}" if slash else str(path)


UNATTRIBUTED = "未能确定（涉及多个乡镇的文件）"


def _in_chinese(problems: pd.DataFrame) -> pd.DataFrame:
    """The data-quality tables' codes as the reader reads them: the ledger kind in Chinese,
    the file's folder in Chinese, and the township a problem was attributed to."""
    if problems.empty:
        return problems
    shown = problems.assign(kind=problems["kind"].map(lambda kind: KIND_LABELS.get(kind, kind)),
                            file=problems["file"].map(_file_label))
    if "township" in shown.columns:
        shown = shown.assign(township=shown["township"].astype(object).where(
            shown["township"].notna(), UNATTRIBUTED))
    return shown


@_masks_known_names
def data_quality(a: Analysis) -> Section:
    log = a.ingest_log
    totals = log[["rows_read", "rows_accepted", "rows_rejected"]].fillna(0).sum()
    # A finding's detail is free text: masked with every table cell.
    rejected, left_rejected = problems_of_report(a.township, log, a.rejected)
    findings, left_findings = problems_of_report(a.township, log, a.findings)
    left = left_rejected + left_findings
    problem_columns = {"township": "乡镇", "kind": "台账", "file": "文件", "sheet": "工作表", "row": "行号"}
    summary = (f"本报告涉及台账文件 {len(log)} 个：读入 {int(totals['rows_read'])} 行，接受 "
               f"{int(totals['rows_accepted'])} 行，拒收 {int(totals['rows_rejected'])} 行。")
    # File names and row numbers are the data clerk's: folded away at the end of the page.
    return _section("data_quality",
        "数据说明",
        _p(summary),
        '<details class="kcbx-clerk"><summary>数据问题明细（供数据管理员）</summary>',
        masked_table(_in_chinese(log), {"kind": "台账", "file": "文件", "rows_read": "读入",
                                        "rows_accepted": "接受", "rows_rejected": "拒收", "error": "错误"},
                     limit=200, sheet="数据问题 文件读入"),
        _p("下列问题按所在行的乡镇归属（行内无乡镇时按该学生的学籍乡镇）；所在文件涉及多个乡镇、无法确定归属的，"
           "只列在全县汇总报告中" + (f"（本报告另有 {left} 条）。" if left else "。")),
        "<h3>拒收的行</h3>",
        masked_table(_in_chinese(_mask_rejected_value(rejected)),
                     {**problem_columns, "id_number": "身份证号", "column": "列", "value": "值", "reason": "原因"},
                     empty="无", sheet="数据问题"),
        "<h3>已接受但需核查</h3>",
        masked_table(_in_chinese(findings), {**problem_columns, "finding": "问题", "detail": "说明"},
                     empty="无", sheet="数据问题"),
        "</details>")


# --- 预警名单 (params early_warning, docs/params.md) -----------------------------------------


def _rule_tags(listed: pd.DataFrame) -> pd.Series:
    """The rules that hold for each listed pupil, as short tags: "出勤率低、关键年级"."""
    tags = [[warning.RULE_TAGS[rule] for rule in warning.RULES if row[rule]]
            for row in listed[list(warning.RULES)].to_dict("records")]
    return pd.Series(["、".join(pupil) for pupil in tags], index=listed.index, dtype=object)


def backtest_text(a: Analysis) -> str:
    """The back-test in words and figures ("60 天前（8月16日）列入名单 8 人，其中 2 人此后登记辍学
    （命中率 25%）；…"), or why there is none yet (too early in the term to look back)."""
    check = a.metrics["early_warning"]["backtest"]
    horizon = a.params.early_warning.horizon
    lookback = a.metrics["early_warning_lookback_day"]
    if lookback is None:
        start = a.params.term_start
        return (f"名单回测：本学期 {start.month}月{start.day}日 开学，到今天还不满 {horizon} 天，"
                f"无法回看 {horizon} 天前的名单，命中率、召回率暂无；开学满 {horizon} 天后自动给出。")
    day = dt.date.fromisoformat(lookback)
    return (f"名单回测：{horizon} 天前（{day.month}月{day.day}日）列入名单 {check['listed']} 人，"
            f"其中 {check['became_cases']} 人此后登记辍学（命中率 {percent(check['precision'], 0)}）；"
            f"此后登记的 {check['cases']} 件案件中，{check['flagged_before']} 件在登记前已在名单上"
            f"（召回率 {percent(check['recall'], 0)}）。案件只计登记前一个上课日在读、且无在办案件的学生。")


@_masks_known_names
def early_warning(a: Analysis) -> Section:
    """预警名单: the pupils high and medium, masked, highest score first, with the rules that hold;
    what a 班主任 does at each level; a chart of each rule; the back-test on this county's data."""
    m = a.metrics["early_warning"]
    listed = a.early_warning
    shown = listed.assign(rules=_rule_tags(listed), level=listed["level"].map(warning.LEVELS))
    chart = _chart(charts.warning_rules, m["rules"],
                   {rule: int(listed[rule].sum()) for rule in warning.RULES}, warning.RULE_TAGS,
                   alt="各预警规则命中人数")
    return _section("early_warning",
        "预警名单（辍学风险）",
        _p(warning.rules_in_words(a.params.early_warning, grade_names_of(a))),
        _p(f"今日预警“高” {m['high']} 人、“中” {m['medium']} 人。"),
        "".join(_p(warning.LEVEL_ACTIONS[level]) for level in warning.LEVELS),
        masked_table(shown, _with_township(a, {"name": "姓名", "level": "等级", "score": "分数",
                                               "rules": "预警规则", "school": "学校", "grade": "年级",
                                               "class_name": "班级"}),
                     grade_names=grade_names_of(a), empty="今日无预警学生", sheet="预警名单"),
        chart, _p(backtest_text(a)))


TOWNSHIP_SECTIONS = (header, escalation, early_warning, cases, compliance, matching, rates, key_groups,
                     home_teaching, subsidy, transition, enrolment, data_quality)


def report(a: Analysis, sections: Iterable = TOWNSHIP_SECTIONS) -> Section:
    """Every section in report order (for a quick look in JupyterLab)."""
    return Section("".join(section(a).body for section in sections))


RANKING_COLUMNS = {"township": "乡镇", **dict(zip(RANKING_KEYS, (
    "在办案件", "脱贫户在办", "通知书逾期", "入学率", "今日无故缺勤", "在读"), strict=True))}
# With the county's Analysis: each township's pupils on the 预警名单, by level.
RANKING_WARNING_COLUMNS = {level: f"预警{label}" for level, label in warning.LEVELS.items()}
# The sorter's first click puts the most urgent first: the largest count, but the lowest 入学率.
RANKING_ASCENDING_FIRST = ("乡镇", "入学率")


@_masks_known_names
def ranking(a: Analysis | None, figures: pd.DataFrame) -> Section:
    """周通报: townships ranked by open cases (``ranking.ranked``), with 脱贫户 cases open, overdue
    notices and 入学率 beside them.

    One table, written most open cases first (as printed and as forms.xlsx's 周通报); in the page a click on a column
    heading re-sorts it (kcbx_sort.js). With the county's Analysis ``a``, each township's
    pupils on the 预警名单 too, high and medium (``a.early_warning``, by their roster township).
    """
    if figures.empty:
        return _section("ranking", "乡镇排名（周通报）", _p("暂无乡镇数据"))
    shown = ranked(figures)[list(RANKING_COLUMNS)]  # the order of forms.xlsx's 周通报
    if a is not None:  # the levels of each township's 预警名单, cut from the county's list
        levels = warning.level_counts(a.early_warning, by="township")
        shown = shown.join(levels.reindex(shown["township"]).fillna(0).astype("int64")
                           .set_axis(shown.index))
    columns = {**RANKING_COLUMNS, **RANKING_WARNING_COLUMNS}
    shown = shown.assign(enrollment_rate=shown["enrollment_rate"].map(percent)).rename(columns=columns)
    table = privacy.safe_table_html(shown, classes="kcbx-sortable", table_attributes={
        "data-ascending-first": "|".join(RANKING_ASCENDING_FIRST)})
    return _section("ranking", "乡镇排名（周通报）", _p(f"{RANKING_RULE}点击列标题可按该列排序，再点一次反向。"),
                    f'<div class="kcbx-table">{table}</div>')


TREND_KEYS = {"cases_open": "在办案件", "absent_unexcused_today": "今日无故缺勤",
              "out_of_school_suspected": "疑似失学"}


@_masks_known_names
def trends(a: Analysis, history: pd.DataFrame) -> Section:
    """周通报 / 月调度: the county's figures at the last run of each week and of each month.

    ``history`` holds earlier runs (``kcbx.runner.history.load_history``); this run's own
    figures are the latest point and replace an earlier run of the same as_of.
    """
    this_run = pd.DataFrame([{"as_of": pd.Timestamp(a.as_of), **{k: a.metrics.get(k) for k in TREND_KEYS}}])
    earlier = history[history["township"].isna() & (history["as_of"] < this_run["as_of"][0])] \
        if len(history) else history
    if earlier.empty:
        return _section("trends", "趋势（周通报、月调度）", _p("本次之前没有完整的运行，暂无趋势。"))
    county = pd.concat([earlier[["as_of", *TREND_KEYS]], this_run], ignore_index=True).sort_values("as_of")
    parts = []
    for title, period in (("按周（每周最后一次运行）", "W"), ("按月（每月最后一次运行）", "M")):
        last = county.groupby(county["as_of"].dt.to_period(period)).tail(1)
        table = last[["as_of", *TREND_KEYS]].rename(columns={"as_of": "日期", **TREND_KEYS})
        table["日期"] = table["日期"].dt.strftime("%Y-%m-%d")
        parts.append(f"<h3>{_e(title)}</h3><div class='kcbx-table'>{privacy.safe_table_html(table)}</div>")
    daily = county.rename(columns={"as_of": "date", "cases_open": "pupils"})[["date", "pupils"]]
    chart = _chart(charts.daily_trend, daily, title="全县在办辍学案件（历次运行）", alt="在办案件趋势")
    return _section("trends", "趋势（周通报、月调度）", *parts, chart)
