"""A school's roster re-uploaded cut short (a half-copied xlsx) must not erase its pupils:
ingest keeps the earlier rows and says so, the reports say the data is old, and `kcbx run`
exits 7 (issue 23: never a false all-clear)."""

import json
import shutil
import subprocess
import sys

import pytest

from support.county_run import AS_OF, kcbx

pytestmark = pytest.mark.slow


def test_a_roster_cut_short_keeps_its_school_and_every_report_says_so(county_run, tmp_path):
    source, townships = county_run
    root = tmp_path / "county"
    shutil.copytree(source, root, symlinks=True)
    params = root / "params" / "demo.yaml"
    town = townships[0]
    rosters = sorted((root / "build" / "ledgers" / "demo" / "roster").glob(f"{town}*.xlsx"))
    assert rosters, f"no xlsx roster of {town} in the demo"
    roster = rosters[0]
    before = json.loads((root / "outputs" / "示例县" / AS_OF / town / "metrics.json").read_text(encoding="utf-8"))
    data = roster.read_bytes()
    roster.write_bytes(data[: len(data) // 2])  # a copy that stopped half-way

    ingest = kcbx("ingest", "--params", str(params), "--quiet", cwd=root)
    assert ingest.returncode == 1, ingest.stdout + ingest.stderr
    assert "Traceback" not in ingest.stderr

    run = kcbx("run", "--params", str(params), "--as-of", AS_OF, "--quiet",
               *[arg for t in townships for arg in ("--township", t)], cwd=root)
    assert run.returncode == 7, run.stdout + run.stderr
    stale = "学籍数据未更新（文件无法读取，沿用"
    assert stale in run.stderr and "Traceback" not in run.stderr

    run_dir = root / "outputs" / "示例县" / AS_OF
    after = json.loads((run_dir / town / "metrics.json").read_text(encoding="utf-8"))
    # The school's pupils are still there: no child became a suspected dropout.
    for key in ("enrolled", "out_of_school_suspected", "enrollment_rate"):
        assert after[key] == before[key], key
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [line for line in manifest["stale_files"] if stale in line]
    for folder in (town, "county"):
        page = (run_dir / folder / "report.html").read_text(encoding="utf-8")
        assert stale in page, folder
    other = (run_dir / townships[1] / "report.html").read_text(encoding="utf-8")
    assert "学籍数据未更新" not in other  # only the reports that use the kept rows say it

    # Run again with nothing changed: every report reused, the data still stale and said so,
    # and no pandas imported (an unchanged re-run stays well under a second).
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "kcbx.cli", "run", "--params", str(params),
                            "--as-of", AS_OF, "--quiet", *[arg for t in townships for arg in ("--township", t)]],
                           cwd=root, capture_output=True, text=True, timeout=300)
    assert again.returncode == 7, again.stdout + again.stderr[-2000:]
    assert "reused" in again.stdout and stale in again.stderr
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert "kcbx.runner.run" in imported and "pandas" not in imported
