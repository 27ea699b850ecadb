"""daily.png, the 日报 card: 1080 px wide, Noto CJK only and no box for a missing glyph, the
report's figures and 今日需处理, the county's top and bottom townships, ledger text drawn
literally, no pupil's identity; written by notebook.write_outputs and linked from index.html.

On the demo county's store (`make test` writes and ingests it), figures changed by hand
where a test needs them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
import warnings
from pathlib import Path
from urllib.parse import quote

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from kcbx import notebook
from kcbx.analysis.county import measure_county
from kcbx.outputs import DAILY_CARD_FILE
from kcbx.params import load_params
from kcbx.report import daily_card, show
from kcbx.report.daily_card import card_of, daily_card_png, draw_card
from kcbx.report.fonts import MissingGlyph, cjk_font_path
from kcbx.runner.index import render_index
from kcbx.store.tables import load_tables
from support.paths import DEMO_PARAMS  # written and ingested by `make test`

AS_OF = dt.date(2021, 10, 15)


@pytest.fixture(scope="module")
def county_pass():
    params = load_params(DEMO_PARAMS)
    return measure_county(load_tables(params.store), params, AS_OF)


@pytest.fixture(scope="module")
def county(county_pass):
    return county_pass.analysis(None)  # with its ranking of the townships


@pytest.fixture(scope="module")
def township(county_pass):
    return county_pass.analysis(county_pass.townships()[0])


def texts(figure) -> list[str]:
    return [text.get_text() for text in text_artists(figure)]


def text_artists(figure) -> list[matplotlib.text.Text]:
    return [text for text in figure.findobj(matplotlib.text.Text) if text.get_text()]


def card_texts(a) -> list[str]:
    return texts(draw_card(card_of(a)))


# --- the picture ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["county", "township"])
def test_the_card_is_a_small_palette_png_1080_px_wide(which, request):
    png = daily_card_png(request.getfixturevalue(which))
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.mode == "P"  # a palette: a third of the bytes
        assert image.width == 1080
        assert 900 < image.height < 2400  # one phone screen or two, not a scroll
    assert len(png) < 200_000


@pytest.mark.parametrize("which", ["county", "township"])
def test_every_text_is_noto_cjk_and_no_glyph_is_missing(which, request, caplog):
    figure = draw_card(card_of(request.getfixturevalue(which)))
    with caplog.at_level(logging.WARNING, logger="matplotlib"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = show.palette_png(figure)
    assert png.startswith(b"\x89PNG")
    assert not [str(w.message) for w in caught], [str(w.message) for w in caught]
    assert caplog.records == []  # e.g. "findfont: Failed to find font weight bold"
    artists = text_artists(figure)
    assert len(artists) > 20
    for text in artists:
        found = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert Path(found) == cjk_font_path() and "Noto" in found and "CJK" in found, (text.get_text(), found)


def test_a_character_the_font_lacks_fails_the_card_instead_of_drawing_a_box(township):
    with pytest.raises(MissingGlyph, match="GRINNING FACE"):
        daily_card_png(dataclasses.replace(township, township="表情\U0001F600镇"))


def test_every_text_stays_on_the_card_and_reads_on_a_phone(county):
    figure = draw_card(card_of(county))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height()
    renderer = canvas.get_renderer()
    for text in text_artists(figure):
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, text.get_text()
        # 1080 px shown 360 CSS px wide: 34 px is 11 CSS px.
        assert text.get_fontsize() * daily_card.DPI / 72 >= daily_card.SMALLEST_PX - 0.01, text.get_text()


def test_the_card_says_the_data_s_day_and_not_the_clock(county, township):
    for a in (county, township):
        shown = card_texts(a)
        assert "截至 2021-10-15（星期五）" in shown
        assert not [t for t in shown if re.search(r"\d{1,2}:\d{2}", t)]
    assert f"示例县{township.township} 控辍保学日报" in card_texts(township)
    assert "示例县 控辍保学日报" in card_texts(county)


def test_a_long_name_goes_on_its_own_line_and_never_cuts_the_title(township):
    shown = card_texts(dataclasses.replace(township, township="城厢镇" * 8))
    assert "控辍保学日报" in shown
    assert [t for t in shown if t.startswith("示例县城厢镇城厢镇")]


def test_the_headline_figures_are_the_report_s(county):
    m = county.metrics
    tiles = {tile.label: tile.value for tile in card_of(county).tiles}
    assert tiles == {
        "在办辍学案件": str(m["cases_open"]), "今日无故缺勤": str(m["absent_unexcused_today"]),
        "疑似失学": str(m["out_of_school_suspected"]), "入学率": show.percent(m["enrollment_rate"]),
        "预警（高）": str(m["early_warning"]["high"]), "通知书逾期": str(m["notices_overdue"])}
    shown = card_texts(county)
    for label, value in tiles.items():
        assert label in shown and value in shown


# --- 今日需处理 --------------------------------------------------------------------------------

# Each item of show.todays_actions, by the figure that makes it, and words only it has.
ACTIONS = {
    "notices_missing": "尚未发限期复学通知书或立案",
    "notices_overdue": "份限期复学通知书逾期",
    "early_warning.high": "本周内家访",
    "absent_unexcused_today": "当日联系家长",
    "out_of_school_suspected": "疑似失学儿童待核查",
}


def with_figures(a, **figures):
    """``a`` with hand-made figures: every 今日需处理 figure zero unless given, today's absences
    uploaded (so a figure of today's absences counts)."""
    metrics = dict(a.metrics, notices_missing=0, notices_overdue=0, absent_unexcused_today=0,
                   out_of_school_suspected=0, is_school_day=True, absence_data_through=a.metrics["as_of"],
                   early_warning=dict(a.metrics["early_warning"], high=figures.pop("early_warning.high", 0)))
    return dataclasses.replace(a, metrics={**metrics, **figures})


def joined(a) -> str:
    return "".join(card_texts(a))  # a wrapped item's lines follow each other


def test_nothing_to_do_says_so(township):
    page = joined(with_figures(township))
    assert daily_card.NO_ACTIONS in page
    assert not [words for words in ACTIONS.values() if words in page]


@pytest.mark.parametrize("key", sorted(ACTIONS))
def test_an_action_is_listed_exactly_when_its_figure_is_not_zero(key, township):
    a = with_figures(township, **{key: 7})
    page = joined(a)
    assert [words for words in ACTIONS.values() if words in page] == [ACTIONS[key]]
    assert "1.7 " in page and daily_card.NO_ACTIONS not in page
    # The very items of the report's 今日需处理: one list, not a second version.
    assert card_of(a).actions == tuple(show.todays_actions(a.metrics, max(a.params.escalation)))


def test_every_action_most_urgent_first(township):
    a = with_figures(township, **{key: n for n, key in enumerate(ACTIONS, start=1)})
    page = joined(a)
    assert [page.index(words) for words in ACTIONS.values()] == sorted(page.index(w) for w in ACTIONS.values())
    assert all(f"{n}.{n} " in page for n in range(1, 6))


def test_absences_not_uploaded_are_not_an_action_and_say_so(township):
    a = with_figures(township, absent_unexcused_today=4, absence_data_through="2021-10-14")
    page = joined(a)
    assert ACTIONS["absent_unexcused_today"] not in page
    assert "今日缺勤数据尚未上报" in page and "数据尚未上报" in card_texts(a)


def test_a_school_that_has_not_reported_is_said_as_on_the_page(county):
    # The demo county requires 零报告 and 坡荷乡那丰小学 sent nothing on 15 Oct: the card's alert
    # band and its 今日无故缺勤 tile say so, in the page's words.
    page = joined(county)
    assert "1所学校今日未上报缺勤（零报告）：坡荷乡那丰小学" in page.replace(" ", "")
    assert "缺 1 校数据" in card_texts(county)
    assert "缺 1 校数据" in show.header(county).body


# --- the county's townships ---------------------------------------------------------------------

RANKING = pd.DataFrame({
    "township": ["甲镇", "乙镇", "丙乡", "丁乡", "戊镇", "己乡", "庚镇", "辛乡"],
    "cases_open": [9, 2, 7, 0, 5, 1, 3, None],  # 辛乡: no figure, in neither list
})


def test_the_county_card_names_the_top_and_bottom_townships(county):
    shown = card_texts(dataclasses.replace(county, ranking=RANKING))
    for name in ("甲镇", "丙乡", "戊镇", "丁乡", "己乡", "乙镇"):
        assert name in shown
    for name in ("庚镇", "辛乡"):
        assert name not in shown
    assert "9 件" in shown and "0 件" in shown
    assert "最多" in shown and "最少" in shown and "乡镇在办辍学案件（共 8 个乡镇）" in shown


def test_the_demo_county_card_names_its_township_with_most_open_cases(county):
    most = county.ranking.sort_values(["cases_open", "township"], ascending=[False, True]).iloc[0]
    card = card_of(county)
    assert card.most[0] == (most["township"], int(most["cases_open"]))
    assert most["township"] in card_texts(county)


def test_top_and_bottom_never_share_a_township_and_a_tie_is_said():
    few = RANKING.head(4)  # 甲 9, 乙 2, 丙 7, 丁 0
    most, fewest, note = daily_card.extremes(few)
    assert most == (("甲镇", 9), ("丙乡", 7), ("乙镇", 2)) and fewest == (("丁乡", 0),) and note == ""
    tied = pd.DataFrame({"township": list("ABCDEFGH"), "cases_open": [5, 4, 3, 0, 0, 0, 0, 0]})
    most, fewest, note = daily_card.extremes(tied)
    assert [n for n, _ in fewest] == ["D", "E", "F"]
    assert note == "另有 2 个乡镇同为 0 件（最少一侧）"


def test_a_township_card_has_no_ranking(township):
    shown = card_texts(township)
    assert "最多" not in shown and not [t for t in shown if t.startswith("乡镇在办辍学案件")]


# --- ledger text and identities ----------------------------------------------------------------


def test_a_township_named_like_mathtext_is_drawn_literally(county, township):
    town = dataclasses.replace(township, township="$x^2$")
    ranked = dataclasses.replace(county, ranking=pd.DataFrame({"township": ["$x^2$", r"$\frac{a}{b}$"],
                                                               "cases_open": [3, 1]}))
    for a, raw in ((town, "示例县$x^2$ 控辍保学日报"), (ranked, r"$\frac{a}{b}$")):
        figure = draw_card(card_of(a))
        dollars = [text for text in text_artists(figure) if "$" in text.get_text()]
        assert raw in [text.get_text() for text in dollars]
        for text in dollars:
            assert text.get_parse_math() is False and text.get_usetex() is False, text.get_text()
        show.palette_png(figure)  # and it draws (as mathtext, "\frac{a}{b}" would be a fraction)


def test_no_pupil_name_id_or_phone_is_on_the_card(county, township):
    places = {county.params.county, *county.ranking["township"].astype(str)}
    names = set()
    for frame in (county.roster, county.cases, county.early_warning, county.out_of_school, county.school_age):
        for column in ("name", "guardian"):
            if column in frame.columns:
                names |= set(frame[column].dropna().astype(str))
    names = {n for n in names if len(n) >= 2 and not any(n in place for place in places)}
    assert len(names) > 100  # the check has something to find
    for a in (county, township):
        page = "\n".join(card_texts(a))
        assert not [n for n in names if n in page]
        assert not re.search(r"\d{7,}", page)  # no ID number, 学籍号 or phone


# --- written with the report, linked from index.html -------------------------------------------


def test_write_outputs_writes_the_card_beside_metrics_and_forms(township, tmp_path):
    written = notebook.write_outputs(township, tmp_path)
    card = tmp_path / DAILY_CARD_FILE
    assert card in written and card.is_file()
    assert card.read_bytes().startswith(b"\x89PNG")
    # No temporary file: the card, metrics, forms, the schools' forms (学校/) and the documents (文书/).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily.png", "forms.xlsx", "metrics.json", "学校", "文书"]


def manifest(*entries) -> dict:
    return {"county": "示例县", "as_of": "2021-10-15", "started_at": "2021-10-15T16:40:05+08:00",
            "finished_at": "2021-10-15T16:41:07+08:00", "seconds": 62.0, "kcbx_version": "0.1.0",
            "params_path": "params/demo.yaml", "params_sha256": "ab" * 32, "engine": "papermill",
            "workers": 2, "ok": False, "townships": list(entries)}


def entry(name: str, status: str = "ok", township: str | None = "") -> dict:
    return {"name": name, "township": name if township == "" else township, "dir": name, "status": status,
            "seconds": 1.0, "error": None if status == "ok" else {"exception": "KeyError", "message": "x"}}


def test_index_links_the_card_and_the_pdf_where_the_folder_holds_them(tmp_path):
    runs = manifest(entry("甲镇"), entry("乙镇"), entry("丙乡", "failed"), entry("county", township=None),
                    entry("..", township="戊镇"))
    for folder, files in {"甲镇": ("daily.png", "report.pdf"), "乙镇": (), "丙乡": ("daily.png",),
                          "county": ("daily.png",)}.items():
        (tmp_path / folder).mkdir()
        for name in files:
            (tmp_path / folder / name).write_bytes(b"x")
    (tmp_path / "daily.png").write_bytes(b"x")  # beside the folders: "../daily.png" must not be linked
    page = render_index(runs, tmp_path)
    town = quote("甲镇")

    def row(label: str) -> str:
        start = page.index(f"<td>{label}</td>")
        return page[start:page.index("</tr>", start)]

    assert (f'<a href="{town}/report.html">报告</a><br><a href="{town}/report.pdf">PDF</a>'
            f'<br><a href="{town}/daily.png">日报图</a></td>') in row("甲镇")
    assert '<a href="county/daily.png">日报图</a>' in row("全县汇总") and "PDF" not in row("全县汇总")
    assert "日报图" not in row("乙镇") and "PDF" not in row("乙镇")
    assert "日报图" not in row("丙乡")  # failed: its folder keeps only the notebook
    assert "日报图" not in row("..")
    # Without the run's folder (nothing to look at), no link at all.
    assert "日报图" not in render_index(runs) and "PDF" not in render_index(runs)
