"""Earlier runs' figures, for the trend charts of the 周通报 (weekly) and 月调度 (monthly) reviews.

A run folder ``<outputs>/<county>/<as_of>/`` is complete once it has that name: the
runner builds it under a dot-name and renames it when done. Its ``manifest.json`` says
which notebooks succeeded; each of those wrote ``metrics.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from kcbx.analysis.model import no_history
from kcbx.outputs import MANIFEST_FILE, METRICS_FILE
from kcbx.runner.manifest import PUBLISHED
from kcbx.util.text import inert, one_line

# The run's parameters: already the row's keys (as_of, township) or the same on every row (county).
_PARAMETER_KEYS = ("as_of", "county", "township")


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when the file is missing or unreadable (warned)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        warnings.warn(f"history: skipping {inert(str(path), limit=None)}: {one_line(exc)}", stacklevel=3)
        return None
    return data if isinstance(data, dict) else None


def _run_dates(county_output_dir: Path, up_to: dt.date, since: dt.date | None) -> list[dt.date]:
    """The as_of dates of the folder's complete runs from ``since`` up to ``up_to``, oldest first."""
    dates = []
    for folder in county_output_dir.iterdir() if county_output_dir.is_dir() else ():
        try:
            as_of = dt.date.fromisoformat(folder.name)  # dot-named partial folders fail here
        except ValueError:
            continue
        # Python 3.11 also reads "20211015": only the runner's own YYYY-MM-DD names count.
        own_name = folder.name == as_of.isoformat()
        in_range = as_of <= up_to and (since is None or since <= as_of)
        if own_name and in_range and (folder / MANIFEST_FILE).is_file():
            dates.append(as_of)
    return sorted(dates)


def _metric_columns(metrics: dict[str, Any]) -> dict[str, Any]:
    """The scalar metrics; nested objects flattened with '.' (escalation.5, groups.x.enrolled).
    Lists (schools_not_reported: names) are no figure to trend, and a cell holding one could
    not be compared or hashed: left out."""
    flat = pd.json_normalize({k: v for k, v in metrics.items() if k not in _PARAMETER_KEYS})
    if not len(flat.columns):
        return {}
    return {key: value for key, value in flat.iloc[0].items() if not isinstance(value, list)}


def load_history(county_output_dir: str | Path, up_to: dt.date,
                 since: dt.date | None = None) -> pd.DataFrame:
    """Every earlier figure of a county: one row per (as_of, township) of the complete runs
    with since <= as_of <= up_to (``since``: the term's start, so that a run of another
    term never enters this term's trends), the county roll-up (township None) first
    within each date.

    Columns: as_of (datetime64), township (None for the county), then one column per
    scalar key of metrics.json (enrolled, cases_open, return_rate …); nested objects are
    flattened with '.' (``escalation.5``, ``groups.poverty.cases_open``,
    ``cohort.promotion.1``). Only notebooks with a report (ok, reused or kept) are read; a
    missing or unreadable metrics.json is skipped, so partial folders do no harm.
    """
    county_output_dir = Path(county_output_dir)
    rows = []
    for as_of in _run_dates(county_output_dir, up_to, since):
        run_dir = county_output_dir / as_of.isoformat()
        manifest = _read_json(run_dir / MANIFEST_FILE) or {}
        notebooks = sorted(manifest.get("townships", []),
                           key=lambda entry: entry.get("township") is not None)
        for entry in notebooks:
            folder = str(entry.get("dir", ""))
            # A bare folder name only: a hand-edited manifest must not lead outside the run.
            if entry.get("status") not in PUBLISHED or not folder or Path(folder).name != folder:
                continue
            metrics = _read_json(run_dir / folder / METRICS_FILE)
            if metrics is None:
                continue
            rows.append({"as_of": as_of, "township": entry.get("township"),
                         **_metric_columns(metrics)})
    if not rows:
        return no_history()
    history = pd.DataFrame(rows)
    history["as_of"] = pd.to_datetime(history["as_of"])
    return history
