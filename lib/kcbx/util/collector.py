"""Python's cyclic garbage collector, paused around work that makes millions of small
objects and no reference cycles: reading the ledgers (a quarter of the time went to the
collector) and writing a workbook (xlsxwriter keeps a tuple for every cell: 1.15 million in
the county's 适龄儿童台账, 7 % of the write). Refcounting frees all of them; the collector,
left on, walks them again and again to find nothing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside (a ``with`` block, or a function decorated with it), and
    back on after, even on an error, unless the caller had it off already."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
