"""What the notebooks call: open a township's (or the county's) analysis, write its outputs.

Notebooks know nothing about files except through this module.
"""

from __future__ import annotations

import datetime as dt
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
from kcbx.outputs import DAILY_CARD_FILE, FORMS_FILE, METRICS_FILE, SCHOOL_AGE_LEDGER_FILE, county_output_dir
from kcbx.params import Params, load_params, parse_as_of, with_overrides
from kcbx.runner.history import load_history
from kcbx.store.readonly import require_store
from kcbx.store.tables import load_tables
from kcbx.util.files import write_text_atomic


@lru_cache(maxsize=4)
def _tables(store: Path, stamp: float) -> dict[str, pd.DataFrame]:
    # Keyed by the store's modification time: a re-ingest is seen by a reused kernel.
    return load_tables(store)


def tables_of(params: Params) -> dict[str, pd.DataFrame]:
    """The store's tables (read once per process and store version)."""
    require_store(params.store, params.path)
    return _tables(params.store, params.store.stat().st_mtime)


class UnknownTownship(ValueError):
    """A township the county's current roster and population ledger do not know."""


def params_of(params: str | Path | Params, overrides: Mapping[str, Any] | None = None) -> Params:
    """The params a notebook or an analyst names: a file (checked), or loaded params; with
    ``overrides`` (a what-if) checked exactly as the file is (``kcbx.params.load_params``),
    on top of any the loaded params already carry."""
    if not isinstance(params, Params):
        return load_params(params, overrides)
    if not overrides:
        return params
    return load_params(params.path, with_overrides(params.overrides, overrides))


def day_of(params: Params, as_of: str | dt.date | None) -> dt.date:
    """as_of, or the first day of the params' term when not given."""
    return params.term_start if as_of is None else parse_as_of(as_of, params.timezone)


def townships(params: str | Path | Params, as_of: str | dt.date | None = None) -> list[str]:
    """The county's townships, as a run covers them: every township of the current roster
    (the school year of as_of, default the params' term) or the population ledger, sorted,
    unless params ``townships`` lists them."""
    loaded = params_of(params)
    return townships_in_scope(tables_of(loaded), loaded, day_of(loaded, as_of))


def check_township(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date, township: str) -> None:
    """Raise UnknownTownship, with the close matches, for a name the ledgers do not know
    (a typo would otherwise give a report of zeros)."""
    known = townships_in_data(tables, as_of)
    if township in known:
        return
    close = close_townships(township, known)
    hint = f"did you mean {'、'.join(close)}? " if close else ""
    raise UnknownTownship(f"没有乡镇「{township}」 {params.county} has no township {township!r} in the current "
                          f"roster or the population ledger of {params.store}: {hint}"
                          f"known: {'、'.join(known) or 'none'}")


def load_prepared(prepared: str | Path, township: str | None, as_of: dt.date) -> Analysis:
    """The Analysis a run prepared for this notebook (``kcbx.runner.prepare``), checked to be the
    one asked for: a slice of another township or day must never be shown under this name."""
    with open(prepared, "rb") as stream:
        analysis = pickle.load(stream)  # written by this run's own process, beside its outputs
    if not isinstance(analysis, Analysis) or (analysis.township, analysis.as_of) != (township, as_of):
        raise ValueError(f"{prepared} is not the prepared analysis of {township or COUNTY_WIDE} on {as_of}")
    return analysis


def open_township(params: str | Path | Params, township: str | None, as_of: str | dt.date,
                  prepared: str | Path | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Analysis:
    """The township's analysis: the run's prepared slice when given, else computed on demand
    (JupyterLab); township None picks the first township in scope. A name the ledgers do not
    know raises UnknownTownship with the close matches ("城厢" → 城厢镇). ``overrides``: a
    what-if, e.g. ``{"escalation": [1, 3, 5, 7]}``, checked as the params file is."""
    if prepared is not None:
        return load_prepared(prepared, township, parse_as_of(as_of))
    loaded = params_of(params, overrides)
    day = parse_as_of(as_of, loaded.timezone)  # 'today' on the county's clock
    tables = tables_of(loaded)
    if township is None:
        in_scope = townships_in_scope(tables, loaded, day)
        if not in_scope:
            raise ValueError(f"no township in the current roster or the population ledger of {loaded.store}")
        township = in_scope[0]
    check_township(tables, loaded, day, township)
    return analyse(tables, loaded, day, township)


def open_county(params: str | Path | Params, as_of: str | dt.date,
                prepared: str | Path | None = None,
                overrides: Mapping[str, Any] | None = None) -> Analysis:
    """The county roll-up: every row once, so a child on two rosters counts once; with its
    ranking of the townships and its earlier runs' figures (``ranking``, ``history``)."""
    if prepared is not None:
        return load_prepared(prepared, None, parse_as_of(as_of))
    loaded = params_of(params, overrides)
    day = parse_as_of(as_of, loaded.timezone)  # 'today' on the county's clock
    county = analyse(tables_of(loaded), loaded, day, None)
    county.history = load_history(county_output_dir(loaded), day, since=loaded.term_start)
    return county


def write_outputs(analysis: Analysis, output_dir: str | Path | None) -> list[Path]:
    """Write metrics.json, forms.xlsx and daily.png (the 日报 card) into output_dir (nothing when
    None: interactive use); the county also its whole 适龄儿童台账.xlsx, kept as it is when the
    one there is unchanged. Written into the run's folder, they are published with its report."""
    if output_dir is None:
        return []
    # xlsxwriter and matplotlib: not for a notebook that only explores
    from kcbx.report.daily_card import write_daily_card
    from kcbx.report.forms import write_forms

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ledger = folder / SCHOOL_AGE_LEDGER_FILE if analysis.township is None else None
    forms = folder / FORMS_FILE
    write_forms(analysis, forms, school_age_ledger=ledger)
    metrics = folder / METRICS_FILE
    write_text_atomic(metrics, metrics_json(analysis))
    card = write_daily_card(analysis, folder / DAILY_CARD_FILE)
    return [metrics, forms, card, *([] if ledger is None else [ledger])]
