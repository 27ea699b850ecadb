"""Atomic outputs: the as_of folder is built as ``.<as_of>.partial-<pid>`` beside its
final place and renamed when complete; a previous run of the same as_of is renamed to
``.<as_of>.old-<pid>`` first, then removed. A killed run leaves only a dot-named folder,
which the next run removes once its process is gone (``remove_stale_folders``)."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from kcbx.util.files import process_alive

_LEFTOVER = re.compile(r"^\.(?P<as_of>\d{4}-\d{2}-\d{2})\.(?P<kind>partial|old)-(?P<pid>\d+)$")


def remove_stale_folders(county_dir: Path) -> list[Path]:
    """Remove what killed runs left in a county's output folder and return it:
    ``.<as_of>.partial-<pid>`` (unfinished) and ``.<as_of>.old-<pid>`` (replaced, not yet
    deleted) whose process is no longer running. A live process's folder is left alone:
    it may be a run going on right now."""
    removed = []
    for path in sorted(county_dir.iterdir()) if county_dir.is_dir() else ():
        match = _LEFTOVER.match(path.name)
        if not (match and path.is_dir() and not process_alive(int(match.group("pid")))):
            continue
        published = county_dir / match.group("as_of")
        if match.group("kind") == "old" and not published.exists():
            # The run died between its two renames: this is the last published run.
            os.rename(path, published)
            continue
        remove_tree(path)
        removed.append(path)
    return removed


def remove_tree(path: Path) -> None:
    """Remove a folder even where a read-only subfolder would stop ``shutil.rmtree``
    (we own what we wrote: write permission is given back where a removal is refused)."""
    def allow_and_retry(function, target, _exc_info) -> None:
        parent = Path(target).parent
        parent.chmod(parent.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if Path(target).is_dir() and not Path(target).is_symlink():
            Path(target).chmod(Path(target).stat().st_mode | stat.S_IRWXU)
        function(target)

    shutil.rmtree(path, onerror=allow_and_retry)


def publish(partial_dir: Path, as_of_dir: Path) -> None:
    """Rename the finished folder into place; a previous run of the same as_of is renamed
    aside first and removed after, so a reader sees the old run or the new one, never a mix."""
    aside = as_of_dir.with_name(f".{as_of_dir.name}.old-{os.getpid()}")
    replacing = as_of_dir.exists()
    if replacing:
        os.rename(as_of_dir, aside)
    try:
        os.rename(partial_dir, as_of_dir)
    except BaseException:
        if replacing:
            os.rename(aside, as_of_dir)
        raise
    if replacing:
        remove_tree(aside)
