"""daily.png: the 日报 card, one picture a leader forwards in a WeChat group and reads
without opening anything.

1080 px wide (a phone's screen at three pixels to the CSS pixel), as tall as it needs: the
place and 控辍保学日报 with the data's day (截至 as_of, never the time the run was made), the
headline figures of the report's cards (``analysis.metrics``), 今日需处理
(``show.todays_actions``, the very list under the report's cards) and, on the county's card,
the townships with most and fewest open cases (``analysis.ranking``).

Counts and township names only: no pupil's name, ID or phone is ever drawn. County and
township names are ledger text: put on one line with their control and bidirectional
characters shown (``kcbx.util.text.chart_text``), every text is drawn with ``parse_math=False`` and
``usetex=False``, so "$x^2$" stays those five characters. Drawn with the bundled Noto Sans
CJK inside ``fonts.glyphs_checked``: a character the font lacks fails the report instead of
drawing a box. Built with ``matplotlib.figure.Figure`` (no pyplot registry) and written as a
palette PNG (``show.palette_png``), atomically.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.transforms import Affine2D, Transform

from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.report.fonts import glyphs_checked, use_cjk_font
from kcbx.report.show import absent_today_note, header_alerts, palette_png, percent, todays_actions
from kcbx.util.files import replacing
from kcbx.util.text import chart_text

__all__ = ["DailyCard", "Tile", "card_of", "daily_card_png", "draw_card", "write_daily_card"]

WIDTH_PX = 1080
DPI = 100
# Shown full width on a 360-CSS-px phone, 1080 px are 3 pixels to the CSS pixel: no text is
# smaller than 34 px (11 CSS px).
PHONE_CSS_PX = 360
SMALLEST_PX = 34
MARGIN = 40
GAP = 20
TILES_PER_ROW = 3
TOP_AND_BOTTOM = 3  # the county's card: the townships with most and with fewest open cases

TITLE = "控辍保学日报"
FOOTER = "本图不含学生姓名、身份证号和电话；名单见报告和表格。"
NO_ACTIONS = "今日没有需要处理的事项。"
WEEKDAYS = "一二三四五六日"

INK = "#1f2328"
MUTED = "#57606a"
BAND = "#0550ae"  # the header
ACT = "#cf222e"  # a figure that calls for action, and the alerts
ACT_BG = "#ffebe9"
TILE_BG = "#f6f8fa"
TILE_EDGE = "#d0d7de"
TODO_BG = "#fff8c5"
TODO_EDGE = "#bf8700"


@dataclass(frozen=True)
class Tile:
    """One headline figure: its metrics.json key, label, value as shown, a note, and whether a
    figure that is not zero calls for action (drawn red, as index.html marks it)."""

    key: str
    label: str
    value: str
    note: str = ""
    act: bool = False


@dataclass(frozen=True)
class DailyCard:
    """What the card says, before it is drawn: only counts and place names."""

    name: str                  # whose card: "示例县城厢镇", the county's "示例县"
    place: str                 # "城厢镇", "全县"
    as_of: dt.date
    school_day: str            # "本学期第 31 个上课日", "今日非上课日"
    alerts: tuple[str, ...]    # today's absences not uploaded, a surge, more open cases than a week ago
    tiles: tuple[Tile, ...]
    actions: tuple[str, ...]   # 今日需处理 (show.todays_actions)
    # The county's only (None for a township): (township, open cases), most first / fewest first,
    # and a note when townships not listed share a listed count.
    most: tuple[tuple[str, int], ...] | None = None
    fewest: tuple[tuple[str, int], ...] | None = None
    ranking_note: str = ""
    townships: int = 0

    @property
    def title(self) -> str:
        """"示例县城厢镇 控辍保学日报": the report's header says the same."""
        return f"{self.name} {TITLE}"


# --- what the card says ----------------------------------------------------------------


def _count(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _tiles(m: Mapping, zero_reports: str) -> tuple[Tile, ...]:
    """The report's key figures (show.header, index.html's COCKPIT), from the same metrics."""
    warning = m.get("early_warning") or {}
    high, medium = warning.get("high"), warning.get("medium")
    absence_note = absent_today_note(m, zero_reports)
    return (
        Tile("cases_open", "在办辍学案件", _count(m.get("cases_open")),
             f"含脱贫户 {_count(m.get('cases_open_tuopin'))} 件"),
        Tile("absent_unexcused_today", "今日无故缺勤", _count(m.get("absent_unexcused_today")), absence_note),
        Tile("out_of_school_suspected", "疑似失学", _count(m.get("out_of_school_suspected")), "户籍有、学籍无"),
        Tile("enrollment_rate", "入学率", percent(m.get("enrollment_rate")),
             f"适龄 {_count(m.get('school_age_population'))} 人"),
        Tile("early_warning.high", "预警（高）", _count(high), f"预警（中）{_count(medium)} 人", act=bool(high)),
        Tile("notices_overdue", "通知书逾期", _count(m.get("notices_overdue")), "限期复学通知书",
             act=bool(m.get("notices_overdue"))),
    )


def extremes(ranking: pd.DataFrame, k: int = TOP_AND_BOTTOM
             ) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], str]:
    """The k townships with most open cases (most first) and the k with fewest (fewest first),
    never one township in both; ties by name, as the 周通报 table orders them. The note says
    how many townships not listed share the count at either end, so a tie is not hidden."""
    rows = ranking[["township", "cases_open"]].dropna(subset=["cases_open"])
    rows = rows.assign(cases_open=rows["cases_open"].astype("int64"), township=rows["township"].astype(str))
    ordered = rows.sort_values(["cases_open", "township"], ascending=[False, True])
    most = ordered.head(k)
    fewest = ordered.iloc[len(most):].sort_values(["cases_open", "township"]).head(k)
    listed = set(most["township"]) | set(fewest["township"])
    others = rows[~rows["township"].isin(listed)]
    notes = []
    for part, words in ((most, "最多"), (fewest, "最少")):
        if len(part):
            edge = int(part["cases_open"].iloc[-1])
            same = int((others["cases_open"] == edge).sum())
            if same:
                notes.append(f"另有 {same} 个乡镇同为 {edge} 件（{words}一侧）")
    pairs = lambda part: tuple(zip(part["township"], (int(n) for n in part["cases_open"])))
    return pairs(most), pairs(fewest), "；".join(notes)


def card_of(a: Analysis) -> DailyCard:
    """The card of a township's or the county's Analysis."""
    m = a.metrics
    county = a.township is None
    # Ledger text on one line, its control and bidirectional characters shown (util.text).
    name = chart_text(f"{a.params.county}{'' if county else a.township}")
    school_day = (f"本学期第 {m['school_days_so_far']} 个上课日" if m.get("is_school_day", True)
                  else "今日非上课日")
    alerts = header_alerts(a)
    most = fewest = None
    note, townships = "", 0
    if county and a.ranking is not None:
        most, fewest, note = extremes(a.ranking)
        most, fewest = (tuple((chart_text(town), cases) for town, cases in pairs) for pairs in (most, fewest))
        townships = len(a.ranking)
    return DailyCard(name=name, place=COUNTY_WIDE if county else chart_text(a.township), as_of=a.as_of,
                     school_day=school_day, alerts=alerts, tiles=_tiles(m, a.params.zero_reports),
                     actions=tuple(todays_actions(m, max(a.params.escalation))),
                     most=most, fewest=fewest, ranking_note=note, townships=townships)


# --- measuring text ---------------------------------------------------------------------


@functools.cache
def _font_file(family: str) -> str:
    return findfont(FontProperties(family=family), fallback_to_default=False)


@functools.cache
def _advance_em(family: str, char: str) -> float:
    """A character's advance in em (the pen moves by it; CJK text has no kerning)."""
    font = get_font(_font_file(family))
    font.set_size(100, 72)  # 100 px to the em
    return font.load_char(ord(char), flags=LoadFlags.NO_HINTING).linearHoriAdvance / 65536 / 100


def text_width(family: str, text: str, size_px: float) -> float:
    """The width in px of one line of ``text`` at ``size_px``, with 2% to spare for hinting."""
    return 1.02 * size_px * sum(_advance_em(family, char) for char in text)


# A number with its unit stays whole, as do Latin words; a line never starts with a closing mark.
_TOKENS = re.compile(r"[A-Za-z0-9.%]+|\s+|.", re.DOTALL)
_NO_LINE_START = set("，。、；：？！）」』”’%％…—")


def wrap(family: str, text: str, size_px: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` px (Chinese breaks between any two
    characters; a run of digits or Latin letters is never split, nor a closing mark sent to
    the start of a line)."""
    lines: list[str] = []
    current: list[str] = []
    for token in _TOKENS.findall(text):
        if token == "\n":
            lines.append("".join(current).rstrip())
            current = []
            continue
        if "".join(current).strip() and text_width(family, "".join([*current, token]).rstrip(), size_px) > width:
            carried = [current.pop()] if token in _NO_LINE_START and len(current) > 1 else []
            lines.append("".join(current).rstrip())
            current = carried
        if current or not token.isspace():
            current.append(token)
    lines.append("".join(current).rstrip())
    return _no_orphan(lines)


def _no_orphan(lines: list[str]) -> list[str]:
    """A last line of one or two characters ("部）") takes a character or two more from the line
    before, unless that would split a number or a word or start the line with a closing mark."""
    while (len(lines) > 1 and len(lines[-1].strip()) < 3 and len(lines[-2]) > 6
           and not lines[-2][-1].isspace() and lines[-2][-1] not in _NO_LINE_START
           and not (lines[-2][-1].isascii() and lines[-2][-1].isalnum())):
        lines[-2:] = [lines[-2][:-1].rstrip(), lines[-2][-1] + lines[-1]]
    return lines


def fit(family: str, text: str, size_px: float, width: float, smallest: float = SMALLEST_PX) -> tuple[str, float]:
    """One line in ``width`` px: smaller down to ``smallest``, then (a long place name) cut with "…"."""
    if text_width(family, text, size_px) > width:
        size_px = max(smallest, size_px * width / text_width(family, text, size_px))
    while len(text) > 1 and text_width(family, text, size_px) > width:
        text = text[:-2] + "…"
    return text, size_px


# --- drawing ------------------------------------------------------------------------------


class _Layout:
    """Artists placed in px from the card's top-left corner; the height is known at the end."""

    def __init__(self, family: str):
        self.family = family
        self.y = 0.0
        self._ops: list[Callable[[Figure, Transform], None]] = []

    def text(self, x: float, y: float, s: str, size_px: float, color: str = INK, ha: str = "left",
             va: str = "top") -> None:
        fontsize = size_px * 72 / DPI
        self._ops.append(lambda figure, px: figure.text(
            x, y, s, transform=px, fontsize=fontsize, color=color, ha=ha, va=va,
            fontfamily=self.family, parse_math=False, usetex=False))

    def box(self, x: float, y: float, w: float, h: float, face: str, edge: str | None = None,
            rounded: bool = True, linewidth: float = 2.0) -> None:
        def draw(figure: Figure, px: Transform) -> None:
            style = "round,pad=0,rounding_size=14" if rounded else "square,pad=0"
            figure.patches.append(FancyBboxPatch(
                (x, y), w, h, boxstyle=style, transform=px, facecolor=face,
                edgecolor=edge or face, linewidth=linewidth if edge else 0))
        self._ops.append(draw)

    def bar(self, x: float, y: float, w: float, h: float, color: str) -> None:
        self._ops.append(lambda figure, px: figure.patches.append(
            Rectangle((x, y), w, h, transform=px, facecolor=color, linewidth=0)))

    def lines(self, x: float, lines: Sequence[str], size_px: float, color: str = INK,
              leading: float = 1.4) -> None:
        for line in lines:
            self.text(x, self.y, line, size_px, color)
            self.y += size_px * leading

    def figure(self) -> Figure:
        height = math.ceil(self.y)
        figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI, facecolor="white")
        # px from the top-left corner -> figure fraction (y up) -> the canvas.
        px = Affine2D().scale(1, -1).translate(0, height).scale(1 / WIDTH_PX, 1 / height) + figure.transFigure
        for op in self._ops:
            op(figure, px)
        return figure


def _header(layout: _Layout, card: DailyCard) -> None:
    family, inner = layout.family, WIDTH_PX - 2 * MARGIN
    # A long name goes on a line of its own, so that 控辍保学日报 is never cut.
    titles = ([(card.title, 64)] if text_width(family, card.title, 64) <= inner
              else [fit(family, card.name, 64, inner, smallest=40), (TITLE, 64)])
    day = f"截至 {card.as_of.isoformat()}（星期{WEEKDAYS[card.as_of.weekday()]}）"
    # The township's name is in the title already; the county's card says it is the whole county.
    sub = f"{card.place} · {card.school_day}" if card.place == COUNTY_WIDE else card.school_day
    height = 36 + sum(size * 1.3 for _, size in titles) + 52 * 1.3 + 36 * 1.3 + 24
    layout.bar(0, 0, WIDTH_PX, height, BAND)
    layout.y = 36
    for text, size in titles:
        layout.text(MARGIN, layout.y, text, size, "white")
        layout.y += size * 1.3
    layout.text(MARGIN, layout.y, day, 52, "white")
    layout.y += 52 * 1.3
    layout.text(MARGIN, layout.y, sub, 36, "#ddf4ff")
    layout.y = height


def _alerts(layout: _Layout, card: DailyCard) -> None:
    if not card.alerts:
        return
    size = 36
    wrapped = [wrap(layout.family, text, size, WIDTH_PX - 2 * MARGIN - 24) for text in card.alerts]
    height = 20 + sum(len(lines) for lines in wrapped) * size * 1.4 + 12
    layout.bar(0, layout.y, WIDTH_PX, height, ACT_BG)
    layout.bar(0, layout.y, 10, height, ACT)
    layout.y += 20
    for lines in wrapped:
        layout.lines(MARGIN + 12, lines, size, "#82071e")
    layout.y += 12


def _tile_grid(layout: _Layout, card: DailyCard) -> None:
    family = layout.family
    width = (WIDTH_PX - 2 * MARGIN - (TILES_PER_ROW - 1) * GAP) / TILES_PER_ROW
    height, pad = 230, 20
    layout.y += 28
    for at, tile in enumerate(card.tiles):
        row, column = divmod(at, TILES_PER_ROW)
        x, y = MARGIN + column * (width + GAP), layout.y + row * (height + GAP)
        red = tile.act
        layout.box(x, y, width, height, ACT_BG if red else TILE_BG, ACT if red else TILE_EDGE)
        value, value_size = fit(family, tile.value, 92, width - 2 * pad, smallest=48)
        layout.text(x + pad, y + 14, value, value_size, ACT if red else INK)
        label, label_size = fit(family, tile.label, 40, width - 2 * pad)
        layout.text(x + pad, y + 128, label, label_size, INK)
        if tile.note:
            # A figure is never cut: a note too long for the tile is drawn a little smaller.
            note, note_size = fit(family, tile.note, SMALLEST_PX, width - 2 * pad, smallest=24)
            layout.text(x + pad, y + 178, note, note_size, MUTED)
    rows = math.ceil(len(card.tiles) / TILES_PER_ROW)
    layout.y += rows * height + (rows - 1) * GAP + 28


def _actions(layout: _Layout, card: DailyCard) -> None:
    family, size, leading = layout.family, 36, 1.4
    indent = MARGIN + 34
    # The numbers hang: a wrapped line starts under the text, not under "1.".
    text_x = indent + (text_width(family, f"{len(card.actions)}. ", size) if card.actions else 0)
    room = WIDTH_PX - MARGIN - 24 - text_x
    items = [wrap(family, item, size, room) for item in card.actions] or [wrap(family, NO_ACTIONS, size, room)]
    height = 24 + 46 * 1.5 + sum(len(lines) * size * leading + 10 for lines in items) + 14
    layout.box(MARGIN, layout.y, WIDTH_PX - 2 * MARGIN, height, TODO_BG, rounded=False)
    layout.bar(MARGIN, layout.y, 10, height, TODO_EDGE)
    top = layout.y
    layout.y += 24
    layout.text(indent, layout.y, "今日需处理", 46)
    layout.y += 46 * 1.5
    for n, lines in enumerate(items, start=1):
        if card.actions:
            layout.text(indent, layout.y, f"{n}.", size)
        layout.lines(text_x, lines, size, leading=leading)
        layout.y += 10
    layout.y = top + height + 28


def _ranking(layout: _Layout, card: DailyCard) -> None:
    if card.most is None or card.fewest is None:
        return
    family = layout.family
    heading, size = fit(family, f"乡镇在办辍学案件（共 {card.townships} 个乡镇）", 46, WIDTH_PX - 2 * MARGIN)
    layout.text(MARGIN, layout.y, heading, size)
    layout.y += size * 1.5
    if not card.most:
        layout.lines(MARGIN, ["暂无乡镇数据"], 40, MUTED)
        layout.y += 20
        return
    column = (WIDTH_PX - 2 * MARGIN - GAP) / 2
    rows = max(len(card.most), len(card.fewest))
    row_height, pad = 40 * 1.45, 20
    height = 40 * 1.5 + rows * row_height + 2 * pad
    for at, (words, listed) in enumerate((("最多", card.most), ("最少", card.fewest))):
        x = MARGIN + at * (column + GAP)
        layout.box(x, layout.y, column, height, TILE_BG, TILE_EDGE)
        layout.text(x + pad, layout.y + pad, words, 40, MUTED)
        for n, (township, cases) in enumerate(listed):
            y = layout.y + pad + 40 * 1.5 + n * row_height
            count = f"{cases} 件"
            layout.text(x + column - pad, y, count, 40, ha="right")
            room = column - 2 * pad - text_width(family, count, 40) - 16
            name, name_size = fit(family, township, 40, room)
            layout.text(x + pad, y, name, name_size)
    layout.y += height + 12
    if card.ranking_note:
        layout.lines(MARGIN, wrap(family, card.ranking_note, SMALLEST_PX, WIDTH_PX - 2 * MARGIN), SMALLEST_PX, MUTED)
    layout.y += 16


def _footer(layout: _Layout) -> None:
    lines = wrap(layout.family, FOOTER, SMALLEST_PX, WIDTH_PX - 2 * MARGIN)
    layout.y += 8
    layout.lines(MARGIN, lines, SMALLEST_PX, MUTED)
    layout.y += 24


def draw_card(card: DailyCard) -> Figure:
    """The card as a matplotlib Figure, 1080 px wide at DPI."""
    family = use_cjk_font()
    layout = _Layout(family)
    with glyphs_checked():
        for part in (_header, _alerts, _tile_grid, _actions, _ranking):
            part(layout, card)
        _footer(layout)
    return layout.figure()


def daily_card_png(a: Analysis) -> bytes:
    """The card of ``a`` as a palette PNG (a character the font lacks raises MissingGlyph)."""
    return palette_png(draw_card(card_of(a)))


def write_daily_card(a: Analysis, path: str | Path) -> Path:
    """Write the card of ``a`` to ``path`` whole (the temporary file is renamed into place)."""
    png = daily_card_png(a)
    with replacing(path) as temporary:
        temporary.write_bytes(png)
    return Path(path)
