"""Charts draw Chinese with the bundled Noto font, without tofu, and survive empty input."""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from kcbx.report import charts, show
from kcbx.report.fonts import MissingGlyph, cjk_font_path, use_cjk_font


def render_png(figure: Figure) -> tuple[bytes, list[str]]:
    """The figure as PNG, and every warning message drawing it raised."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(buffer, format="png")
    return buffer.getvalue(), [str(warning.message) for warning in caught]


def chinese_figure(text: str = "控辍保学") -> Figure:
    figure = Figure(figsize=(3, 1))
    figure.text(0.1, 0.5, text)
    return figure


# --- fonts -------------------------------------------------------------------------


def test_use_cjk_font_resolves_the_bundled_noto_font():
    family = use_cjk_font()
    assert family == "Noto Sans CJK SC"
    resolved = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]),
                                     fallback_to_default=False)
    assert Path(resolved) == cjk_font_path()
    assert "DejaVu" not in resolved
    assert "SimHei" not in str(cjk_font_path())  # proprietary: never used


def test_use_cjk_font_is_idempotent():
    use_cjk_font()
    use_cjk_font()
    sans = matplotlib.rcParams["font.sans-serif"]
    assert sans[0] == "Noto Sans CJK SC"
    assert sans.count("Noto Sans CJK SC") == 1
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_chinese_renders_without_missing_glyphs():
    use_cjk_font()
    png, messages = render_png(chinese_figure("控辍保学 −1"))
    assert png.startswith(b"\x89PNG")
    assert not [m for m in messages if "missing from font" in m], messages


def test_the_missing_glyph_check_does_catch_tofu():
    # Control for the test above: with DejaVu Sans alone, matplotlib does warn.
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        _, messages = render_png(chinese_figure())
    assert any("missing from font" in m for m in messages)


# --- charts --------------------------------------------------------------------------

DAYS = pd.date_range("2021-09-01", periods=5, freq="B")
CHARTS = {
    "case_states_over_time": lambda: charts.case_states_over_time(pd.DataFrame(
        {"date": list(DAYS) * 2, "state": ["open"] * 5 + ["returned"] * 5,
         "cases": [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]}), {"open": "未返校", "returned": "已复学"}),
    "daily_trend": lambda: charts.daily_trend(pd.DataFrame({"date": DAYS, "pupils": [3, 2, 4, 1, 0]})),
    "warning_rules": lambda: charts.warning_rules(
        {"attendance": 40, "streak": 12}, {"attendance": 9, "streak": 12},
        {"attendance": "出勤率低", "streak": "连续缺勤"}),
}
EMPTY_CHARTS = {
    "case_states_over_time": lambda: charts.case_states_over_time(
        pd.DataFrame(columns=["date", "state", "cases"])),
    "daily_trend": lambda: charts.daily_trend(pd.DataFrame(columns=["date", "pupils"])),
    "warning_rules": lambda: charts.warning_rules({}, {}, {}),
}


def texts_of(figure: Figure) -> list[str]:
    found = [text.get_text() for text in figure.findobj(matplotlib.text.Text)]
    return [text for text in found if text]


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_renders_chinese_without_warnings(name, caplog):
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        figure = CHARTS[name]()
        png, messages = render_png(figure)
    assert png.startswith(b"\x89PNG")
    assert messages == []
    assert caplog.records == []  # e.g. "findfont: Failed to find font weight bold"
    assert figure.get_size_inches()[0] == pytest.approx(charts.FIGSIZE[0])
    assert figure.get_size_inches()[1] >= charts.FIGSIZE[1]
    assert figure.dpi == charts.DPI
    # Every chart has a Chinese title.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in figure.axes[0].get_title(loc="left"))


@pytest.mark.parametrize("name", sorted(EMPTY_CHARTS))
def test_empty_input_gives_a_figure_saying_no_data(name):
    figure = EMPTY_CHARTS[name]()
    png, messages = render_png(figure)
    assert png.startswith(b"\x89PNG")
    assert messages == []
    assert "暂无数据" in texts_of(figure)


def test_case_states_use_the_chinese_labels_in_mapping_order():
    figure = CHARTS["case_states_over_time"]()
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["未返校", "已复学"]


def test_case_states_step_with_whole_case_counts():
    # Open: 1 case on Mon and Tue, 2 from Wed; returned: 0, then 1 from Tue. Each band is a
    # staircase: its outline moves only straight across or straight up/down (no slope
    # between two days), and every height is a whole number of cases.
    days = pd.to_datetime(["2021-10-11", "2021-10-12", "2021-10-13"])
    figure = charts.case_states_over_time(pd.DataFrame(
        {"date": list(days) * 2, "state": ["open"] * 3 + ["returned"] * 3, "cases": [1, 1, 2, 0, 1, 1]}),
        {"open": "未返校", "returned": "已复学"})
    axes = figure.axes[0]
    bands = axes.collections
    assert len(bands) == 2
    for band in bands:
        outline = band.get_paths()[0].vertices
        steps = np.diff(outline, axis=0)
        assert np.all((np.abs(steps[:, 0]) < 1e-9) | (np.abs(steps[:, 1]) < 1e-9))
        assert np.allclose(outline[:, 1], np.round(outline[:, 1]))
    # The top of the stack on Wed: 2 open + 1 returned = 3 cases.
    assert bands[1].get_paths()[0].vertices[:, 1].max() == 3
    figure.canvas.draw()
    assert all(float(t).is_integer() for t in axes.get_yticks())


def test_a_chart_missing_a_column_says_which():
    with pytest.raises(KeyError, match="pupils"):
        charts.daily_trend(pd.DataFrame({"date": DAYS}))


def test_report_charts_are_palette_pngs_that_keep_their_colours():
    import base64

    from PIL import Image

    from kcbx.report.show import figure_html

    figure = CHARTS["daily_trend"]()
    tag = figure_html(figure, alt="每日无故缺勤")
    png = base64.b64decode(tag.split("base64,")[1].split('"')[0])
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "P"
        assert image.width == charts.FIGSIZE[0] * charts.DPI  # 720 px: sharp on a phone
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 16)}
    # The bars' colour survives the palette exactly.
    r, g, b = matplotlib.colors.to_rgb(charts.ACCENT)
    assert (round(r * 255), round(g * 255), round(b * 255)) in colours


@pytest.mark.parametrize("name", sorted(CHARTS) + [f"empty {name}" for name in sorted(EMPTY_CHARTS)])
def test_every_word_of_a_chart_reads_at_11_css_px_on_a_phone(name):
    # The page shows a chart at least PHONE_CHART_CSS_PX wide (the browser test checks that);
    # a text of s pt on a figure w in wide is then s / 72 * 340 / w CSS px.
    figure = EMPTY_CHARTS[name.removeprefix("empty ")]() if name.startswith("empty ") else CHARTS[name]()
    figure.canvas.draw()
    scale = charts.PHONE_CHART_CSS_PX / (figure.get_size_inches()[0] * 72)
    sizes = {text.get_text(): text.get_fontsize() * scale
             for text in figure.findobj(matplotlib.text.Text) if text.get_text() and text.get_visible()}
    assert sizes
    small = {text: round(px, 1) for text, px in sizes.items() if px < 11}
    assert not small, small


def test_the_rule_chart_puts_the_first_rule_on_top_with_its_listed_part():
    figure = CHARTS["warning_rules"]()
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["连续缺勤", "出勤率低"]
    assert {"40人（名单内9）", "12人（名单内12）"} <= set(texts_of(figure))


def test_the_daily_trend_draws_no_line_across_a_holiday():
    # School days Thu 30 Sep, Fri 8 Oct and Sat 9 Oct (a make-up day, none absent), with the
    # National Day week between: a bar for each counted day, a dot on the axis for the day
    # with none absent, and no line that would join them across the week nobody was counted.
    figure = charts.daily_trend(pd.DataFrame({
        "date": pd.to_datetime(["2021-09-30", "2021-10-08", "2021-10-09"]), "pupils": [3, 5, 0]}))
    axes = figure.axes[0]
    assert [bar.get_height() for bar in axes.patches] == [3, 5, 0]
    (dots,) = axes.get_lines()
    assert dots.get_linestyle() == "None" and list(dots.get_ydata()) == [0]


# A machine whose matplotlib font list names a system Noto CJK file that has since been
# removed, and no system CJK font left: findfont rebuilds its font manager on the missing
# file and forgets the font kcbx added. The charts must still draw Noto CJK.
STALE_CACHE = r'''
import json, sys
from pathlib import Path
import matplotlib
from matplotlib import font_manager
cache = Path(matplotlib.get_cachedir())
listing = next(cache.glob("fontlist-*.json"))
fonts = json.loads(listing.read_text())
fonts["ttflist"] = [font for font in fonts["ttflist"] if "CJK" not in font["name"]]  # none on this machine
stale = dict(fonts["ttflist"][0], fname="/no/such/dir/NotoSansCJK-Regular.ttc", name="Noto Sans CJK SC",
             style="normal", variant="normal", weight=400, stretch="normal", size="scalable")  # as good a match as ours
fonts["ttflist"].insert(0, stale)
listing.write_text(json.dumps(fonts))
'''
DRAW_WITH_STALE_CACHE = r'''
import warnings
from matplotlib import font_manager
font_manager.findSystemFonts = lambda *args, **kwargs: []  # no system CJK font on this machine
import matplotlib.pyplot as plt
from kcbx.report import show
from kcbx.report.fonts import cjk_font_path, use_cjk_font
family = use_cjk_font()
with warnings.catch_warnings():
    warnings.simplefilter("error")
    figure, axes = plt.subplots()
    axes.set_title("城厢镇 在办案件")
    show.figure_html(figure, "chart")
found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
print(found == str(cjk_font_path()))
'''


def test_a_stale_font_cache_still_draws_noto_cjk(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True, timeout=300)
    subprocess.run([sys.executable, "-c", STALE_CACHE], env=env, check=True, timeout=300)
    done = subprocess.run([sys.executable, "-c", DRAW_WITH_STALE_CACHE], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True"]


def test_a_missing_glyph_is_an_error_not_a_box():
    use_cjk_font()
    figure = Figure()
    figure.add_subplot().set_title("表情 \U0001F600")  # no CJK font has it
    with pytest.raises(MissingGlyph, match="GRINNING FACE"):
        show.figure_html(figure, "chart")
