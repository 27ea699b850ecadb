"""The report's charts: small functions that each return one matplotlib Figure.

Charts are drawn for a phone: 4 in wide at 180 dpi (720 px, twice the pixels of a
375-px screen), with no text smaller than 10 pt, which is 11 CSS px or more when the
page shows the image 340 px wide (PHONE_CHART_CSS_PX; the CSS caps it at 32 rem on a
desktop). Only charts that no table beside them already shows: the 135 ladder, the
enrolment by grade and the township ranking are tables. Figures are built with
``matplotlib.figure.Figure``, not pyplot, so no chart leaves a figure open in pyplot's
registry; the only global state touched is use_cjk_font(). A chart whose input is
empty still returns a figure, saying 暂无数据.

Every text a chart draws is inert (``kcbx.util.text``): ledger text (a state's own text, a
title naming a township) is put on one line with control and bidirectional characters made
visible (``chart_text``), and every Text (title, tick labels, legend entries, annotations) is
drawn with ``parse_math=False`` and ``usetex=False``, so "龙合镇$\\frac{1}{$中心小学" is drawn
as those characters instead of failing as mathematics. Tick labels are set per Tick (matplotlib
does not copy ``parse_math`` to ticks it makes later, so every chart fixes its ticks first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kcbx.report.fonts import use_cjk_font
from kcbx.util.text import chart_text

__all__ = [
    "FIGSIZE",
    "DPI",
    "PHONE_CHART_CSS_PX",
    "SMALLEST_TEXT_PT",
    "case_states_over_time",
    "daily_trend",
    "warning_rules",
]

FIGSIZE = (4.0, 2.8)
DPI = 180
# The narrowest width a page shows a chart at (a 375-px phone less the page's margins).
PHONE_CHART_CSS_PX = 340
# 10 pt on a 4-in figure shown 340 px wide is 10 / 72 * 340 / 4 = 11.8 CSS px.
SMALLEST_TEXT_PT = 10
TITLE_PT = 12
# Height given to each bar of a horizontal bar chart that grows with its rows.
BAR_ROW_INCHES = 0.3
NO_DATA = "暂无数据"
PLAIN = {"parse_math": False, "usetex": False}  # every Text: drawn as its characters
ACCENT = "#c0392b"  # the report's one emphasis colour (escalation, absences)
BAR_COLOR = "#2e6da4"
LEGEND_COLUMNS = 3  # more do not fit 4 in at 10 pt


def _figure(title: str, rows: int = 0) -> tuple[Figure, Axes]:
    """A styled figure with one axes; ``rows`` horizontal bars make it taller."""
    use_cjk_font()
    height = max(FIGSIZE[1], 1.4 + BAR_ROW_INCHES * rows)
    figure = Figure(figsize=(FIGSIZE[0], height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    # Only the Regular weight is installed: no bold, or matplotlib logs a fallback.
    axes.set_title(chart_text(title), fontsize=TITLE_PT, loc="left", **PLAIN)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=SMALLEST_TEXT_PT)
    axes.xaxis.label.set_size(SMALLEST_TEXT_PT)
    axes.yaxis.label.set_size(SMALLEST_TEXT_PT)
    return figure, axes


def _no_data(title: str) -> Figure:
    figure, axes = _figure(title)
    axes.set_axis_off()
    axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14,
              color="#777777", transform=axes.transAxes, **PLAIN)
    return figure


def _require_columns(df: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise KeyError(f"{chart} needs columns {list(columns)}; missing {missing}")


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
    handles = [axes.fill_between(edges, stacked[index], stacked[index + 1], step="post", linewidth=0,
                                 color=colors[index % len(colors)], alpha=0.85)
               for index in range(len(order))]
    # Given explicitly: a label that starts with "_" is still shown (matplotlib would drop it).
    names = [chart_text(labels.get(state, str(state))) for state in order]
    _date_axis(axes)
    axes.set_ylabel("案件数", **PLAIN)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_below(figure, handles, names)
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
    axes.set_ylabel("人数", **PLAIN)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
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
    # Rows by position, labelled by ticks: not categories, which would merge two equal labels.
    rows = np.arange(len(rules))
    total = np.array([counts.get(rule, 0) for rule in rules], dtype=float)
    on_list = np.array([listed.get(rule, 0) for rule in rules], dtype=float)
    figure, axes = _figure(title, rows=len(rules))
    handles = [axes.barh(rows, total, color=BAR_COLOR, alpha=0.35),
               axes.barh(rows, on_list, color=ACCENT)]
    _plain_ticks(axes, rows, [chart_text(labels[rule]) for rule in rules])
    for row, (whole, part) in enumerate(zip(total, on_list)):
        axes.annotate(f"{whole:g}人（名单内{part:g}）", (whole, row), xytext=(3, 0),
                      textcoords="offset points", va="center", fontsize=SMALLEST_TEXT_PT, **PLAIN)
    axes.set_xlabel("人数", **PLAIN)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.3)
    _legend_below(figure, handles, ["符合该规则的学生", "其中列入预警名单"])
    return figure


def _plain_ticks(axes: Axes, positions: np.ndarray, names: Sequence[str]) -> None:
    """Fixed y ticks labelled ``names``, each label a Text drawn as its characters."""
    axes.set_yticks(positions, names)
    for tick in axes.yaxis.get_major_ticks(len(positions)):
        for label in (tick.label1, tick.label2):
            label.set_parse_math(False)
            label.set_usetex(False)


def _legend_below(figure: Figure, handles: Sequence, names: Sequence[str]) -> None:
    # Outside the axes, so the legend never hides a bar or an area.
    legend = figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), LEGEND_COLUMNS),
                           fontsize=SMALLEST_TEXT_PT, frameon=False, handlelength=1.2, columnspacing=1.0)
    for text in legend.get_texts():
        text.set_parse_math(False)
        text.set_usetex(False)


def _date_axis(axes: Axes) -> None:
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
