"""Imported first by every ledger reader process (kcbx.ingest.isolation), before pandas.

pyarrow's default allocator (mimalloc) reserves 1 GiB of address space up front, which a
reader's address-space limit (RLIMIT_AS) would count as used; the system allocator reserves
nothing ahead. A reader then peaks at about 430 MB of address space on a county's largest
ledger file instead of 1.5 GB, and its limit bounds what it really uses.
"""

import os

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
