"""The start of a worker process of one of kcbx's own process pools: ingest's file readers
and a run's notebook workers (a dask worker has its own life; see kcbx.runner.cluster).

Such a worker follows the process that started it, and its end costs nothing.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import sys
import threading
import time


def follow(parent: int, interval: float = 1.0) -> None:
    """End this worker once ``parent`` is gone: a parent killed with kill -9 would otherwise
    leave its pool's workers (and a run's kernels) waiting forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="kcbx-parent-watch").start()


def exit_without_teardown() -> None:
    """Leave the interpreter without freeing its modules (pandas, matplotlib …), a slow teardown
    for a run's notebook worker, a process with nothing left to do. Registered as the
    worker's first exit handler, it runs last: after its kernel is shut down."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def skip_iri_format_check() -> None:
    """Mark rfc3987_syntax absent, before nbformat or papermill is imported in a notebook worker.

    jsonschema (under nbformat and papermill) checks the "iri" format only if rfc3987_syntax
    imports, and that import compiles a Lark grammar, slowing each worker's start on a
    machine whose two cores are then measuring the county. No notebook schema has an iri
    field; with the module marked absent, jsonschema skips that one check, as it is written to.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def start(parent: int) -> None:
    """A pool worker's start (its pool's ``initializer``): it follows ``parent``, and when the
    pool shuts it down it exits without tearing its interpreter down."""
    atexit.register(exit_without_teardown)
    follow(parent)


def limit_memory(max_bytes: int) -> None:
    """Bound this process's address space (RLIMIT_AS) to ``max_bytes`` (or less, when a lower
    hard limit is set already): an allocation beyond it fails (MemoryError in Python, an abort
    in native code), ending this process or its work, not the machine's memory."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
