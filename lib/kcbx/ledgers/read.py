"""Files as schools send them -> raw tables: formats, encodings, header detection.

Contract ("Ledgers in"): one subfolder per kind, named by the key or the Chinese
name; any number of .xlsx, .xls or .csv files, "a title row or two above the
header, merged header cells, blank rows, a closing 合计 row, CSV in UTF-8 (with
or without BOM) or GBK". Headers are matched by the Chinese name or a synonym,
including the county's own synonyms from its params file.

Nothing here interprets a value: cells come out exactly as stored (text stays
text, numbers stay numbers, Excel dates arrive as datetimes), so that
``normalize`` can decide, and so that an ID keeps its X and a name such as
"=1+1" stays that string.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from kcbx import schema
from kcbx.ledgers import headers
from kcbx.ledgers.folder import CSV_SUFFIXES, Finding, LedgerFile
from kcbx.ledgers.headers import normalize_header

# The header is looked for among the first rows only: title rows sit above it.
HEADER_SEARCH_ROWS = 10
# A sheet whose best row matches fewer known headers has no recognisable header
# (a lone "备注" in an instructions sheet is not a table).
MIN_HEADER_MATCHES = 2
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
# Row-number columns every template has: not worth a finding when left unread.
SERIAL_HEADERS = {"序号", "编号", "No", "No."}
TOTAL_ROW = re.compile(r"^(合计|小计|总计)([:：(（].*)?$")


class LedgerReadError(Exception):
    """A file that cannot be read at all (not a spreadsheet, corrupt, undecodable)."""


# --------------------------------------------------------------------------- reading files

def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK/GB18030."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerReadError("CSV 文件编码无法识别（需要 UTF-8 或 GBK）")


def _csv_grid(path: Path) -> pd.DataFrame:
    text = decode_csv(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    next_line = 1
    try:
        for record in reader:
            rows.append(record)
            line_numbers.append(next_line)  # a quoted cell may span lines: a row starts here
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise LedgerReadError(f"CSV 格式错误（第 {reader.line_num} 行）: {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    padded = [[cell if cell != "" else None for cell in r] + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, index=line_numbers, columns=range(width), dtype=object)


def _excel_grids(path: Path) -> list[tuple[str, pd.DataFrame]]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises its own types for every kind of broken file
        raise LedgerReadError(f"无法读取 Excel 文件: {exc}") from exc
    grids = []
    for name, grid in sheets.items():
        grid.index = grid.index + 1  # Excel's row numbers start at 1, title rows included
        grids.append((str(name), grid))
    return grids


def read_grids(path: Path) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet of a file as (sheet name, raw cells); a CSV is one sheet named "".

    Cells are raw values (object dtype, blank = NaN/None); the index is the row
    number the user sees: Excel's row number, or the CSV line number.
    """
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        return [("", _csv_grid(path))]
    return _excel_grids(path)


# --------------------------------------------------------------------------- headers

@dataclass(frozen=True)
class HeaderVocabulary:
    """The headers one kind of ledger is read with.

    ``by_name`` maps a normalised header to its canonical column; ``names`` lists,
    per canonical column, the contract header first and then its synonyms.
    """

    kind: str
    by_name: Mapping[str, str]
    names: Mapping[str, tuple[str, ...]]

    def column_of(self, cell: object) -> str | None:
        return self.by_name.get(normalize_header(cell))

    def describe(self, column: str) -> str:
        """'乡镇（也作：乡(镇)、所属乡镇）': the header and its synonyms, for messages."""
        first, *others = self.names[column]
        return f"「{first}」（也作：{'、'.join(others)}）" if others else f"「{first}」"


def _kind_headers(kind: str) -> dict[str, tuple[str, ...]]:
    """Canonical column -> header names, for the columns this kind's store table has."""
    wanted = set(schema.columns(kind))
    merged = {col: names for col, names in headers.COMMON.items() if col in wanted}
    merged.update(headers.BY_KIND.get(kind, {}))  # a kind's own names win (e.g. 缺勤日期)
    return merged


def header_vocabulary(kind: str, synonyms: Mapping[str, Iterable[str]] | None = None) -> HeaderVocabulary:
    """The headers of one kind: headers.COMMON + headers.BY_KIND[kind] + the params synonyms.

    Params synonyms are keyed by a header name (the contract's, or a synonym)
    and apply to every kind that has that column.
    """
    names = {col: tuple(entry) for col, entry in _kind_headers(kind).items()}
    by_name = {normalize_header(n): col for col, entry in names.items() for n in entry}
    for key, extra in (synonyms or {}).items():
        column = by_name.get(normalize_header(key))
        if column is None:
            continue  # a header this kind does not have
        names[column] = names[column] + tuple(s for s in extra if s not in names[column])
        by_name.update({normalize_header(s): column for s in extra})
    return HeaderVocabulary(kind, by_name, names)


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is and what it says.

    ``rows``: the header's row numbers (two for a merged two-row header);
    ``columns``: canonical column -> position in the sheet;
    ``labels``: canonical column -> the header text as written in the file;
    ``unknown``: header texts that match no known column (ignored);
    ``duplicates``: canonical columns that appear more than once (first kept).
    """

    rows: tuple[int, ...]
    columns: dict[str, int]
    labels: dict[str, str]
    unknown: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


def _row_matches(values: Iterable[object], vocabulary: HeaderVocabulary) -> dict[int, str]:
    """Position -> canonical column, for the cells of one row that are known headers."""
    matches = {}
    for position, cell in enumerate(values):
        column = vocabulary.column_of(cell)
        if column is not None:
            matches[position] = column
    return matches


def detect_header(grid: pd.DataFrame, vocabulary: HeaderVocabulary) -> Header | None:
    """Find the header among the first rows: the row matching the most known headers.

    A merged two-row header (a group label such as 学生类别 above 是否寄宿 and
    留守儿童; merged cells read as the value in the first cell and blanks to its
    right) is the best row plus the row just below or above it that names
    further columns where the best row names none. Returns None when no row
    matches at least MIN_HEADER_MATCHES headers.
    """
    top = grid.head(HEADER_SEARCH_ROWS)
    top_cells = top.to_numpy(dtype=object).tolist()
    matches = [_row_matches(row, vocabulary) for row in top_cells]
    if not matches:
        return None
    best = max(range(len(matches)), key=lambda i: len(set(matches[i].values())))
    if len(set(matches[best].values())) < MIN_HEADER_MATCHES:
        return None

    header_rows = [best]
    merged = dict(matches[best])
    for neighbour in (best + 1, best - 1):
        if not 0 <= neighbour < len(matches):
            continue
        extra = {pos: col for pos, col in matches[neighbour].items()
                 if pos not in matches[best] and col not in matches[best].values()}
        if extra:
            header_rows.append(neighbour)
            merged.update(extra)

    columns: dict[str, int] = {}
    duplicates = []
    for position in sorted(merged):
        column = merged[position]
        if column in columns:
            duplicates.append(column)
        else:
            columns[column] = position

    header_rows.sort()

    def header_cells(position: int) -> list:
        return [top_cells[row][position] for row in header_rows]

    labels = {col: _label_at(header_cells(pos), vocabulary) for col, pos in columns.items()}
    unknown = []
    for position in range(top.shape[1]):
        text = "/".join(_texts(header_cells(position)))
        if position not in merged and text and normalize_header(text) not in SERIAL_HEADERS:
            unknown.append(text)
    return Header(
        rows=tuple(int(top.index[row]) for row in header_rows),
        columns=columns,
        labels=labels,
        unknown=tuple(unknown),
        duplicates=tuple(duplicates),
    )


def _texts(cells: Iterable[object]) -> list[str]:
    return [c.strip() for c in cells if isinstance(c, str) and c.strip()]


def _label_at(cells: Iterable[object], vocabulary: HeaderVocabulary) -> str:
    """The header text that named a column (the sub-header, not the group label above it)."""
    return next(t for t in reversed(_texts(cells)) if vocabulary.column_of(t))


def missing_headers(header: Header, vocabulary: HeaderVocabulary) -> list[str]:
    """Descriptions of the required headers (headers.REQUIRED) the header lacks.

    A person-keyed kind also needs 身份证号 or 学籍号 (headers.PERSON_KEYED).
    """
    kind = vocabulary.kind
    missing = [vocabulary.describe(col) for col in headers.REQUIRED[kind] if col not in header.columns]
    if kind in headers.PERSON_KEYED and not {"id_number", "student_no"} & header.columns.keys():
        missing.append(f"{vocabulary.describe('id_number')}或{vocabulary.describe('student_no')}")
    return missing


# --------------------------------------------------------------------------- data rows
# Plain Python over each column's cells, with the rare cases screened in C: a
# county's ledgers hold a few hundred thousand rows in a few hundred small
# sheets, where pandas' cost per call would outweigh the work.

TOTAL_FIRST_CHARACTERS = frozenset("合小总")
# Screens a column's texts joined by line breaks: can any of them be a total cell?
TOTAL_AT_LINE_START = re.compile(r"^[合小总]", re.MULTILINE)


def _stripped_texts(cells: list) -> list[str]:
    """Every cell as stripped text, "" when blank (None, NaN, NaT or only spaces)."""
    return [cell.strip() if type(cell) is str else ("" if pd.isna(cell) else str(cell).strip())
            for cell in cells]


def _total_positions(texts: list[str]) -> list[int]:
    """Positions of 合计/小计/总计 cells among a column's stripped texts."""
    if not TOTAL_AT_LINE_START.search("\n".join(texts)):
        return []  # the usual case, decided without a Python loop
    return [position for position, text in enumerate(texts)
            if text[:1] in TOTAL_FIRST_CHARACTERS and TOTAL_ROW.match(re.sub(r"\s+", "", text))]


def data_rows(grid: pd.DataFrame, header: Header) -> pd.DataFrame:
    """The data rows below the header, as raw cells under canonical column names.

    Not data rows: rows whose known columns are all blank (templates often
    pre-fill a 序号 column), rows with a 合计/小计/总计 cell in any column (often
    under 序号 or 学校, which may be unmapped), and rows repeating the header's
    texts in at least MIN_HEADER_MATCHES cells (sheets pasted together).
    The index is the row number the user sees.
    """
    below_header = grid.index > max(header.rows)
    body = grid.to_numpy(dtype=object)[below_header]
    column_at = {position: column for column, position in header.columns.items()}
    skip = [False] * len(body)
    header_repeats = [0] * len(body)
    known_texts = []
    for position in range(body.shape[1]):
        texts = _stripped_texts(body[:, position].tolist())
        for row in _total_positions(texts):
            skip[row] = True
        if position not in column_at:
            continue
        known_texts.append(texts)
        label = header.labels[column_at[position]]
        if label in texts:
            for row, text in enumerate(texts):
                header_repeats[row] += text == label
    for row, texts in enumerate(zip(*known_texts)):
        if not any(texts) or header_repeats[row] >= MIN_HEADER_MATCHES:
            skip[row] = True
    keep = ~np.array(skip, dtype=bool)
    return pd.DataFrame(body[keep][:, list(header.columns.values())], index=grid.index[below_header][keep],
                        columns=list(header.columns), dtype=object)


# --------------------------------------------------------------------------- one file

@dataclass
class RawSheet:
    """One sheet's data rows, not yet interpreted.

    ``rows``: raw cells under canonical column names, indexed by source row;
    ``missing``: descriptions of required headers the sheet lacks (then every
    row is rejected with ``missing_message``).
    """

    kind: str
    file: str
    sheet: str
    header: Header
    rows: pd.DataFrame
    missing: list[str] = field(default_factory=list)

    @property
    def missing_message(self) -> str:
        where = f"{self.file}" + (f"，工作表「{self.sheet}」" if self.sheet else "")
        return f"{where}：缺少必需的列 {'；'.join(self.missing)}"


def read_ledger_file(ledger_file: LedgerFile, vocabulary: HeaderVocabulary) -> tuple[list[RawSheet], list[Finding]]:
    """Read every sheet of a file that has a recognisable header.

    Sheets without one are skipped and listed as findings; so are header texts
    that name no known column. Raises LedgerReadError when the file cannot be
    read, or when no sheet at all has a recognisable header.
    """
    sheets: list[RawSheet] = []
    findings: list[Finding] = []

    def note(sheet: str, text: str, row: int | None = None) -> None:
        findings.append(Finding(ledger_file.kind, ledger_file.relative, sheet, row, text))

    for sheet_name, grid in read_grids(ledger_file.path):
        header = detect_header(grid, vocabulary)
        if header is None:
            note(sheet_name, "未找到可识别的表头，已跳过该工作表")
            continue
        if header.unknown:
            note(sheet_name, f"未识别的列（未读取）：{'、'.join(header.unknown)}", header.rows[0])
        for column in header.duplicates:
            note(sheet_name, f"列{vocabulary.describe(column)}出现多次，只读取第一列", header.rows[0])
        sheets.append(RawSheet(ledger_file.kind, ledger_file.relative, sheet_name, header,
                               data_rows(grid, header), missing_headers(header, vocabulary)))
    if not sheets:
        required = [vocabulary.describe(c) for c in headers.REQUIRED[ledger_file.kind]]
        raise LedgerReadError("没有工作表含可识别的表头" + (f"（需要 {'、'.join(required)} 等列）" if required else ""))
    return sheets, findings
