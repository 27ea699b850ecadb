"""Files holding full identities stay private, and a run's own copies of the data go when it ends.

What a run publishes (docs/architecture.md, "Files holding identities"):

- report.html, index.html, daily.png, report.pdf (masked, for leadership), metrics.json
  (figures, no identity) and manifest.json (paths and digests): ``0644``.
- Everything else of a report's folder - forms.xlsx and the county's 适龄儿童台账.xlsx (full
  names, IDs, phones), the executed notebook.ipynb / notebook.failed.ipynb (their outputs and
  tracebacks may quote ledger values), anything a notebook wrote besides: ``0600``; with
  params ``share_group``, ``0640`` and that group.
- Folders: ``0755``, so that a web server reads the HTML; the private files in them are
  protected by their own mode. While a run builds its folder, the folder is ``0700`` (``0750``
  with ``share_group``): nothing is readable by others before its mode is set.

Every mode is set explicitly (``os.chmod``), whatever the umask of the run, its workers or
their kernels.

The run's copy of the store and its prepared slices (pickled Analyses: identities) never
go under outputs/: they live in ``<store>.runs/<pid>-<token>/`` (``0700``; ``0750`` with
``share_group``) beside the store and are removed when the run ends, however it ends: an
exception, Ctrl-C, or SIGTERM (``sigterm_raises``: the signal becomes ``Terminated``, a
``SystemExit``, so every ``finally`` runs). What a run killed by SIGKILL leaves is removed by
the next run of the same store, once that pid is gone (``remove_stale_work_folders``).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kcbx.outputs import (
    DAILY_CARD_FILE,
    INDEX_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    REPORT_FILE,
    REPORT_PDF_FILE,
)
from kcbx.runner.publish import remove_tree
from kcbx.util.files import Access, process_alive

# Published files that hold no full identity: readable by anyone who may read the folder.
PUBLIC_FILES = frozenset({REPORT_FILE, INDEX_FILE, DAILY_CARD_FILE, REPORT_PDF_FILE, METRICS_FILE,
                          MANIFEST_FILE})
PUBLIC_FILE_MODE = 0o644
PUBLISHED_FOLDER_MODE = 0o755
RUNS_SUFFIX = ".runs"
_WORK_FOLDER = re.compile(r"^(?P<pid>\d+)-[0-9a-f]+$")


def set_published_modes(run_dir: Path, access: Access) -> None:
    """Give every file and folder of a finished run's folder its published mode (see the
    module's docstring): private files first, folders last, the run's folder itself at the very
    end, so that nothing private is ever readable by others. Symbolic links are left alone."""
    for folder, folders, files in os.walk(run_dir, topdown=False):
        here = Path(folder)
        for name in files:
            path = here / name
            if path.is_symlink():
                continue
            if name in PUBLIC_FILES:
                os.chmod(path, PUBLIC_FILE_MODE)
            else:
                access.private_file(path)
        for name in folders:
            if not (here / name).is_symlink():
                os.chmod(here / name, PUBLISHED_FOLDER_MODE)
    os.chmod(run_dir, PUBLISHED_FOLDER_MODE)


def runs_folder(store: Path) -> Path:
    """``<store>.runs``: where runs of this store keep their snapshot and slices."""
    return store.with_name(store.name + RUNS_SUFFIX)


def remove_stale_work_folders(folder: Path) -> list[Path]:
    """Remove the work folders (``<pid>-<token>``) of runs whose process is gone; return them."""
    removed = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        match = _WORK_FOLDER.match(path.name)
        if match and path.is_dir() and not path.is_symlink() and not process_alive(int(match.group("pid"))):
            remove_tree(path)
            removed.append(path)
    return removed


@contextmanager
def work_folder(store: Path, access: Access) -> Iterator[Path]:
    """A private folder for this run's store snapshot and slices, beside the store, removed
    when the block ends (a leftover of a dead run first). Where the store's folder cannot be
    written, a private temporary folder instead."""
    parent = runs_folder(store)
    try:
        remove_stale_work_folders(parent)
        parent.mkdir(mode=0o700, exist_ok=True)
        access.private_folder(parent)
        folder = parent / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        folder.mkdir(mode=0o700)
    except PermissionError:  # a read-only share for the store: the system's temporary folder
        folder = Path(tempfile.mkdtemp(prefix=f"kcbx-{os.getpid()}-"))
    try:
        access.private_folder(folder)
        yield folder
    finally:
        remove_tree(folder)


class Terminated(SystemExit):
    """SIGTERM (systemd stopping a service, ``kill``, a scheduler's timeout), raised in the
    main thread like Ctrl-C's KeyboardInterrupt, so that every ``finally`` removes what the run
    made. Exit status 128 + 15, as the shell says of a process killed by SIGTERM."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, the first SIGTERM raises ``Terminated`` in the main thread (a second
    one, during the clean-up, is ignored); the previous handler is restored after. Outside the
    main thread (a dask worker's, a test's thread) signals cannot be handled: nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, _frame) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def mode_of(path: Path) -> int:
    """A file's permission bits (for tests and checks)."""
    return stat.S_IMODE(os.stat(path).st_mode)
