"""Time `kcbx.demo.write_demo` for both scales; print seconds, file counts and sizes.

Run: cd /work/main && PYTHONPATH=lib .venv/bin/python benchmarks/bench_demo.py [small|tongjiang ...]
Targets (2-core machine): small < 10 s, tongjiang < 90 s. Writes into a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from kcbx.demo import SCALES, write_demo


def folder_sizes(ledgers: Path) -> dict[str, tuple[int, int]]:
    """Per kind folder: (number of files, bytes)."""
    sizes = {}
    for folder in sorted(p for p in ledgers.iterdir() if p.is_dir()):
        files = [f for f in folder.iterdir() if f.is_file()]
        sizes[folder.name] = (len(files), sum(f.stat().st_size for f in files))
    return sizes


def main(scales: list[str]) -> None:
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            params = write_demo(Path(tmp), scale)
            seconds = time.perf_counter() - start
            ledgers = Path(tmp) / "build" / "ledgers" / SCALES[scale].key
            sizes = folder_sizes(ledgers)
            total = sum(b for _, b in sizes.values())
            print(f"{scale}: {seconds:.1f} s, {sum(n for n, _ in sizes.values())} files, "
                  f"{total / 1e6:.1f} MB ({params.name})")
            for kind, (count, size) in sizes.items():
                print(f"  {kind:<14} {count:>4} files {size / 1e6:>8.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:] or list(SCALES))
