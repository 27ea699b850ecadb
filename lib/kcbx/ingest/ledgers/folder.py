"""A county's ledger folder -> its ledger files, by kind.

A county's ledgers live in one folder, one subfolder per kind, named by the key or
by the Chinese name; a subfolder holds any number of ledger files (docs/ledgers.md).

Nothing here opens a file, so that `kcbx ingest` can tell what changed without
loading pandas (kcbx.ingest.ledgers.read reads the files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kcbx import schema

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv",)


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
    """One ledger file: its kind, where it is, and its path relative to the ledger folder."""

    kind: str
    path: Path
    relative: str


# --------------------------------------------------------------------------- files

def _kind_of_folder(name: str) -> str | None:
    for kind, names in schema.KIND_FOLDERS.items():
        if name in names:
            return kind
    return None


def _is_office_clutter(path: Path) -> bool:
    # "~$x.xlsx" is Excel's lock file of an open workbook; dot files are OS clutter.
    return path.name.startswith(("~$", "."))


def find_ledger_files(folder: Path) -> tuple[list[LedgerFile], list[Finding]]:
    """Every ledger file under the kind subfolders (searched recursively), in a stable order.

    Returns the files and findings for what was left aside: folders that name
    no kind, files outside a kind folder, files of another type.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"台账文件夹不存在: {folder}")
    files: list[LedgerFile] = []
    findings: list[Finding] = []
    for entry in sorted(folder.iterdir()):
        if _is_office_clutter(entry):
            continue
        kind = _kind_of_folder(entry.name) if entry.is_dir() else None
        if kind is None:
            what = "文件夹名不是台账类别" if entry.is_dir() else "文件不在台账类别文件夹中"
            findings.append(Finding(None, entry.name, "", None, f"{what}，已跳过"))
            continue
        for path in sorted(p for p in entry.rglob("*") if p.is_file() and not _is_office_clutter(p)):
            relative = path.relative_to(folder).as_posix()
            if path.suffix.lower() in EXCEL_SUFFIXES + CSV_SUFFIXES:
                files.append(LedgerFile(kind, path, relative))
            else:
                findings.append(Finding(kind, relative, "", None, "不支持的文件类型（需要 .xlsx/.xls/.csv），已跳过"))
    return files, findings
