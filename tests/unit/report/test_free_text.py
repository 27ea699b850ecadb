"""Free text in leadership HTML: IDs, phone numbers and known names never leak (issue 23).

The rules are privacy's module docstring. Hand-worked examples first, then the ledger
headers (taken from kcbx.ingest's own synonym lists, never copied), then hypothesis
properties against a brute-force reference, then the real sections of the small county of
test_show.py with the teacher's 备注 that once reached the township and county pages.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import unicodedata

import pandas as pd
import pytest
import test_show  # the small hand-made county (its `small` fixture) and its constants
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from stdnum.cn import ric

from kcbx.analysis.county import measure_county
from kcbx.ingest.ledgers.headers import BY_KIND, COMMON
from kcbx.report import privacy, show
from kcbx.report.privacy import Masker, header_kind, mask_name, safe_table_html
from support.builders import table

small = test_show.small  # the fixture, collected here too

ISSUE_NOTE = "家长称王一安… 身份证451026201502154691 电话13912345678"
LEAKS = ("451026201502154691", "13912345678", "王一安")


def ascii_digits(text: str) -> str:
    """Digits of any script (full-width ５, Arabic-Indic ٥) as ASCII digits."""
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)


DIGIT_RUN_15 = re.compile(r"\d{15,}")  # a decimal digit of any script
MOBILE = re.compile("1[3-9][0-9]{9}")  # looked for in ascii_digits(masked)


# --- the rules, by example ---------------------------------------------------------------


def test_the_issue_note_is_masked():
    masked = Masker(["王一安"])(ISSUE_NOTE)
    assert masked == "家长称王*安… 身份证451026********4691 电话139****5678"


@pytest.mark.parametrize(("text", "masked"), [
    ("451026201502154691", "451026********4691"),
    ("45102620150215469x", "451026********469X"),            # lower-case x read as X
    ("45102620150215469Ｘ", "451026********469X"),            # full-width X
    ("４５１０２６２０１５０２１５４６９１", "451026********4691"),  # full-width digits
    ("4510262015021546911", "451026*********6911"),          # 19 digits: a typo, still an ID
    ("451026150215469", "451026*********"),                  # the old 15-digit ID: only the region
    ("G451026201502154691", "G451026********4691"),          # a 学籍号 G + ID
    ("451026 20150215 4691", "451026********4691"),          # 6-8-4 with spaces
    ("451026-2015-0215-4691", "451026********4691"),         # 6-4-4-4 with dashes
    ("身份证:451026201502154691。", "身份证:451026********4691。"),
    ("13912345678", "139****5678"),
    ("139 1234 5678", "139****5678"),
    ("139-1234-5678", "139****5678"),
    ("+86 139 1234 5678", "+86 139****5678"),
    ("+8613912345678", "+86139****5678"),
    ("0827-1234567", "082****4567"),
    ("(0827)1234567", "082****4567"),
    ("０８２７－１２３４５６７", "082****4567"),
    ("213912345678", "2139****5678"),  # a mobile glued to another digit is still masked
])
def test_ids_and_phones_in_text(text, masked):
    assert Masker()(text) == masked


@pytest.mark.parametrize("text", [
    "2021-10-15 起连续 5 天无故缺勤", "10月15日 8:30 家访", "学费 1,250 元", "共 3 人",
    "学号 20210315", "本地电话 5123456",  # 7 digits without an area code: not recognisable
    "跟随奶奶生活，父亲外出务工", "外出务工（广东）", "<b>备注</b> & 说明", "",
])
def test_ordinary_text_is_unchanged(text):
    masker = Masker(["王一安", "奶奶", "父亲", "张", "NA", "李4"])  # the last four are no names
    assert masker(text) == text


def test_known_names_of_two_or_more_characters_are_masked_like_a_name_column():
    masker = Masker(["王一安", "欧阳建华", "张三", "李", "  赵 四 "])
    assert masker("王一安说欧阳建华和张三都来了，李老师在") == "王*安说欧阳*华和张*都来了，李老师在"
    assert masker("赵四") == "赵*"  # blanks in the ledger's cell do not matter
    # Names that overlap in the text are one stretch: no known name survives in what is kept.
    assert Masker(["王一安", "安静"])("王一安静") == "王*静"
    # A kept compound surname that is itself a known name keeps one character only.
    assert Masker(["欧阳华", "欧阳"])("欧阳华") == "欧*华"
    assert privacy.mask_free_text(None) == ""


def test_a_missing_or_non_text_value():
    assert Masker(["王一安"])(None) == "" and Masker()(float("nan")) == ""
    assert Masker()(13912345678) == "139****5678"


# --- headers: every ledger synonym of an ID, a phone or a name ------------------------------

ID_HEADERS = (*COMMON["id_number"], *COMMON["student_no"])
NAME_HEADERS = (*COMMON["name"], *BY_KIND["population"]["guardian"])
PHONE_HEADERS = BY_KIND["population"]["phone"]
OTHER_HEADERS = sorted({header for entry in (*COMMON.values(), *(h for kind in BY_KIND.values() for h in kind.values()))
                        for header in entry} - {*ID_HEADERS, *NAME_HEADERS, *PHONE_HEADERS})


@pytest.mark.parametrize("header", ID_HEADERS)
def test_every_id_synonym_is_an_id_header(header):
    assert header_kind(header) == "id"
    assert header_kind(f"*{header[:2]}\n{header[2:]}：") == "id"  # as a file writes it: star, break, colon


def test_name_and_phone_synonyms_and_nothing_else():
    assert {header: header_kind(header) for header in NAME_HEADERS} == dict.fromkeys(NAME_HEADERS, "name")
    assert {header: header_kind(header) for header in PHONE_HEADERS} == dict.fromkeys(PHONE_HEADERS, "phone")
    assert {header: header_kind(header) for header in OTHER_HEADERS} == dict.fromkeys(OTHER_HEADERS)
    for column, kind in (("id_number", "id"), ("person_key", "id"), ("student_no", "id"),
                         ("name", "name"), ("guardian", "name"), ("phone", "phone"), ("school", None)):
        assert header_kind(column) == kind


def test_a_countys_own_synonyms_are_known_too():
    masker = Masker(header_synonyms={"身份证号": ["编码"], "姓名": ["孩子"], "学校": ["单位"]})
    assert (masker.header_kind("编码"), masker.header_kind("孩子"), masker.header_kind("单位")) == ("id", "name", None)
    assert header_kind("编码") is None


@pytest.mark.parametrize("header", ID_HEADERS)
def test_an_id_column_is_masked_in_every_table_whatever_its_value(header):
    values = ["451026201502154691", "4510262015021546911", "45102620150215469", "4510-2620"]
    page = safe_table_html(pd.DataFrame({header: values, "备注": ["无"] * 4}))
    for value in values:
        assert value not in page, (header, value)
    assert "451026********4691" in page  # a valid ID keeps its documented masked form


def test_an_id_read_as_a_number_or_with_a_stray_star_is_masked_too():
    page = safe_table_html(pd.DataFrame({"公民身份号码": [451026201502154691, "45102620*1502154691"],
                                         "值": [451026201502154691, 3], "人数": [1.5, None]}))
    assert "451026201502154691" not in page and "20*1502154691" not in page
    assert page.count("451026********4691") == 2  # the number under 值 is an ID in text, too
    assert "45***************91" in page  # not an ID's masked shape: masked as any other value
    assert "<td>3</td>" in page and "<td>1.5</td>" in page  # counts stay as they were


def test_masked_columns_are_not_masked_twice_and_places_keep_their_names():
    frame = pd.DataFrame({"身份证号": ["451026********4691"], "姓名": ["王*安"], "乡镇": ["龙合镇"],
                          "学校": ["龙合小学"], "备注": ["龙合来过"], "在读": [3]})
    page = safe_table_html(frame, masker=Masker(["龙合"]))
    assert "451026********4691" in page and "王*安" in page
    assert "龙合镇" in page and "龙合小学" in page and "龙*来过" in page and "<td>3</td>" in page


def test_the_officials_who_act_are_named_on_purpose():
    # A cadre may share a guardian's common name: the 责任人 columns keep it, free text does not.
    frame = pd.DataFrame({"行政线责任人": ["潘文军（平孟村支书）"], "送教教师": ["潘文军"], "备注": ["潘文军来过"]})
    page = safe_table_html(frame, masker=Masker(["潘文军"]))
    assert "潘文军（平孟村支书）" in page and "<td>潘文军</td>" in page and "潘*军来过" in page


def test_a_name_inside_a_longer_place_name_is_left():
    masker = Masker(["马林", "金山"], places=["泉水乡马林小学", "马林村", "金山"])
    assert masker("学籍/泉水乡马林小学学生花名册.xlsx") == "学籍/泉水乡马林小学学生花名册.xlsx"
    assert masker("马林村的马林没来") == "马林村的马*没来"
    assert masker("金山没来") == "金*没来"  # a village called 金山 does not shield a pupil called 金山
    assert masker("转到马林小学") == "转到马*小学"  # not a place the page knows: masked


# --- properties: never a leak, and ordinary text untouched ---------------------------------

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "欧阳", "司马")
GIVEN = "一安明华伟芳丽强军磊洋勇艳杰娟涛超秀霞平刚桂英"
NAME_CHARS = set("".join(SURNAMES) + GIVEN)
FILLER = "".join(sorted(set("的了在是有这中大来上个到说们为和地出道也时得就那要下以会着去过家学对可里后小么心多天而能好"
                            "都然没于起还发成事只作当想看文无开手十用行方又如前所本见经头面公同已老从动两长知民样现外但身些点")
                        - NAME_CHARS))
PUNCTUATION = "，。；：！？、（）《》“”,.;:!?()- \u3000"
CJK_NAMES = st.builds(lambda surname, given: surname + given, st.sampled_from(SURNAMES),
                      st.text(st.sampled_from(GIVEN), min_size=1, max_size=2))
NAME_POOLS = st.lists(CJK_NAMES, min_size=1, max_size=30, unique=True)


def occurrences(text: str, words) -> list[tuple[int, int]]:
    return [(i, i + len(word)) for word in words for i in range(len(text)) if text.startswith(word, i)]


def reference_mask_names(text: str, names, places=()) -> str:
    """The brute-force reading of the name rule: every occurrence of every known name
    (2 characters or more) that is not inside a longer occurrence of a place, overlapping
    occurrences merged, each stretch masked like a name."""
    names = [name for name in names if len(name) >= 2]
    in_place = occurrences(text, [place for place in places if len(place) >= 2])
    covered = sorted((i, j) for i, j in occurrences(text, names)
                     if not any(a <= i and j <= b and b - a > j - i for a, b in in_place))
    merged: list[list[int]] = []
    for start, end in covered:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = "", 0
    for start, end in merged:
        stretch = text[start:end]
        masked = mask_name(stretch)
        if masked.split("*")[0] in names:
            masked = stretch[0] + "*" + stretch[-1]
        out += text[at:start] + masked
        at = end
    return out + text[at:]


@settings(max_examples=300)
@given(NAME_POOLS, st.text(st.sampled_from(sorted(NAME_CHARS) + list(FILLER[:5]) + ["，"]), max_size=40))
def test_names_are_masked_as_the_brute_force_reference_does(names, text):
    # An alphabet of name characters: names occur often, overlap and nest.
    assert Masker(names)(text) == reference_mask_names(text, names)


@settings(max_examples=300)
@given(NAME_POOLS, st.data())
def test_names_inside_places_are_left_as_the_brute_force_reference_does(names, data):
    # Places made of the names (王一村, 李王一安小学, a village called 王一); the text made of
    # names, places and pieces of both, so that they overlap in every way.
    affix = st.text(st.sampled_from([*sorted(NAME_CHARS), "村", "学"]), max_size=2)
    places = data.draw(st.lists(st.builds(lambda pre, name, post: pre + name + post, affix, st.sampled_from(names), affix),
                                max_size=6))
    pieces = [*names, *places, "，", "村", "学", *sorted(NAME_CHARS)[:6]]
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=12)))
    assert Masker(names, places=places)(text) == reference_mask_names(text, names, places)


counts = st.integers(0, 999).map(str)
dates = st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31))
NUMBERS = st.one_of(counts, dates.map(lambda d: d.isoformat()), dates.map(lambda d: f"{d.month}月{d.day}日"),
                    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"))
WORDS = st.text(st.sampled_from(FILLER + PUNCTUATION + "abcXYZ"), min_size=1, max_size=8)
# Ordinary text: words with counts, dates and times between them (a number never touches another).
ORDINARY = st.lists(st.tuples(WORDS, st.one_of(st.just(""), NUMBERS)), max_size=8).map(
    lambda parts: "".join(word + number for word, number in parts))


@settings(max_examples=300)
@given(NAME_POOLS, ORDINARY)
def test_ordinary_text_without_ids_phones_or_names_is_unchanged(names, text):
    assert Masker(names)(text) == text
    assert Masker(names)(text) == reference_mask_names(text, names)  # the reference agrees: nothing to mask


def _resident_id(region: str, birth: dt.date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


RESIDENT_IDS = st.builds(_resident_id, st.from_regex(r"[1-6]\d{5}", fullmatch=True),
                         st.dates(dt.date(2005, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999))
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
SEPARATORS = st.sampled_from([" ", "-", "\u3000", "－"])


@st.composite
def written_ids(draw):
    """(the ID as it would be looked for, the ID as a teacher wrote it)."""
    resident = draw(RESIDENT_IDS)
    sep = draw(SEPARATORS)
    form = draw(st.sampled_from(["plain", "lower", "full", "6-8-4", "6-4-4-4", "G", "19", "15"]))
    written = {
        "plain": resident, "lower": resident.lower(), "full": resident.translate(FULL_WIDTH),
        "6-8-4": sep.join((resident[:6], resident[6:14], resident[14:])),
        "6-4-4-4": sep.join((resident[:6], resident[6:10], resident[10:14], resident[14:])),
        "G": "G" + resident, "19": resident[:17] + "0" + resident[17:], "15": resident[:15],
    }[form]
    return resident[:15] if form == "15" else resident, written


@st.composite
def written_phones(draw):
    """(the phone's digits, the phone as written)."""
    sep = draw(st.sampled_from(["", " ", "-"]))
    if draw(st.booleans()):
        digits = draw(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
        prefix = draw(st.sampled_from(["", "+86 ", "+86", "86-"]))
        return digits, prefix + sep.join((digits[:3], digits[3:7], digits[7:]))
    area = draw(st.from_regex(r"0\d{2,3}", fullmatch=True))
    number = draw(st.from_regex(r"[2-8]\d{6,7}", fullmatch=True))  # a local number starts with 2-8
    return area + number, draw(st.sampled_from([f"{area}-{number}", f"({area}){number}", f"{area} {number}",
                                                area + number]))


# Around what is embedded: anything, digits and punctuation included.
SURROUNDING = st.text(st.sampled_from(FILLER + PUNCTUATION + "0123456789abcX"), max_size=6)


def glued(pieces: list[tuple[bool, str]]) -> str:
    """The pieces (is it a number, its text) in a row; where a number would touch a digit, a "，"
    between them: digits glued to a number make another number, of no knowable length (a glued
    mobile or ID is still masked, see test_ids_and_phones_in_text; a landline's end is not)."""
    text, last_is_number = "", False
    for is_number, piece in pieces:
        if (is_number or last_is_number) and text[-1:].isdecimal() and piece[:1].isdecimal():
            text += "，"
        text, last_is_number = text + piece, is_number
    return text


def compact(text: str) -> str:
    return re.sub(r"[\s\-－]", "", ascii_digits(unicodedata.normalize("NFKC", text))).upper()


@settings(max_examples=400)
@given(NAME_POOLS, st.data())
def test_embedded_ids_phones_and_names_never_leak(names, data):
    items = data.draw(st.lists(st.one_of(written_ids().map(lambda p: ("id", *p)),
                                         written_phones().map(lambda p: ("phone", *p)),
                                         st.sampled_from(names).map(lambda n: ("name", n, n))),
                               min_size=1, max_size=5))
    pieces = [(False, data.draw(SURROUNDING))]
    for kind, _, written in items:
        pieces += [(kind != "name", written), (False, data.draw(SURROUNDING))]
    text = glued(pieces)
    masker = Masker(names)
    masked = masker(text)
    assert not DIGIT_RUN_15.search(masked), masked
    assert not MOBILE.search(ascii_digits(masked)), masked
    for name in masker.names:
        assert name not in masked, (name, masked)
    for kind, value, _ in items:
        value = ascii_digits(value)
        if kind == "id":
            assert value not in compact(masked) and value[6:14] not in compact(masked), (value, masked)
        elif kind == "phone":
            assert value not in compact(masked), (value, masked)


# --- the real sections: the small county, its 备注 and rejected rows ------------------------

REJECTED_VALUES = {"4510262015021546911", "45102620150215469"}


def with_the_issue(county_pass):
    """test_show's small county, with the 备注 of the issue on P2's absence today (P2's guardian
    is 王一安, phone 13912345678 in the 户籍), the same text as the cause of P5's open case, and
    a rejected row under every ID synonym, a name and a phone header."""
    tables = dict(county_pass.tables)
    absence = tables["absence"].copy()
    absence["note"] = absence["note"].astype(object)
    absence.loc[(absence["person_key"] == test_show.Q["P2"]) & (absence["date"] == "2021-10-15"), "note"] = ISSUE_NOTE
    population = tables["population"].copy()
    p2 = population["person_key"] == test_show.Q["P2"]
    population["guardian"] = population["guardian"].astype(object)
    population["phone"] = population["phone"].astype(object)
    population.loc[p2, "guardian"], population.loc[p2, "phone"] = "王一安", "13912345678"
    cases = tables["cases"].copy()
    cases["cause"] = cases["cause"].astype(object)
    cases.loc[(cases["person_key"] == test_show.Q["P5"]) & (cases["event"] == "登记"), "cause"] = ISSUE_NOTE
    rejected = [dict(kind="roster", file="roster/甲小学.xlsx", sheet="", row=30 + n, column=header, value=value,
                     reason=f"{header}无效")
                for n, (header, value) in enumerate((header, value) for header in ID_HEADERS
                                                    for value in sorted(REJECTED_VALUES))]
    rejected += [dict(kind="population", file="roster/甲小学.xlsx", sheet="", row=90, column="监护人姓名",
                      value="王一安", reason="监护人姓名过长"),
                 dict(kind="population", file="roster/甲小学.xlsx", sheet="", row=91, column="监护人电话",
                      value="1391234567", reason="监护人电话无效"),
                 dict(kind="absence", file="roster/甲小学.xlsx", sheet="", row=92, column="日期",
                      value=ISSUE_NOTE, reason="日期无法识别")]
    tables.update(absence=absence, population=population, cases=cases,
                  rejected_rows=pd.concat([tables["rejected_rows"], pd.DataFrame(rejected)], ignore_index=True))
    return measure_county(tables, county_pass.params, test_show.AS_OF)


@pytest.fixture(scope="module")
def issue(small):
    return with_the_issue(small)


def page_sections(a):
    """Every section of the page, as the notebooks call them (the county's first two too)."""
    county = [] if a.township else [lambda a: show.ranking(a, a.ranking), lambda a: show.trends(a, test_show.NO_HISTORY)]
    return [lambda a: show.header(a, test_show.NO_HISTORY), *county, *show.TOWNSHIP_SECTIONS[1:]]


@pytest.mark.parametrize("township", ["甲镇", None])
def test_the_issue_note_never_reaches_the_page(issue, township):
    a = issue.analysis(township)
    body = "".join(section(a).body for section in page_sections(a))
    for leak in (*LEAKS, *REJECTED_VALUES, "1391234567"):
        assert leak not in body, (township, leak)
    # The note is on the page, masked: in the 日报's 备注, the open case's 辍学原因 and 数据问题.
    assert body.count("家长称王*安… 身份证451026********4691 电话139****5678") >= 3
    assert "451026201502154691" not in test_show.visible_text(body)


def test_a_rejected_value_is_masked_as_its_column(issue):
    body = show.data_quality(issue.analysis("甲镇")).body
    for header in ID_HEADERS:
        assert f"<td>{header}</td>" in body
    assert "45***************11" in body and "45*************69" in body  # mask_id of a value no ID
    assert "<td>王*安</td>" in body and "<td>139****4567</td>" in body


def test_no_free_text_goes_into_a_chart(issue, monkeypatch):
    drawn: list[str] = []

    def record(figure, alt):
        FigureCanvasAgg(figure).draw()  # tick labels exist once drawn
        drawn.extend(text.get_text() for text in figure.findobj(Text))
        drawn.append(alt)
        return "<img>"

    monkeypatch.setattr(show, "figure_html", record)
    for township in ("甲镇", None):
        a = issue.analysis(township)
        for section in page_sections(a):
            section(a)
        names = privacy.masker_of(a).names
        assert names and "王一安" in names
        for text in drawn:
            assert not any(name in text for name in names), text
            assert "家长称" not in text and not re.search(r"\d{7,}", text), text
    assert drawn


def test_every_section_masks_the_names_of_its_page():
    sections = [function for name, function in vars(show).items()
                if inspect.isfunction(function) and function.__module__ == show.__name__ and name != "report"
                and inspect.signature(function).return_annotation == "Section"
                and next(iter(inspect.signature(function).parameters)) == "a"]
    assert set(show.TOWNSHIP_SECTIONS) | {show.ranking, show.trends} <= set(sections)
    assert [s.__name__ for s in sections if not getattr(s, "masks_known_names", False)] == []


def test_the_pages_masker_is_built_once_per_analysis(issue):
    a = issue.analysis("甲镇")
    masker = privacy.masker_of(a)
    assert privacy.masker_of(a) is masker
    assert {"王一安", "甲一", "甲二"} <= masker.names and {"甲小学", "甲镇"} <= masker.places
    assert privacy.masker_of(None).names == frozenset()
    with privacy.page_masking(a):
        assert privacy.page_masker() is masker
        assert "王*安" in show.masked_table(pd.DataFrame({"note": ["王一安"]}), {"note": "备注"})
    assert privacy.page_masker().names == frozenset()  # outside a page: IDs and phones only


def test_a_table_outside_any_page_still_masks_ids_and_phones():
    page = show.masked_table(table("absence", [dict(note=ISSUE_NOTE)]), {"note": "备注"})
    assert "451026201502154691" not in page and "13912345678" not in page
