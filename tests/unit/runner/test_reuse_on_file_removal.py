"""A ledger file removed or added re-renders only what it touches (issue 27): the township
whose rows it held, and the county; every other township's report is reused, and the manifest
says why each was rendered again.

Toy notebooks (support.toy_notebooks) on a copy of the demo county, ingested once per module;
the run still measures the county and fingerprints each township's rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest

from kcbx import cli
from kcbx.analysis.attribution import LOG_COLUMNS_SHOWN
from kcbx.report.forms.quality import _FILE_COLUMNS
from kcbx.runner.run import run_county
from kcbx.store.tables import ingest_totals
from support.demo_county import county, ingested_demo  # noqa: F401 (the demo's fixtures)
from support.toy_notebooks import write_toy_notebooks

AS_OF = dt.date(2021, 10, 15)
TOWNSHIP = "平孟镇"


def ingest(params) -> None:
    # One kind loses one of its six files: more than the shrink guard lets through unasked.
    assert cli.main(["ingest", "--params", str(params.path), "--quiet", "--allow-shrink"]) == 0


def statuses(manifest) -> dict[str, str]:
    return {record.name: record.status for record in manifest.townships}


@pytest.mark.slow
def test_a_removed_file_re_renders_only_its_township_and_the_county(county, tmp_path):
    notebooks = write_toy_notebooks(tmp_path / "notebooks")
    first = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    townships = [record.name for record in first.townships if record.township]
    assert len(townships) == 6 and TOWNSHIP in townships and first.ok

    # 平孟镇's absence file is taken out: its absences are gone, nobody else's.
    [absence_file] = (county.ledgers / "absence").glob(f"{TOWNSHIP}*")
    aside = tmp_path / absence_file.name
    shutil.move(absence_file, aside)
    ingest(county)
    removed = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    expected = dict.fromkeys(townships, "reused") | {TOWNSHIP: "ok", "county": "ok"}
    assert statuses(removed) == expected
    # A reused report's metrics.json carries the contract's rows_read …: the county ingest's
    # now, written into its copy (a toy notebook's own metrics.json has none).
    run_dir = county.outputs / "示例县" / AS_OF.isoformat()
    now = ingest_totals(county.store)
    for entry in removed.townships:
        if entry.status == "reused":
            metrics = json.loads((run_dir / entry.dir / "metrics.json").read_text("utf-8"))
            assert {key: metrics[key] for key in now} == now
    # Why, in the manifest: 平孟镇's absence rows, and the files its report lists; the county's
    # whole store. The others were not rendered: no reason.
    on_disk = json.loads((county.outputs / "示例县" / AS_OF.isoformat() / "manifest.json").read_text("utf-8"))
    because = {entry["name"]: entry["rendered_because"] for entry in on_disk["townships"]}
    assert because[TOWNSHIP] == ["absence", "ingest"]
    assert "store" in because["county"]
    assert all(because[name] is None for name in townships if name != TOWNSHIP)

    # Put back, it is a file added: again 平孟镇 and the county alone.
    shutil.move(aside, absence_file)
    ingest(county)
    added = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    assert statuses(added) == expected
    assert next(r for r in added.townships if r.name == TOWNSHIP).rendered_because == ("absence", "ingest")
    # 平孟镇's inputs are those of the first run again.
    assert (next(r for r in added.townships if r.name == TOWNSHIP).inputs
            == next(r for r in first.townships if r.name == TOWNSHIP).inputs)


def test_a_township_s_ingest_totals_are_the_county_s_and_no_part_of_its_fingerprint(county):
    # The contract: rows_read … are the county ingest's totals in every metrics.json. They are
    # left out of a township's fingerprint, so another township's file does not move it.
    from kcbx.runner.prepare import CountyPreparation

    preparation = CountyPreparation(county, AS_OF, None, county.path.parent / "slices",
                                    township_notebook_sha256="t", county_notebook_sha256="c")
    county_pass = preparation.county_pass
    log = county_pass.tables["ingest_log"]
    totals = {key: int(log[key].sum()) for key in ("rows_read", "rows_accepted", "rows_rejected")}
    assert county_pass.rows(TOWNSHIP).ingest_totals == totals == county_pass.ingest_totals
    before = {prepared.township: prepared.fingerprint for prepared in preparation.slices()}
    county_pass.ingest_totals = dict.fromkeys(totals, 0)  # as if another township's file were gone
    after = {prepared.township: prepared.fingerprint for prepared in preparation.slices()}
    assert after[TOWNSHIP] == before[TOWNSHIP]


def test_the_fingerprint_keeps_what_a_page_shows_of_each_file_it_lists():
    # forms.xlsx's 数据问题 文件读入 (and 数据说明, and the footer) show these columns; a file's
    # sha256, its sheets or when it was read are on no page, and move no township's fingerprint.
    assert {column.key for column in _FILE_COLUMNS} - {"kind_label"} <= set(LOG_COLUMNS_SHOWN)
    assert not {"sha256", "ingested_at", "seconds", "sheets"} & set(LOG_COLUMNS_SHOWN)


def test_a_reused_metrics_json_is_written_anew_never_through_its_link(tmp_path):
    from kcbx.runner.reuse import _update_metrics

    previous, reused = tmp_path / "previous.json", tmp_path / "reused.json"
    previous.write_text(json.dumps({"cases_open": 2, "rows_read": 10}), encoding="utf-8")
    os.link(previous, reused)
    _update_metrics(reused, {"rows_read": 9})
    assert json.loads(reused.read_text("utf-8")) == {"cases_open": 2, "rows_read": 9}
    assert json.loads(previous.read_text("utf-8")) == {"cases_open": 2, "rows_read": 10}
    unchanged = reused.stat().st_mtime_ns
    _update_metrics(reused, {"rows_read": 9})  # equal: not written again
    assert reused.stat().st_mtime_ns == unchanged
