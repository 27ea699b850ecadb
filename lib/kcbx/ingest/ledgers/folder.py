"""A county's ledger folder -> its ledger files, by kind.

A county's ledgers live in one folder, one subfolder per kind, named by the key or
by the Chinese name; a subfolder holds any number of ledger files (docs/ledgers.md).

Nothing here opens a file, so that `kcbx ingest` can tell what changed without
loading pandas (kcbx.ingest.ledgers.read reads the files).

File names are shown as people read them, whatever bytes they are made of: a zip
made on Windows and unpacked on Linux leaves names in GBK bytes, which Python holds
as text with "surrogate escapes" that no file, database or terminal accepts.
``readable_name`` decodes them (GBK, else the bytes shown as escapes); the path
itself is kept to open the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kcbx import schema

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv",)
# Tried, in order, on a name's bytes when they are not UTF-8: Windows' Chinese code page.
NAME_ENCODINGS = ("gb18030",)


@dataclass(frozen=True)
class Finding:
    """A data-quality note that does not reject a row (store table ``findings``)."""

    kind: str | None
    file: str
    sheet: str
    row: int | None
    finding: str


@dataclass(frozen=True)
class LedgerFile:
    """One ledger file: its kind, where it is, and its path relative to the ledger folder
    (``relative``: as shown and stored, readable whatever bytes the name is made of)."""

    kind: str
    path: Path
    relative: str


@dataclass
class Listing:
    """What a ledger folder holds: the ledger ``files``, ``findings`` about what was left
    aside (stored, and shown in reports), and ``ignored``: (name, reason) of the files
    passed over without a finding (Excel's lock files, hidden files), for the ingest report."""

    files: list[LedgerFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- names

def readable_name(name: str) -> str:
    """A file or folder name as text any file, database or terminal accepts.

    A name whose bytes are not UTF-8 (a Windows zip unpacked on Linux: GBK bytes) comes
    from the OS with surrogate escapes; it is decoded as GBK (GB18030), else its bytes
    are shown as escapes (\\xb6). Any other name is returned as it is.
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    for encoding in NAME_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def _escaped_name(name: str) -> str:
    """The name with its non-UTF-8 bytes shown as escapes (unique for distinct byte names)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _readable_relative(path: Path, folder: Path) -> str:
    return "/".join(readable_name(part) for part in path.relative_to(folder).parts)


def name_finding(ledger_file: LedgerFile) -> str | None:
    """The note for a file whose name (or a folder's on its way) is not UTF-8, else None."""
    try:
        str(ledger_file.path).encode("utf-8")
        return None
    except UnicodeEncodeError:
        return (f"文件名不是 UTF-8 编码（多半是 Windows 上打包、Linux 上解压的压缩包），已显示为「{ledger_file.relative}」，"
                "建议改名 file name not in UTF-8")


# --------------------------------------------------------------------------- files

def _kind_of_folder(name: str) -> str | None:
    for kind, names in schema.KIND_FOLDERS.items():
        if name in names:
            return kind
    return None


def _clutter_reason(name: str) -> str | None:
    """Why a file is passed over without a finding, or None for a file worth looking at."""
    if name.startswith("~$"):
        return "Excel 打开工作簿时留下的临时锁文件，已忽略 Excel lock file, ignored"
    if name.startswith("."):
        return "隐藏文件，已忽略 hidden file, ignored"
    return None


def list_ledger_folder(folder: Path) -> Listing:
    """Every ledger file under the kind subfolders (searched recursively), in a stable order,
    and every other entry with the reason it was left aside (see Listing).

    Names are matched and shown readable (``readable_name``): a kind folder named 学籍 in
    GBK bytes is the roster folder. Two files whose names read the same (the same name
    in UTF-8 and in GBK bytes) are told apart by showing the second with escapes.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"台账文件夹不存在: {folder}")
    listing = Listing()
    seen: set[str] = set()
    for entry in sorted(folder.iterdir()):
        name = readable_name(entry.name)
        clutter = _clutter_reason(name)
        if clutter:
            listing.ignored.append((name, clutter))
            continue
        kind = _kind_of_folder(name) if entry.is_dir() else None
        if kind is None:
            what = "文件夹名不是台账类别" if entry.is_dir() else "文件不在台账类别文件夹中"
            listing.findings.append(Finding(None, name, "", None, f"{what}，已跳过"))
            continue
        for path in sorted(entry.rglob("*")):
            relative = _readable_relative(path, folder)
            if path.is_dir():
                continue
            clutter = _clutter_reason(readable_name(path.name))
            if clutter:
                listing.ignored.append((relative, clutter))
            elif not path.is_file():  # a broken link, a pipe, a socket
                listing.findings.append(Finding(kind, relative, "", None, "不是普通文件（失效的链接？），已跳过"))
            elif path.suffix.lower() in EXCEL_SUFFIXES + CSV_SUFFIXES:
                if relative in seen:
                    relative = "/".join(_escaped_name(part) for part in path.relative_to(folder).parts)
                seen.add(relative)
                listing.files.append(LedgerFile(kind, path, relative))
            else:
                listing.findings.append(Finding(kind, relative, "", None,
                                                "不支持的文件类型（需要 .xlsx/.xls/.csv），已跳过"))
    return listing


def find_ledger_files(folder: Path) -> tuple[list[LedgerFile], list[Finding]]:
    """The ledger files and the findings of ``list_ledger_folder``."""
    listing = list_ledger_folder(folder)
    return listing.files, listing.findings
