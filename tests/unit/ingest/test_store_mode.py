"""The store holds every child's identity: its owner alone may read it (issue 23)."""

from __future__ import annotations

import grp
import os
import stat

from kcbx.ingest.county import ingest_folder
from kcbx.store.tables import StoreUpdate, write_update
from kcbx.util.files import Access
from support.demo_county import add_late_file, county, ingested_demo  # noqa: F401 (the demo's fixtures)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_ingest_leaves_the_store_readable_by_its_owner_alone_whatever_the_umask(county):
    os.chmod(county.store, 0o644)  # as a store written before this rule was
    previous = os.umask(0)
    try:
        add_late_file(county)  # a new file: the store is written
        ingest_folder(county, progress=False)
    finally:
        os.umask(previous)
    assert mode(county.store) == 0o600
    assert not [p for p in county.store.parent.iterdir() if p.name.endswith(".wal")]


def test_with_a_share_group_the_group_reads_it_too(county):
    group = grp.getgrgid(os.getgid()).gr_name
    write_update(county.store, StoreUpdate(), Access.of(type("P", (), {"share_group": group})()))
    assert mode(county.store) == 0o640 and os.stat(county.store).st_gid == os.getgid()
