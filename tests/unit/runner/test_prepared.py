"""Compute once, render many: slices cut from one county pass give the figures of a fresh
per-township computation, and each slice's fingerprint moves only with its own inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kcbx import notebook
from kcbx.analysis.county import analyse, measure_county
from kcbx.analysis.cut import ROWS_BY_INPUT, Core, TownshipRows
from kcbx.analysis.metrics import json_ready
from kcbx.analysis.ranking import ranking_rows
from kcbx.params import load_params
from kcbx.runner.prepare import CountyPreparation
from kcbx.schema import KIND_LABELS
from kcbx.store.tables import load_tables
from support.paths import PROJECT

DEMO_PARAMS = PROJECT / "params" / "demo.yaml"  # `make test` writes and ingests the demo county
AS_OF = dt.date(2021, 10, 15)
# Per-pupil tables a county pass measures once for all and then cuts.
CUT_TABLES = ("streaks", "absent_today", "out_of_school", "home_teaching", "school_age", "cases",
              "duplicates", "subsidy", "findings", "rejected", "ingest_log", "daily_unexcused",
              "early_warning")


@pytest.fixture(scope="module")
def demo(demo_store):
    params = load_params(demo_store.parent.parent / "params" / "demo.yaml")
    tables = load_tables(params.store)
    return params, tables, measure_county(tables, params, AS_OF)


def as_json(metrics: dict) -> str:
    return json.dumps(json_ready(metrics), ensure_ascii=False, sort_keys=True)


def test_every_township_s_slice_equals_its_fresh_computation(demo):
    params, tables, county_pass = demo
    townships = county_pass.townships()
    assert len(townships) == 6
    for township in [*townships, None]:
        cut = county_pass.analysis(township)
        fresh = analyse(tables, params, AS_OF, township)  # measured for this township alone
        assert as_json(cut.metrics) == as_json(fresh.metrics), township
        for name in CUT_TABLES:
            assert getattr(cut, name).reset_index(drop=True).equals(
                getattr(fresh, name).reset_index(drop=True)), (township, name)


def test_the_county_s_ranking_has_each_township_s_own_figures(demo, tmp_path):
    params, tables, county_pass = demo
    townships = county_pass.townships()
    preparation = CountyPreparation(params, AS_OF, None, tmp_path, township_notebook_sha256="t",
                                    county_notebook_sha256="c")
    ranking = next(preparation.slices()).analysis.ranking
    expected = ranking_rows([analyse(tables, params, AS_OF, name).metrics for name in townships])
    pd.testing.assert_frame_equal(ranking, expected)
    assert ranking["cases_open"].sum() > 0 and ranking["absent_unexcused_today"].sum() > 0
    with pytest.raises(ValueError, match="measured for"):
        measure_county(tables, params, AS_OF, scope=townships[0]).headline_figures(townships)


def test_a_township_pass_cannot_be_cut_for_another(demo):
    params, tables, county_pass = demo
    township = county_pass.townships()[0]
    with pytest.raises(ValueError, match="measured for"):
        measure_county(tables, params, AS_OF, scope=township).analysis(None)


def _fingerprints(params_path: Path, store: Path, folder: Path) -> dict[str, list]:
    """The slices' fingerprints and inputs, prepared in a process of their own (string hashing differs)."""
    code = (
        "import json, sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from kcbx.params import load_params\n"
        "from kcbx.runner.prepare import CountyPreparation\n"
        "p = CountyPreparation(load_params(sys.argv[1]), dt.date(2021, 10, 15), None, Path(sys.argv[3]),\n"
        "    township_notebook_sha256='t', county_notebook_sha256='c', store_snapshot=Path(sys.argv[2]))\n"
        "print(json.dumps({s.township or 'county': [s.fingerprint, s.inputs] for s in p.slices()},\n"
        "                 ensure_ascii=False))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(params_path), str(store), str(folder)],
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_fingerprints_are_stable_and_move_only_with_a_township_s_rows(demo, tmp_path):
    params, tables, county_pass = demo
    first = _fingerprints(DEMO_PARAMS, params.store, tmp_path / "a")
    again = _fingerprints(DEMO_PARAMS, params.store, tmp_path / "b")
    assert first == again  # another process, another string hash seed: the same fingerprints

    # One pupil's absence type changes (病假 → 无故) in a copy of the store: only their
    # township's slice and the county's change.
    township = county_pass.townships()[1]
    pupil = county_pass.roster_now.loc[county_pass.roster_now["township"] == township, "person_key"]
    absences = tables["absence"]
    row = absences[absences["person_key"].isin(set(pupil)) & ~absences["unexcused"]].iloc[0]
    changed_store = tmp_path / "changed.duckdb"
    shutil.copyfile(params.store, changed_store)
    with duckdb.connect(str(changed_store)) as con:
        con.execute("UPDATE absence SET unexcused = true, absence_type = '无故' "
                    "WHERE source_file = ? AND source_row = ?", [row.source_file, int(row.source_row)])
    changed = _fingerprints(DEMO_PARAMS, changed_store, tmp_path / "c")
    moved = sorted(name for name in first if first[name][0] != changed[name][0])
    assert moved == sorted([township, "county"])
    # What a re-rendered report says changed: the township's absence rows, nothing else; the
    # county's store (its fingerprint takes the whole snapshot).
    before, after = first[township][1], changed[township][1]
    assert [source for source in before if before[source] != after[source]] == ["absence"]
    before, after = first["county"][1], changed["county"][1]
    assert [source for source in before if before[source] != after[source]] == ["store"]


def test_every_part_of_a_township_s_rows_is_one_input():
    # The fingerprint is the digest of the inputs: a field in no group would be missed.
    grouped = [name for names in ROWS_BY_INPUT.values() for name in names]
    fields = ([f.name for f in dataclasses.fields(TownshipRows) if f.name != "core"]
              + [f"core.{f.name}" for f in dataclasses.fields(Core)])
    assert sorted(grouped) == sorted(fields)
    assert set(ROWS_BY_INPUT) - {"ingest"} <= set(KIND_LABELS)


def test_a_prepared_slice_is_only_opened_for_its_own_township(demo, tmp_path):
    params, _, _ = demo
    preparation = CountyPreparation(params, AS_OF, None, tmp_path, township_notebook_sha256="t",
                                    county_notebook_sha256="c")
    county, first = itertools.islice(preparation.slices(), 2)
    assert county.township is None  # the county's first: its report is the longest
    assert not first.path.exists()  # written only for a notebook that runs
    opened = notebook.open_township(DEMO_PARAMS, first.township, AS_OF, first.write())
    assert opened.township == first.township
    with pytest.raises(ValueError, match="not the prepared analysis"):
        notebook.open_township(DEMO_PARAMS, "另一个镇", AS_OF, first.path)
    with pytest.raises(ValueError, match="not the prepared analysis"):
        notebook.open_county(DEMO_PARAMS, AS_OF, first.path)


def test_a_township_in_params_that_the_ledgers_do_not_know_is_an_error(demo):
    import dataclasses

    from kcbx.params import ParamsError

    params, tables, _ = demo
    typo = dataclasses.replace(params, townships=("城厢镇", "城厢"))
    with pytest.raises(ParamsError, match="'townships': 城厢 not in the current roster") as error:
        measure_county(tables, typo, AS_OF).townships()
    assert "did you mean 城厢镇?" in str(error.value) and "known: 坡荷乡、城厢镇" in str(error.value)
