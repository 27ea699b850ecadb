"""Ledger text is inert wherever it goes (issue 23): on a terminal or in a log (one line, no
control or bidirectional character), in a chart (drawn as text, never as mathematics), and as
a folder name (never outside the output folder)."""

from __future__ import annotations

import io
import os
import sys
import unicodedata
import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcbx.outputs import safe_dirname
from kcbx.report import charts
from kcbx.util.text import INERT_LIMIT, chart_text, inert, is_inert, one_line

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
SEPARATORS = ["\u2028", "\u2029"]
MATH = ["$", "\\", "{", "}", "^", "_", "$\\frac{1}{$", "$x^2$", "\\$", "%"]
SAMPLES = ["龙合镇$\\frac{1}{$中心小学", "城厢镇\n中心小学", "a\u202ebc.exe", "\x1b[31m红\x1b[0m", "x\x00y"]

hostile_text = st.text(
    st.one_of(st.characters(codec="utf-8"), st.characters(), st.sampled_from(BIDI + CONTROLS + SEPARATORS),
              st.sampled_from(["$", "\\", "{", "}", "^", "_", ".", "/", " ", "城", "镇"])),
    max_size=80,
) | st.sampled_from(SAMPLES) | st.lists(st.sampled_from(MATH + BIDI + ["城"]), min_size=60,
                                        max_size=150).map("".join)

# What must never reach a terminal line as itself (brute force, independent of the helper).
NEVER = set(BIDI + CONTROLS + SEPARATORS + ["\u200b", "\u200d", "\ufeff", "\u2060"])


def shown_as_itself(char: str) -> bool:
    return char not in NEVER and unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


# --- terminal and log ----------------------------------------------------------------------------


def test_every_code_point_is_shown_as_itself_or_made_visible():
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        shown = inert(char)
        if shown_as_itself(char):
            assert shown == char, hex(code)
        else:
            assert shown == f"<U+{code:04X}>", hex(code)
            assert all(shown_as_itself(c) for c in shown)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_a_terminal_line_of_ledger_text_is_one_line_with_nothing_hidden(name):
    line = inert(name)
    assert len(line.splitlines()) <= 1 and "\n" not in line and "\r" not in line
    assert all(shown_as_itself(char) for char in line)
    assert is_inert(line)
    assert len(line) <= INERT_LIMIT
    assert inert(line) == line  # idempotent: a logged line can be logged again
    line.encode("utf-8")  # a lone surrogate would raise on the terminal
    whole = inert(name, limit=None)
    if is_inert(name):
        assert whole == name


def test_samples_read_as_expected():
    assert inert("城厢镇\n中心小学") == "城厢镇<U+000A>中心小学"
    assert inert("a\u202ebc.exe") == "a<U+202E>bc.exe"
    assert inert("龙合镇$\\frac{1}{$中心小学") == "龙合镇$\\frac{1}{$中心小学"  # a terminal parses nothing
    assert inert("x" * 500).endswith("…") and len(inert("x" * 500)) == INERT_LIMIT
    assert one_line("第一行\n  第二行\n") == "第一行 / 第二行"


# --- charts ---------------------------------------------------------------------------------------


def drawn(figure) -> None:
    """Draw to a PNG (small) as the report does: any mathtext parse would happen here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the CJK font lacks only warns
        figure.savefig(io.BytesIO(), format="png", dpi=20)


def texts_parse_no_math(texts) -> None:
    for text in texts:
        assert text._parse_math is False and not text.get_usetex()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_text, min_size=1, max_size=4))
def test_warning_rule_labels_are_drawn_as_text(names):
    labels = {f"rule{n}": name for n, name in enumerate(names)}
    figure = charts.warning_rules(dict.fromkeys(labels, 2), dict.fromkeys(labels, 1), labels,
                                  title=names[0])
    drawn(figure)
    axes = figure.axes[0]
    ticks = list(axes.get_yticklabels())
    assert [t.get_text() for t in ticks] == [chart_text(name) for name in names][::-1]
    texts_parse_no_math(ticks)
    assert axes._left_title.get_text() == chart_text(names[0])
    texts_parse_no_math([axes._left_title])


# A state read from a ledger is decoded text: it never holds a lone surrogate, which pandas'
# Arrow-backed text refuses before any chart is drawn (hypothesis found one).
ledger_text = hostile_text.filter(lambda text: not any(0xD800 <= ord(char) <= 0xDFFF for char in text))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ledger_text, min_size=1, max_size=4, unique=True), st.booleans())
def test_case_state_legend_labels_are_drawn_as_text(states, labelled):
    dates = pd.to_datetime(["2021-10-11", "2021-10-12"])
    frame = pd.DataFrame([{"date": d, "state": s, "cases": 1} for d in dates for s in states])
    labels = {state: f"{state}的标签" for state in states} if labelled else None
    figure = charts.case_states_over_time(frame, labels, title=states[-1])
    drawn(figure)
    legend_texts = figure.legends[0].get_texts()
    expected = [chart_text(labels[s] if labels else s) for s in states]
    assert sorted(t.get_text() for t in legend_texts) == sorted(expected)
    texts_parse_no_math(legend_texts)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_daily_trend_title_is_drawn_as_text(title):
    frame = pd.DataFrame({"date": pd.to_datetime(["2021-10-11", "2021-10-12"]), "pupils": [0, 3]})
    figure = charts.daily_trend(frame, title=title)
    drawn(figure)
    assert figure.axes[0]._left_title.get_text() == chart_text(title)


def test_the_reported_school_name_draws():
    name = "龙合镇$\\frac{1}{$中心小学"
    figure = charts.warning_rules({"a": 1}, {"a": 0}, {"a": name})
    drawn(figure)
    assert figure.axes[0].get_yticklabels()[0].get_text() == name


# --- folder names ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_a_folder_name_stays_inside_the_output_folder(name):
    folder = safe_dirname(name)
    assert folder and "/" not in folder and "\\" not in folder and "\x00" not in folder
    assert folder not in {".", ".."}
    base = os.path.join("/srv", "outputs", "示例县")
    joined = os.path.normpath(os.path.join(base, folder))
    assert os.path.dirname(joined) == base
    assert len(folder.encode("utf-8", "surrogatepass")) <= 255


@settings(max_examples=100, deadline=None)
@given(hostile_text)
def test_a_folder_name_holds_no_bidi_or_control_character(name):
    assert is_inert(safe_dirname(name))
