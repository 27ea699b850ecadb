"""What the notebooks call: open a township's (or the county's) analysis, write its outputs.

Notebooks know nothing about files except through this module.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kcbx.analysis.attribution import close_townships, townships_in_data, townships_in_scope
from kcbx.analysis.county import analyse
from kcbx.analysis.metrics import metrics_json
from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.calendar import CalendarError, school_days_for
from kcbx.outputs import (
    DAILY_CARD_FILE,
    FORMS_FILE,
    METRICS_FILE,
    NOTICES_DIR,
    SCHOOL_AGE_LEDGER_FILE,
    SCHOOL_FORMS_DIR,
    county_output_dir,
)
from kcbx.params import Params, ParamsError, load_params, parse_as_of, with_overrides
from kcbx.runner.history import load_history
from kcbx.util.errors import OneLineError
from kcbx.util.files import write_text_atomic


@lru_cache(maxsize=4)
def _tables(store: Path, stamp: float) -> dict[str, pd.DataFrame]:
    # Keyed by the store's modification time: a re-ingest is seen by a reused kernel.
    from kcbx.store.tables import load_tables  # DuckDB and pandera: only when reading the store

    return load_tables(store)


def tables_of(params: Params) -> dict[str, pd.DataFrame]:
    """The store's tables (read once per process and store version)."""
    # The store's modules here and below, not at the top: a kernel that renders a run's
    # prepared slice never reads the store, and imports no DuckDB or pandera (issue 27).
    from kcbx.store.readonly import require_store

    require_store(params.store, params.path)
    return _tables(params.store, params.store.stat().st_mtime)


class UnknownTownship(OneLineError, ValueError):
    """A township the county's current roster and population ledger do not know."""


class OutOfTerm(OneLineError, ValueError):
    """as_of outside the params term: its report would count every child as out of school."""


# lib/kcbx/notebook.py -> the project folder, where params/ is (an editable install).
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEMO_PARAMS = PROJECT_DIR / "params" / "demo.yaml"
PARAMS_VARIABLE = "KCBX_PARAMS"  # set by make lab PARAMS=…


def params_path(params: str | Path | None = None) -> Path:
    """The params file named: found from the working folder, else from the project folder (a
    notebook runs in notebooks/, where "params/demo.yaml" is not); None: $KCBX_PARAMS, else the
    project's params/demo.yaml. A file found nowhere is one line naming where it was looked for."""
    if params is None:
        params = os.environ.get(PARAMS_VARIABLE) or DEMO_PARAMS
    path = Path(params).expanduser()
    if path.is_file():
        return path
    in_project = PROJECT_DIR / path
    if not path.is_absolute() and in_project.is_file():
        return in_project
    looked = str(path) if path.is_absolute() else f"{Path.cwd()} 与 {PROJECT_DIR} 下的 {path}"
    hint = "" if path.suffix in (".yaml", ".yml") else "；params 是参数文件（如 params/demo.yaml），乡镇请写 township=…"
    raise ParamsError(f"没有参数文件：{looked}{hint}")


def params_of(params: str | Path | Params | None = None, overrides: Mapping[str, Any] | None = None) -> Params:
    """The params a notebook or an analyst names: a file (found by ``params_path``, checked),
    or loaded params; with ``overrides`` (a what-if) checked exactly as the file is
    (``kcbx.params.load_params``), on top of any the loaded params already carry."""
    if not isinstance(params, Params):
        return load_params(params_path(params), overrides)
    if not overrides:
        return params
    return load_params(params.path, with_overrides(params.overrides, overrides))


def last_school_day_with_data(params: Params) -> dt.date | None:
    """The term's latest school day with an absence row in the store (schools report every
    school day): the day to suggest for an as_of outside the term. None when the store has
    none, or cannot be read now."""
    import duckdb

    from kcbx.store.readonly import DamagedStore, NoStore, StoreOpenForWriting, open_read_only

    try:
        days = school_days_for(params)
        with open_read_only(params.store) as con:
            reported = con.execute("SELECT DISTINCT date FROM absence WHERE date BETWEEN ? AND ?",
                                   [params.term_start, params.term_end]).fetchall()
    except (NoStore, StoreOpenForWriting, DamagedStore, CalendarError, duckdb.Error):
        return None
    school_days = set(days.date)
    return max((day for (day,) in reported if day in school_days), default=None)


def out_of_term_message(params: Params, day: dt.date) -> str:
    """One line: the day, the term and the params file, and the day to use instead."""
    suggestion = last_school_day_with_data(params)
    instead = f"；有缺勤数据的最后一个上学日是 {suggestion}，可用 as_of = \"{suggestion}\"" if suggestion else ""
    return (f"as_of {day} 不在学期 {params.term_start} 至 {params.term_end} 内"
            f"（参数文件 {params.path}）{instead}")


def check_as_of(params: Params, as_of: str | dt.date) -> dt.date:
    """as_of as a date (kcbx.util.dates spellings, or "today" on the county's clock), refused
    with OutOfTerm, one line, when it is outside the params term: such a report would count
    every child as out of school (入学率 0.0%) with no warning."""
    day = parse_as_of(as_of, params.timezone)
    if not params.term_start <= day <= params.term_end:
        raise OutOfTerm(out_of_term_message(params, day))
    return day


def day_of(params: Params, as_of: str | dt.date | None) -> dt.date:
    """as_of checked (``check_as_of``), or the first day of the params' term when not given."""
    return params.term_start if as_of is None else check_as_of(params, as_of)


def latest_day(params: Params) -> dt.date:
    """The day an analysis is of when no as_of is given: the term's last school day with
    data, else its first day."""
    return last_school_day_with_data(params) or params.term_start


def analysis_day(params: Params, as_of: str | dt.date | None) -> dt.date:
    """The day an analysis is of: as_of checked (``check_as_of``), else ``latest_day``."""
    return latest_day(params) if as_of is None else check_as_of(params, as_of)


def townships(params: str | Path | Params | None = None, as_of: str | dt.date | None = None) -> list[str]:
    """The county's townships, as a run covers them: every township of the current roster
    (the school year of as_of, default the params' term) or the population ledger, sorted,
    unless params ``townships`` lists them."""
    loaded = params_of(params)
    return townships_in_scope(tables_of(loaded), loaded, day_of(loaded, as_of))


def _initials(name: str) -> str:
    """A name's pinyin initials: 城厢镇 -> cxz (how a name is typed in a hurry)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


def township_hints(name: str, known: list[str]) -> list[str]:
    """The known townships a mistyped name may mean: close spellings, those containing it
    ("城厢" -> 城厢镇), and those whose pinyin initials begin with it ("cxz", "cx" -> 城厢镇)."""
    close = close_townships(name, known)
    typed = name.lower()
    if typed.isascii() and typed.isalpha():
        close += [town for town in known if _initials(town).startswith(typed) and town not in close]
    return close


def check_township(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date, township: str) -> str:
    """The township's name as the ledgers write it (spaces around it dropped); UnknownTownship,
    one line with the close matches, for a name they do not know (a typo would otherwise give
    a report of zeros)."""
    known = townships_in_data(tables, as_of)
    name = str(township).strip()  # a space pasted with the name
    if name in known:
        return name
    hints = township_hints(name, known)
    hint = f"，是否要找 {'、'.join(hints)}？" if hints else ""
    raise UnknownTownship(f"没有乡镇「{name}」{hint}（{params.county}现有：{'、'.join(known) or '无'}）"
                          f" no township {name!r} in the current roster or the population ledger")


def load_prepared(prepared: str | Path, township: str | None, as_of: dt.date) -> Analysis:
    """The Analysis a run prepared for this notebook (``kcbx.runner.prepare``), checked to be the
    one asked for: a slice of another township or day must never be shown under this name."""
    with open(prepared, "rb") as stream:
        analysis = pickle.load(stream)  # written by this run's own process, beside its outputs
    if not isinstance(analysis, Analysis) or (analysis.township, analysis.as_of) != (township, as_of):
        raise ValueError(f"{prepared} is not the prepared analysis of {township or COUNTY_WIDE} on {as_of}")
    return analysis


def open_township(params: str | Path | Params | None = None, township: str | None = None,
                  as_of: str | dt.date | None = None, prepared: str | Path | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Analysis:
    """The township's analysis: the run's prepared slice when given, else computed on demand
    (JupyterLab); township None picks the first township in scope. A name the ledgers do not
    know raises UnknownTownship with the close matches ("城厢" → 城厢镇). as_of outside the
    term raises OutOfTerm; None: the term's last school day with data. params None:
    $KCBX_PARAMS, else params/demo.yaml (``params_path``). ``overrides``: a what-if, e.g.
    ``{"escalation": [1, 3, 5, 7]}``, checked as the params file is."""
    if prepared is not None:  # the run checked its as_of before it prepared the slice
        return load_prepared(prepared, township, parse_as_of(as_of))
    loaded = params_of(params, overrides)
    day = analysis_day(loaded, as_of)
    tables = tables_of(loaded)
    if township is None:
        in_scope = townships_in_scope(tables, loaded, day)
        if not in_scope:
            raise ValueError(f"no township in the current roster or the population ledger of {loaded.store}")
        township = in_scope[0]
    township = check_township(tables, loaded, day, township)
    return analyse(tables, loaded, day, township)


def open_county(params: str | Path | Params | None = None, as_of: str | dt.date | None = None,
                prepared: str | Path | None = None,
                overrides: Mapping[str, Any] | None = None) -> Analysis:
    """The county roll-up: every row once, so a child on two rosters counts once; with its
    ranking of the townships and its earlier runs' figures (``ranking``, ``history``). as_of
    and params as for ``open_township``."""
    if prepared is not None:
        return load_prepared(prepared, None, parse_as_of(as_of))
    loaded = params_of(params, overrides)
    day = analysis_day(loaded, as_of)
    county = analyse(tables_of(loaded), loaded, day, None)
    county.history = load_history(county_output_dir(loaded), day, since=loaded.term_start)
    return county


def write_outputs(analysis: Analysis, output_dir: str | Path | None,
                  school_age_ledger: bool = True) -> list[Path]:
    """Write metrics.json, forms.xlsx and daily.png (the 日报 card) into output_dir (nothing when
    None: interactive use); a township also its folder 学校/ of per-school forms (附件1–3 of each
    school, ``<school>.xlsx``) and its folder 文书/ of documents to print, stamp and deliver
    (《限期复学通知书》, 童工情况通报函: ``kcbx.report.notices``, listed on forms.xlsx's 文书清单),
    the county its whole 适龄儿童台账.xlsx, kept as it is when the one there is unchanged (not with
    ``school_age_ledger`` False: a run makes it in a job of its own, kcbx.runner.ledger).
    Written into the run's folder, they are published with its report."""
    if output_dir is None:
        return []
    # xlsxwriter, matplotlib and python-docx: not for a notebook that only explores
    from kcbx.report.daily_card import write_daily_card
    from kcbx.report.forms import write_forms

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    county = analysis.township is None
    ledger = folder / SCHOOL_AGE_LEDGER_FILE if county and school_age_ledger else None
    schools = None if county else folder / SCHOOL_FORMS_DIR
    forms = folder / FORMS_FILE
    notices = None if county else folder / NOTICES_DIR
    write_forms(analysis, forms, school_age_ledger=ledger, school_forms=schools, notices=notices)
    metrics = folder / METRICS_FILE
    write_text_atomic(metrics, metrics_json(analysis))
    card = write_daily_card(analysis, folder / DAILY_CARD_FILE)
    return [metrics, forms, card, *(path for path in (ledger, schools, notices) if path is not None)]

