"""Fingerprints of content: equal tables, records and values give equal digests in any process.

A run reuses a report (``kcbx.runner.prepare``) or a written workbook (the county's
适龄儿童台账.xlsx) when the fingerprint of what it was made from is unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path
from typing import Any


def feed(digest: hashlib._Hash, value: Any) -> None:
    """Feed a value's content into the digest: equal content, equal bytes, in any process.

    Not pickle's bytes: those also record which equal strings are one object (DuckDB hands
    out shared strings, and shares differently after a rewrite) and row labels that come
    from the county's frame. A table is its columns, dtypes and rows in order.
    """
    import pandas as pd  # here: an unchanged re-ingest digests kcbx's source without pandas

    if isinstance(value, pd.DataFrame):
        digest.update(repr((list(value.columns), [str(t) for t in value.dtypes])).encode())
        # Uncategorised: a slice's small tables hash faster than by factorising each
        # text column first (categorize=True pays for itself only on many repeats).
        try:
            rows = pd.util.hash_pandas_object(value, index=False, categorize=False).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): hash their text
            rows = pd.util.hash_pandas_object(value.astype(str), index=False,
                                              categorize=False).to_numpy()
        digest.update(rows.tobytes())
    elif isinstance(value, pd.Series | pd.Index):
        feed(digest, value.to_frame(name="values") if isinstance(value, pd.Series) else value.to_frame())
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, set | frozenset):  # in order of content: a set's own order varies by process
        digest.update(b"(")
        for item in sorted(value, key=repr):
            feed(digest, item)
        digest.update(b")")
    elif isinstance(value, list | tuple):
        digest.update(b"[")
        for item in value:
            feed(digest, item)
        digest.update(b"]")
    elif dataclasses.is_dataclass(value):
        digest.update(type(value).__name__.encode())
        feed(digest, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    else:  # numbers, text, dates, None, paths
        digest.update(repr(value).encode())


def content_digest(*values: Any) -> str:
    """sha256 (hex) of the values' content, in order (see ``feed``)."""
    digest = hashlib.sha256()
    feed(digest, list(values))
    return digest.hexdigest()


@functools.cache  # the code a process runs is what it loaded: read the files once
def source_digest(*parts: str) -> str:
    """sha256 of kcbx's own source (code, templates, data) under these parts of the package
    (``"ingest"``, ``"schema.py"`` …; the whole package when none): what a fingerprint of
    "the kcbx version" must cover, since code changes between releases too (the version
    itself is in the package's ``__init__.py``)."""
    package = Path(__file__).parents[1]
    digest = hashlib.sha256()
    for part in parts or (".",):
        path = package / part
        sources = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                         and p.suffix != ".pyc") if path.is_dir() else [path]
        for source in sources:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()
