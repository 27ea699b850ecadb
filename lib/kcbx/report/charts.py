"""The report's charts: small functions that each return one matplotlib Figure.

Every chart has a Chinese title, the same style, and a size that reads on a
phone (6.4 × 3.6 in at 110 dpi, taller when there are many bars). Figures are
built with ``matplotlib.figure.Figure``, not pyplot, so no chart leaves a figure
open in pyplot's registry; the only global state touched is use_cjk_font().
A chart whose input is empty still returns a figure, saying 暂无数据.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from kcbx.measures.matching import GRADE_NAMES
from kcbx.report.fonts import use_cjk_font

__all__ = [
    "FIGSIZE",
    "DPI",
    "GRADE_LABELS",
    "enrolled_by_grade",
    "case_states_over_time",
    "daily_trend",
    "escalation_funnel",
    "township_ranking",
    "warning_rules",
]

FIGSIZE = (6.4, 3.6)
DPI = 110
# Height given to each bar of a horizontal bar chart that grows with its rows.
BAR_ROW_INCHES = 0.28
NO_DATA = "暂无数据"
ACCENT = "#c0392b"  # the report's one emphasis colour (escalation, absences)
BAR_COLOR = "#2e6da4"
GRADE_LABELS: dict[int, str] = GRADE_NAMES


def _figure(title: str, rows: int = 0) -> tuple[Figure, Axes]:
    """A styled figure with one axes; ``rows`` horizontal bars make it taller."""
    use_cjk_font()
    height = max(FIGSIZE[1], 1.4 + BAR_ROW_INCHES * rows)
    figure = Figure(figsize=(FIGSIZE[0], height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    # Only the Regular weight is installed: no bold, or matplotlib logs a fallback.
    axes.set_title(title, fontsize=13, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9)
    return figure, axes


def _no_data(title: str) -> Figure:
    figure, axes = _figure(title)
    axes.set_axis_off()
    axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14,
              color="#777777", transform=axes.transAxes)
    return figure


def _require_columns(df: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise KeyError(f"{chart} needs columns {list(columns)}; missing {missing}")


def enrolled_by_grade(df: pd.DataFrame, by: str = "school", title: str = "各校在校生（按年级）",
                      grade_labels: Mapping[int, str] = GRADE_LABELS) -> Figure:
    """Enrolled pupils by school (or by township: ``by="township"``), one horizontal bar
    each, stacked by grade (legend: ``grade_labels``, 七年级 or 初一 as the county writes).

    Input columns: ``by``, grade (1–9), pupils. Bars are sorted by their total, the
    largest at the top. The county draws townships: a bar per school would make a
    chart (and an image) taller than anyone reads.
    """
    _require_columns(df, (by, "grade", "pupils"), "enrolled_by_grade")
    counts = df.dropna(subset=[by, "grade"])
    if counts.empty:
        return _no_data(title)
    table = counts.pivot_table(index=by, columns="grade", values="pupils",
                               aggfunc="sum", fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index]  # barh draws bottom-up
    figure, axes = _figure(title, rows=len(table))
    colors = _grade_colors()
    left = np.zeros(len(table))
    for grade in table.columns:
        widths = table[grade].to_numpy(dtype=float)
        axes.barh(table.index.astype(str), widths, left=left,
                  color=colors[int(grade) - 1], label=grade_labels.get(int(grade), str(grade)))
        left += widths
    axes.set_xlabel("人数")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_below(figure, columns=len(table.columns))
    return figure


def _grade_colors() -> list[tuple[float, float, float, float]]:
    """One sequential colour per grade, light (grade 1) to dark (grade 9)."""
    last = len(GRADE_LABELS) - 1
    return [colormaps["Blues"](0.3 + 0.65 * index / last) for index in range(len(GRADE_LABELS))]


def escalation_funnel(
    counts: Mapping[str, int],
    actions: Sequence[str],
    title: str = "连续无故缺勤分级预警",
) -> Figure:
    """The "135" escalation ladder as a horizontal funnel: ≥1天, ≥3天, ≥5天 …

    ``counts`` is metrics.json's ``escalation`` object (threshold in school
    days, as text -> pupils at or above it); ``actions`` names what each rung
    triggers, in threshold order (e.g. 班主任劝返, 学校包保, 报告乡镇和教育局).
    """
    thresholds = sorted(counts, key=int)
    if len(actions) != len(thresholds):
        raise ValueError(
            f"escalation_funnel: {len(thresholds)} thresholds but {len(actions)} actions"
        )
    if not thresholds:
        return _no_data(title)
    values = np.array([counts[threshold] for threshold in thresholds], dtype=float)
    labels = [f"≥{threshold}天 {action}".strip() for threshold, action in zip(thresholds, actions)]
    figure, axes = _figure(title)
    widest = max(values.max(), 1.0)
    # Centre each bar on the widest one; the first rung at the top.
    rungs = np.arange(len(values))[::-1]
    axes.barh(rungs, values, left=(widest - values) / 2, color=ACCENT, alpha=0.85)
    for rung, value in zip(rungs, values):
        axes.text(widest / 2, rung, f"{int(value)}人", ha="center", va="center",
                  fontsize=10, color="black")
    axes.set_yticks(rungs, labels)
    axes.set_xlim(0, widest)
    axes.set_xticks([])
    axes.tick_params(left=False)
    axes.spines[["bottom", "left"]].set_visible(False)
    return figure


def case_states_over_time(
    df: pd.DataFrame,
    state_labels: Mapping[str, str] | None = None,
    title: str = "劝返台账案件状态",
) -> Figure:
    """Cases in each state on each date, as stacked steps: a count holds from its date to the
    next (cases change state on a day, not in between), so no area is interpolated.

    Input columns: date, state, cases (the number of cases in that state on
    that date). ``state_labels`` maps each state to its Chinese label and sets
    the stacking order; states it does not name keep their own text, last.
    """
    _require_columns(df, ("date", "state", "cases"), "case_states_over_time")
    counts = df.dropna(subset=["date", "state"])
    if counts.empty:
        return _no_data(title)
    labels = dict(state_labels or {})
    table = counts.pivot_table(index="date", columns="state", values="cases",
                               aggfunc="sum", fill_value=0).sort_index()
    order = [state for state in labels if state in table.columns]
    order += [state for state in table.columns if state not in labels]
    table = table[order].round().astype(int)
    dates = pd.to_datetime(table.index)
    # The last date's step is drawn a day wide, or it would have no width at all.
    edges = dates.append(pd.DatetimeIndex([dates[-1] + pd.Timedelta(days=1)]))
    stacked = np.vstack([np.zeros(len(table), dtype=int), table.to_numpy().cumsum(axis=1).T])
    stacked = np.hstack([stacked, stacked[:, -1:]])
    figure, axes = _figure(title)
    colors = colormaps["tab10"].colors
    for index, state in enumerate(order):
        axes.fill_between(edges, stacked[index], stacked[index + 1], step="post", linewidth=0,
                          color=colors[index % len(colors)], alpha=0.85,
                          label=labels.get(state, str(state)))
    _date_axis(axes)
    axes.set_ylabel("案件数")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_below(figure, columns=len(order))
    return figure


def daily_trend(df: pd.DataFrame, title: str = "每日无故缺勤人数") -> Figure:
    """The daily count of pupils absent without leave, one bar per school day.

    Input columns: date, pupils (one row per school day). Bars, not a line: a line would
    run across a holiday week as if pupils were counted on it. A dot on the axis marks a
    school day with none absent, so it is told from a day without school (nothing).
    """
    _require_columns(df, ("date", "pupils"), "daily_trend")
    days = df.dropna(subset=["date"]).sort_values("date")
    if days.empty:
        return _no_data(title)
    figure, axes = _figure(title)
    dates, counts = pd.to_datetime(days["date"]), days["pupils"].to_numpy(dtype=float)
    axes.bar(dates, counts, width=0.8, color=ACCENT)
    none_absent = counts == 0
    axes.plot(dates[none_absent], counts[none_absent], linestyle="none", marker="o", markersize=3,
              color=ACCENT, clip_on=False)
    _date_axis(axes)
    axes.set_ylabel("人数")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    return figure


def township_ranking(
    df: pd.DataFrame,
    column: str,
    label: str,
    percent: bool = False,
) -> Figure:
    """Townships ranked by one figure (周通报), highest at the top.

    Input columns: township and ``column``; ``label`` is the figure's Chinese
    name (the title); ``percent`` shows fractions as percentages. A township
    whose value is null is listed last, marked 无数据.
    """
    _require_columns(df, ("township", column), "township_ranking")
    if df.empty:
        return _no_data(label)
    ranked = df.sort_values(column, ascending=True, na_position="first")
    values = ranked[column].to_numpy(dtype=float)
    figure, axes = _figure(label, rows=len(ranked))
    names = ranked["township"].astype(str).to_list()
    axes.barh(names, np.nan_to_num(values), color=BAR_COLOR)
    for row, value in enumerate(values):
        text = "无数据" if np.isnan(value) else (f"{value:.1%}" if percent else f"{value:g}")
        axes.annotate(text, (0 if np.isnan(value) else value, row), xytext=(3, 0),
                      textcoords="offset points", va="center", fontsize=8)
    if percent:
        axes.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    else:  # counts: no 0.25 of a case on the axis
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.12)
    return figure


def warning_rules(
    counts: Mapping[str, int],
    listed: Mapping[str, int],
    labels: Mapping[str, str],
    title: str = "各预警规则命中人数",
) -> Figure:
    """How many pupils each early-warning rule flagged: one horizontal bar per rule, the first
    at the top, and inside it the part who are on the list (high or medium).

    ``counts`` is metrics.json's ``early_warning.rules`` (rule -> scored pupils for whom it
    holds); ``listed`` the same among the listed pupils; ``labels`` names each rule (出勤率低 …)
    and sets the order.
    """
    if not labels:
        return _no_data(title)
    rules = list(labels)[::-1]  # barh draws bottom-up
    names = [labels[rule] for rule in rules]
    total = np.array([counts.get(rule, 0) for rule in rules], dtype=float)
    on_list = np.array([listed.get(rule, 0) for rule in rules], dtype=float)
    figure, axes = _figure(title, rows=len(rules))
    axes.barh(names, total, color=BAR_COLOR, alpha=0.35, label="符合该规则的学生")
    axes.barh(names, on_list, color=ACCENT, label="其中列入预警名单")
    for row, (whole, part) in enumerate(zip(total, on_list)):
        axes.annotate(f"{whole:g}人（名单内{part:g}）", (whole, row), xytext=(3, 0),
                      textcoords="offset points", va="center", fontsize=8)
    axes.set_xlabel("人数")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.3)
    _legend_below(figure, columns=2)
    return figure


def _legend_below(figure: Figure, columns: int) -> None:
    # Outside the axes, so the legend never hides a bar or an area.
    figure.legend(loc="outside lower center", ncols=min(columns, 9), fontsize=8,
                  frameon=False, handlelength=1.2, columnspacing=1.0)


def _date_axis(axes: Axes) -> None:
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
