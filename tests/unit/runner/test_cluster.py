"""A province on dask.distributed: a real scheduler and two workers on 127.0.0.1, started
with dask's own CLI as the README says, run two counties' reports through `kcbx run`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.paths import PROJECT

BIN = Path(sys.executable).parent
AS_OF = "2021-10-15"


def county_params(folder: Path, county: str, store: Path) -> Path:
    """The demo county's params under another name, with its own store copy and outputs."""
    text = (PROJECT / "params" / "demo.yaml").read_text(encoding="utf-8")
    own_store = folder / f"{county}.duckdb"
    if store.exists():
        shutil.copyfile(store, own_store)
    path = folder / f"{county}.yaml"
    path.write_text(text.replace("county: 示例县", f"county: {county}")
                    .replace("store: ../build/demo.duckdb", f"store: {own_store}")
                    .replace("ledgers: ../build/ledgers/demo", f"ledgers: {PROJECT}/build/ledgers/demo")
                    .replace("outputs: ../outputs", f"outputs: {folder / 'outputs'}"),
                    encoding="utf-8")
    return path


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path):
    """`dask scheduler` and two `dask worker --nthreads 1` processes; yields the address."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", scheduler_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_for(scheduler_file.exists, 60, "the dask scheduler did not start")
        address = json.loads(scheduler_file.read_text())["address"]
        processes += [subprocess.Popen(
            [BIN / "dask", "worker", address, "--nthreads", "1", "--no-dashboard", "--name", name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in ("w1", "w2")]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


@pytest.mark.slow
def test_two_counties_run_on_two_dask_workers(cluster, tmp_path, demo_store):
    counties = [county_params(tmp_path, name, demo_store) for name in ("甲县", "乙县")]
    no_store = county_params(tmp_path, "丙县", tmp_path / "missing.duckdb")  # fails alone
    done = subprocess.run(
        [BIN / "kcbx", "run", *[arg for p in [counties[0], no_store, counties[1]] for arg in ("--params", p)],
         "--as-of", AS_OF, "--scheduler", cluster, "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr  # 丙县 had no store …
    assert "丙县: not run" in done.stderr
    assert "  丙县: not run: NoStore: no store at" in done.stdout  # … said in the province's summary
    workers_seen = set()
    for county in ("甲县", "乙县"):  # … and the two others ran in full, each in its own folder
        run_dir = tmp_path / "outputs" / county / AS_OF
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["ok"] and manifest["scheduler"] == cluster
        assert len(manifest["townships"]) == 7
        workers_seen |= {entry["worker"] for entry in manifest["townships"]}
        assert (run_dir / "index.html").is_file() and (run_dir / "county" / "report.html").is_file()
        assert f"{county}: 7 of 7 reports ok" in done.stdout
    assert len(workers_seen) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers_seen)
    # Same data under two names: the same figures.
    first, second = (json.loads((tmp_path / "outputs" / c / AS_OF / "county" / "metrics.json")
                                .read_text(encoding="utf-8")) for c in ("甲县", "乙县"))
    assert {**first, "county": None} == {**second, "county": None}
