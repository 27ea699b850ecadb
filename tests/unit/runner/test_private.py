"""Files holding identities are private (issue 23): the modes of every published file, params
share_group, and the run's snapshot and slices beside the store, gone however the run ends."""

from __future__ import annotations

import datetime as dt
import grp
import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
from test_run import dead_pid, write_params, write_toy_notebook

from kcbx.params import load_params
from kcbx.runner.private import (
    PUBLIC_FILES,
    Terminated,
    remove_stale_work_folders,
    runs_folder,
    sigterm_raises,
)
from kcbx.runner.run import run_county
from support.county_run import start_hanging_run

AS_OF = dt.date(2021, 10, 15)


@pytest.fixture
def toy(tmp_path, demo_store):
    """A project with the toy notebooks, a params file and its own copy of the demo store."""
    (tmp_path / "notebooks").mkdir()
    for name in ("township.ipynb", "county.ipynb"):
        write_toy_notebook(tmp_path / "notebooks" / name)
    params_path = write_params(tmp_path)
    (tmp_path / "build").mkdir()
    shutil.copyfile(demo_store, tmp_path / "build" / "demo.duckdb")
    return params_path


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def published_modes(run_dir: Path) -> dict[str, int]:
    return {str(path.relative_to(run_dir)): mode(path) for path in sorted(run_dir.rglob("*"))}


@pytest.mark.slow
def test_every_published_file_has_its_mode_and_the_work_folder_is_gone(toy):
    os.umask(0o000)  # modes are set explicitly, whatever the umask
    try:
        params = load_params(toy)
        manifest = run_county(params, AS_OF, ["甲镇"], progress=False, notebooks_dir=toy.parent.parent / "notebooks")
    finally:
        os.umask(0o022)
    assert manifest.ok
    run_dir = manifest.as_of_dir
    modes = published_modes(run_dir)
    assert {"甲镇/forms.xlsx", "county/适龄儿童台账.xlsx", "county/notebook.ipynb", "甲镇/report.html",
            "甲镇/metrics.json", "甲镇/daily.png", "index.html", "manifest.json"} <= set(modes)
    for name, found in modes.items():
        path = run_dir / name
        expected = 0o755 if path.is_dir() else 0o644 if path.name in PUBLIC_FILES else 0o600
        assert found == expected, (name, oct(found))
    assert mode(run_dir) == 0o755
    # The snapshot and the slices lived beside the store, and are gone.
    assert list(runs_folder(params.store).iterdir()) == []
    assert not any(p.name.startswith(".") for p in run_dir.parent.iterdir())


@pytest.mark.slow
def test_share_group_gives_the_group_read_access(toy):
    group = grp.getgrgid(os.getgid())
    with toy.open("a", encoding="utf-8") as out:
        out.write(f"share_group: {group.gr_name}\n")
    params = load_params(toy)
    manifest = run_county(params, AS_OF, ["甲镇"], progress=False, notebooks_dir=toy.parent.parent / "notebooks")
    for name in ("甲镇/forms.xlsx", "甲镇/notebook.ipynb", "county/适龄儿童台账.xlsx"):
        info = os.stat(manifest.as_of_dir / name)
        assert stat.S_IMODE(info.st_mode) == 0o640 and info.st_gid == group.gr_gid, name
    assert mode(manifest.as_of_dir / "甲镇" / "report.html") == 0o644
    assert mode(manifest.as_of_dir / "甲镇") == 0o755


def test_share_group_must_name_a_group(toy):
    with toy.open("a", encoding="utf-8") as out:
        out.write("share_group: no-such-group-kcbx\n")
    with pytest.raises(ValueError, match="share_group"):
        load_params(toy)


@pytest.mark.slow
def test_a_run_stopped_by_sigterm_leaves_no_slice_and_no_partial_folder(toy):
    params = load_params(toy)
    notebooks = toy.parent.parent / "notebooks"
    run = start_hanging_run(toy, notebooks, stderr=subprocess.PIPE)
    runs = runs_folder(params.store)
    deadline = time.monotonic() + 180
    while not list(runs.glob("*/*.pkl")) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    assert list(runs.glob("*/*.pkl")), "no prepared slice appeared"
    county_dir = params.outputs / "示例县"
    assert list(county_dir.glob(".*.partial-*"))
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 128 + signal.SIGTERM, stderr.decode()[-2000:]
    assert list(runs.iterdir()) == []
    assert list(county_dir.iterdir()) == []  # no partial folder, nothing published


def test_a_dead_run_s_work_folder_is_removed_and_a_live_one_kept(tmp_path):
    runs = tmp_path / "demo.duckdb.runs"
    dead = runs / f"{dead_pid()}-0123abcd"
    live = runs / f"{os.getpid()}-4567abcd"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "0000.pkl").write_bytes(b"slice")
    assert remove_stale_work_folders(runs) == [dead]
    assert [p.name for p in runs.iterdir()] == [live.name]


def test_sigterm_raises_terminated_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as raised, sigterm_raises():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert raised.value.code == 143
    assert signal.getsignal(signal.SIGTERM) == before
