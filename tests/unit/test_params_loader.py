"""The params file is read strictly: no aliases (an alias bomb is refused before it grows), no key
given twice, at most MAX_PARAMS_BYTES, UTF-8; every fault is one line naming the file and the
line (issue 23). And `--as-of today` is the date on the county's clock (params timezone)."""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx import cli, params
from kcbx.params import MAX_PARAMS_BYTES, ParamsError, load_params, parse_as_of, today_in

VALID = textwrap.dedent("""\
    county: 示例县
    ledgers: ../ledgers
    store: ../build/demo.duckdb
    term: {start: 2021-09-01, end: 2022-01-14}
    escalation: [1, 3, 5]
    """)

# "Billion laughs": nine levels of nine aliases, 9**9 strings once expanded; 1 KB written.
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(ord('a') + n)}: &{chr(ord('a') + n)} [" + ",".join([f"*{chr(ord('a') + n - 1)}"] * 9) + "]"
       for n in range(1, 9)]
) + "\n"

MEMORY_LIMIT = 500 * 1024 * 1024

BOMB_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from kcbx.params import ParamsError, load_params
start = time.monotonic()
try:
    load_params(sys.argv[1])
except ParamsError as exc:
    print(f"refused in {{time.monotonic() - start:.3f}} s: {{exc}}")
    sys.exit(0)
sys.exit(1)
"""


def write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    return message


# --- the alias bomb -------------------------------------------------------------------------


def test_alias_bomb_is_refused_fast_in_little_memory(tmp_path):
    bomb = write(tmp_path, ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 1500
    child = subprocess.run([sys.executable, "-c", BOMB_CHILD.format(limit=MEMORY_LIMIT), str(bomb)],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stdout + child.stderr
    assert "refused" in child.stdout and "第 1 行" in child.stdout and "锚点" in child.stdout


@pytest.mark.parametrize(("text", "line", "words"), [
    ("county: &c 示例县\n", 1, "锚点 &c"),
    ("county: 示例县\nother: *c\n", 2, "引用 *c"),
    ("base: {a: 1}\nterm:\n  <<: {start: 2021-09-01}\n", 3, "合并键"),
])
def test_anchors_aliases_and_merge_keys_are_refused(tmp_path, text, line, words):
    message = refusal(write(tmp_path, text))
    assert f"第 {line} 行" in message and words in message


# --- duplicate keys ----------------------------------------------------------------------------


def test_a_key_given_twice_at_the_top_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, VALID + "escalation: [1, 3, 5, 7]\n")
    message = refusal(path)
    assert message == f"{path} 第 6 行：同一个键 escalation 出现两次，请只保留一个"


@pytest.mark.parametrize(("text", "line", "key"), [
    (VALID.replace("term: {start: 2021-09-01, end: 2022-01-14}",
                   "term: {start: 2021-09-01, start: 2021-09-02, end: 2022-01-14}"), 4, "start"),
    (VALID + "early_warning:\n  weights:\n    relapse: 3\n    relapse: 4\n", 9, "relapse"),
    (VALID + "calendar:\n  2027: {holidays: []}\n  2027: {workdays: []}\n", 8, "2027"),
])
def test_a_key_given_twice_when_nested_is_refused(tmp_path, text, line, key):
    message = refusal(write(tmp_path, text))
    assert f"第 {line} 行：同一个键 {key} 出现两次" in message


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                               max_size=8),
                       st.one_of(st.integers(), st.text(max_size=8), st.booleans(),
                                 st.lists(st.integers(), max_size=3)), max_size=6))
def test_the_strict_loader_reads_what_yaml_writes_as_safe_load_does(mapping):
    written = yaml.safe_dump({"m": mapping, "n": {"inner": copy.deepcopy(mapping)}}, allow_unicode=True)
    assert params._parsed(written.encode()) == yaml.safe_load(written)


# --- size, encoding, syntax ----------------------------------------------------------------------


def test_an_oversized_file_is_refused_without_parsing_it(tmp_path):
    path = write(tmp_path, VALID + "# " + "x" * MAX_PARAMS_BYTES + "\n")
    message = refusal(path)
    assert "文件过大" in message and "256 KB" in message and str(path) in message


def test_a_file_just_under_the_limit_is_read(tmp_path):
    padding = MAX_PARAMS_BYTES - len(VALID.encode()) - 3
    path = write(tmp_path, VALID + "#" + "x" * padding + "\n")
    assert path.stat().st_size <= MAX_PARAMS_BYTES
    assert load_params(path).county == "示例县"


def test_a_gbk_file_is_refused_with_the_line_of_its_first_bad_byte(tmp_path):
    path = write(tmp_path, ("county: x\nledgers: ../l\n" + "townships: [城厢镇]\n").encode("gbk"))
    assert refusal(path) == f"{path} 第 3 行：不是 UTF-8 编码，请以 UTF-8 保存"


def test_a_tab_in_the_indentation_is_named(tmp_path):
    path = write(tmp_path, VALID + "school_age:\n\tmin: 6\n")
    message = refusal(path)
    assert "第 7 行" in message and "Tab" in message


# --- through the command line: one line, no traceback ----------------------------------------------

BAD_FILES = {
    "duplicate": (VALID + "escalation: [1, 2, 3]\n", "第 6 行：同一个键 escalation 出现两次，请只保留一个"),
    "nested": (VALID + "school_age:\n  min: 6\n  min: 7\n", "第 8 行：同一个键 min 出现两次"),
    "bomb": (ALIAS_BOMB, "第 1 行：锚点 &a 不可用"),
    "oversized": (VALID + "#" + "x" * (MAX_PARAMS_BYTES + 10) + "\n", "文件过大"),
    "gbk": ("county: 示例县\n".encode("gbk"), "第 1 行：不是 UTF-8 编码，请以 UTF-8 保存"),
    "tab": (VALID + "school_age:\n\tmin: 6\n", "第 7 行：缩进里有 Tab 字符"),
    "syntax": (VALID + "school_age: {min: 6\n", "YAML 写法有误"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_kcbx_run_says_what_is_wrong_in_one_line(tmp_path, case):
    text, expected = BAD_FILES[case]
    path = write(tmp_path, text, name=f"{case}.yaml")
    child = subprocess.run([sys.executable, "-m", "kcbx.cli", "run", "--params", str(path),
                            "--as-of", "2021-10-15"], capture_output=True, text=True, timeout=120,
                           cwd=tmp_path)
    assert child.returncode != 0
    assert "Traceback" not in child.stderr
    lines = child.stderr.splitlines()
    assert len(lines) == 1, child.stderr
    assert lines[0].startswith(f"kcbx run: {path}")
    assert expected in lines[0]


# --- today on the county's clock ----------------------------------------------------------------------

UTC_1630 = dt.datetime(2021, 10, 14, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 15th in Beijing


def test_today_is_the_date_in_the_counties_zone():
    assert today_in("Asia/Shanghai", UTC_1630) == dt.date(2021, 10, 15)
    assert today_in("UTC", UTC_1630) == dt.date(2021, 10, 14)
    assert today_in("Asia/Shanghai", UTC_1630.replace(tzinfo=None)) == dt.date(2021, 10, 15)  # naive: UTC
    assert parse_as_of("today", now=UTC_1630) == dt.date(2021, 10, 15)  # the default zone
    assert parse_as_of(" Today ", "Asia/Shanghai", now=UTC_1630) == dt.date(2021, 10, 15)
    assert parse_as_of("2021-10-14", now=UTC_1630) == dt.date(2021, 10, 14)


def test_a_frozen_server_clock_in_utc_says_the_county_date(monkeypatch):
    monkeypatch.setattr(params, "_now", lambda: UTC_1630)
    assert parse_as_of("today") == dt.date(2021, 10, 15)


def test_the_timezone_key_is_read_and_checked(tmp_path):
    assert load_params(write(tmp_path, VALID, "ok.yaml")).timezone == "Asia/Shanghai"
    assert load_params(write(tmp_path, VALID + "timezone: Asia/Urumqi\n", "urumqi.yaml")).timezone == "Asia/Urumqi"
    message = refusal(write(tmp_path, VALID + "timezone: Asia/Beijing\n", "wrong.yaml"))
    assert "'timezone'" in message and "not a time zone" in message


def test_kcbx_run_as_of_today_uses_each_countys_zone(tmp_path, monkeypatch):
    monkeypatch.setattr(params, "_now", lambda: UTC_1630)
    shanghai = write(tmp_path, VALID, "a.yaml")
    assert cli.as_of_for("today", [str(shanghai)]) == dt.date(2021, 10, 15)
    london = write(tmp_path, VALID + "timezone: Europe/London\n", "b.yaml")
    assert cli.as_of_for("today", [str(london)]) == dt.date(2021, 10, 14)
    with pytest.raises(ValueError, match="give the date"):
        cli.as_of_for("today", [str(shanghai), str(london)])
    assert cli.as_of_for("2021-10-14", [str(shanghai), str(london)]) == dt.date(2021, 10, 14)


def test_as_of_today_with_an_unreadable_params_file_is_the_default_zones_date(monkeypatch):
    monkeypatch.setattr(params, "_now", lambda: UTC_1630)
    seen = []
    monkeypatch.setattr(cli, "parse_as_of", lambda value, zone="Asia/Shanghai": seen.append(zone) or
                        parse_as_of(value, zone, now=UTC_1630))
    assert cli.as_of_for("today", ["/no/such/params.yaml"]) == dt.date(2021, 10, 15)  # default zone
    assert seen == ["Asia/Shanghai"]
