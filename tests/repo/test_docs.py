"""docs/ says what the code does: every header and synonym, store column, params key,
metrics.json key, SQL view and explore function is described (so a new one cannot go
undocumented)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kcbx import explore, schema
from kcbx.analysis.metrics import CONTRACT_KEYS, contract_metrics
from kcbx.ingest.ledgers.headers import BY_KIND, COMMON, REQUIRED
from kcbx.params import _ParamsFile, load_params
from support.paths import PROJECT

DOCS = PROJECT / "docs"
DEMO_PARAMS = DOCS.parent / "params" / "demo.yaml"  # `make test` writes and ingests the demo county


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def kind_section(text: str, kind: str) -> str:
    return re.search(rf"^### {kind} · .*?(?=^### |^## |\Z)", text, re.M | re.S).group(0)


def column_rows(section: str) -> dict[str, str]:
    """Each store column of a kind's table (first cell, "a, b, c" lists several) -> its row."""
    rows = {}
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| column"):
            for column in line.split("|")[1].split(","):
                rows[column.strip()] = line
    return rows


@pytest.mark.parametrize("kind", schema.KINDS)
def test_ledgers_md_gives_every_header_synonym_and_column_of_each_kind(kind):
    section = kind_section(doc("ledgers.md"), kind)
    assert schema.KIND_LABELS[kind] in section.splitlines()[0]
    rows = column_rows(section)
    for column in schema.columns(kind):
        if column in schema.PROVENANCE or column == "person_key":
            continue  # described once, for every kind
        assert column in rows, (kind, column)
        if "as above" in rows[column] or "as in roster" in rows[column]:
            continue  # a shared header, given in full where first met
        for name in BY_KIND[kind].get(column) or COMMON.get(column) or ():
            assert name in rows[column], (kind, column, name)
    for column in REQUIRED[kind]:
        first = (BY_KIND[kind].get(column) or COMMON[column])[0]
        assert f"**{first}**" in rows[column], (kind, column)


def test_ledgers_md_gives_every_shared_header_once_in_full():
    text = doc("ledgers.md")
    for column, names in COMMON.items():
        for name in names:
            assert name in text, (column, name)
    for folders in schema.KIND_FOLDERS.values():
        assert all(f"{name}" in text for name in folders)
    for column in (*schema.PROVENANCE, "person_key", *schema.REJECTED_COLUMNS, *schema.INGEST_LOG_COLUMNS):
        assert column in text, column


def test_params_md_describes_every_key():
    text = doc("params.md")
    for key in _ParamsFile.model_fields:
        assert f"| `{key}` |" in text, key


def test_metrics_md_describes_every_key_a_run_writes():
    text = doc("metrics.md")
    params = load_params(DEMO_PARAMS)
    written = contract_metrics(explore.open_township(params, None, dt.date(2021, 10, 15)))
    assert list(written)[:len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    for key in written:
        assert f"`{key}`" in text, key


def test_explore_md_lists_the_views_and_every_call():
    text = doc("explore.md")
    for view in explore.VIEWS:
        assert f"| `{view}` |" in text, view
    for name in explore.__all__:
        if callable(getattr(explore, name)) and name[0].islower():
            assert f"kx.{name}(" in text, name
