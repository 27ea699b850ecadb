"""What the notebooks call: open a township's (or the county's) analysis, write its outputs.

Notebooks know nothing about files except through this module.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd

from kcbx.files import write_text_atomic
from kcbx.metrics import Analysis, analyse, contract_metrics, townships_in_scope
from kcbx.params import Params, load_params, parse_as_of
from kcbx.store import load_tables


@lru_cache(maxsize=4)
def _tables(store: Path, stamp: float) -> dict[str, pd.DataFrame]:
    # Keyed by the store's modification time: a re-ingest is seen by a reused kernel.
    return load_tables(store)


def tables_of(params: Params) -> dict[str, pd.DataFrame]:
    """The store's tables (read once per process and store version)."""
    if not params.store.exists():
        raise FileNotFoundError(
            f"no store at {params.store}: run `kcbx ingest --params {params.path}` first")
    return _tables(params.store, params.store.stat().st_mtime)


def open_township(params: str | Path, township: str | None, as_of: str | dt.date) -> Analysis:
    """The township's analysis; township None picks the first township in scope (for JupyterLab)."""
    loaded = load_params(params)
    day = parse_as_of(as_of)
    tables = tables_of(loaded)
    if township is None:
        in_scope = townships_in_scope(tables, loaded, day)
        if not in_scope:
            raise ValueError(f"no township in the current roster or the population ledger of {loaded.store}")
        township = in_scope[0]
    return analyse(tables, loaded, day, township)


def open_county(params: str | Path, as_of: str | dt.date) -> Analysis:
    """The county roll-up: every row once, so a child on two rosters counts once."""
    loaded = load_params(params)
    day = parse_as_of(as_of)
    return analyse(tables_of(loaded), loaded, day, None)


def _json_ready(value):
    """NaN → null; numpy scalars → Python numbers (json.dumps would fail or write NaN)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return value


def metrics_json(analysis: Analysis) -> str:
    return json.dumps(_json_ready(contract_metrics(analysis)), ensure_ascii=False, indent=2)


def write_outputs(analysis: Analysis, output_dir: str | Path | None) -> list[Path]:
    """Write metrics.json and forms.xlsx into output_dir (nothing when None: interactive use)."""
    if output_dir is None:
        return []
    from kcbx.report.forms import write_forms

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    forms = folder / "forms.xlsx"
    write_forms(analysis, forms)
    metrics = folder / "metrics.json"
    write_text_atomic(metrics, metrics_json(analysis))
    return [metrics, forms]


RANKING_KEYS = ("cases_open", "cases_open_poverty", "notices_overdue", "enrollment_rate",
                "absent_unexcused_today", "enrolled")


def township_figures(params: str | Path, as_of: str | dt.date,
                     output_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per township with the figures of the weekly ranking (周通报).

    In a run (output_dir set) the township notebooks have already written their
    metrics.json beside the county's folder: read them. Interactively, compute them.
    """
    loaded = load_params(params)
    day = parse_as_of(as_of)
    rows = []
    if output_dir is not None:
        for path in sorted(Path(output_dir).parent.glob("*/metrics.json")):
            metrics = json.loads(path.read_text(encoding="utf-8"))
            if metrics.get("township") is not None:
                rows.append(metrics)
    else:
        tables = tables_of(loaded)
        rows = [analyse(tables, loaded, day, township).metrics
                for township in townships_in_scope(tables, loaded, day)]
    columns = ["township", *RANKING_KEYS]
    return pd.DataFrame([{key: row.get(key) for key in columns} for row in rows], columns=columns)


def history(params: str | Path, as_of: str | dt.date) -> pd.DataFrame:
    """The county's figures in earlier complete runs (as_of ≤ this one), for 周通报 and 月调度 trends."""
    from kcbx.report.history import load_history

    loaded = load_params(params)
    return load_history(loaded.outputs / loaded.county, parse_as_of(as_of))
