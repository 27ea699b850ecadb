"""Files: publishing one whole or not at all, and the sha256 that identifies one.

Every file kcbx writes for people (report.html, forms.xlsx, metrics.json, index.html,
the ingest report) is written under a hidden temporary name in the same folder and
renamed over the target, so a reader or a crash never sees half a file, and a failed
write leaves any earlier file intact.
"""

from __future__ import annotations

import grp
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@contextmanager
def replacing(path: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside ``path``: write it in the block; it replaces ``path`` when
    the block ends normally and is removed when the block raises.

    ``mode`` (e.g. 0o600 for a file holding identities): the temporary file is created empty
    with exactly that mode before the block (whatever the umask), so that it is never readable
    by others, not even while it is written; write it by opening it for writing ("wb", "w"),
    which keeps the mode. None: the block creates the file, with the umask's mode."""
    target = Path(path)
    # Beside the target (os.replace needs one file system); not mkstemp, whose 0600 mode
    # would stay on the published file.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if mode is not None:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                os.fchmod(descriptor, mode)  # the umask may have taken bits away
            finally:
                os.close(descriptor)
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` whole (see ``replacing``), with '\\n' line ends."""
    with replacing(path) as temporary, open(temporary, "x", encoding="utf-8", newline="\n") as out:
        out.write(text)


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """The file's sha256, hex: what identifies a ledger file, a store snapshot or a notebook."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: a hidden file or folder named after a pid that
    is gone was left by a killed writer, and may be cleaned up."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@dataclass(frozen=True)
class Access:
    """Who may read what holds identities: the owner alone, or the owner and ``group``."""

    group: str | None = None
    gid: int | None = None

    @classmethod
    def of(cls, params) -> Access:
        """From params ``share_group`` (None: the owner alone)."""
        group = getattr(params, "share_group", None)
        if not group:
            return cls()
        return cls(group, grp.getgrnam(group).gr_gid)

    @property
    def file_mode(self) -> int:
        return 0o600 if self.gid is None else 0o640

    @property
    def folder_mode(self) -> int:
        return 0o700 if self.gid is None else 0o750

    def _set(self, path: Path, mode: int) -> None:
        if self.gid is not None:
            os.chown(path, -1, self.gid)
        os.chmod(path, mode)

    def private_file(self, path: Path) -> None:
        self._set(path, self.file_mode)

    def private_folder(self, path: Path) -> None:
        self._set(path, self.folder_mode)


@contextmanager
def created_private() -> Iterator[None]:
    """Files created in the block (a DuckDB store and its .wal, by a library that takes no
    mode) are readable by their owner only: the process's umask is 077 for the block."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
