"""Who holds a file: a process named as a person would name it, from its command line.

DuckDB says only "Conflicting lock is held in /usr/bin/python3.11 (PID 4242)"; the clerk at
16:00 needs to hear "一个 Jupyter 内核（PID 4242）", and which notebook server to look in.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["command_line", "lock_holder", "process_words"]

_PID = re.compile(r"\(PID (\d+)\)")


def command_line(pid: int) -> list[str] | None:
    """The process's command line (Linux /proc); None when it has gone or cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def process_words(pid: int, argv: list[str] | None) -> str:
    """What the process is, in Chinese, with its PID: a Jupyter kernel, a DuckDB shell, a
    kcbx command, another Python program or program."""
    if not argv:
        return f"进程 PID {pid}"
    names = [Path(part).name for part in argv]
    joined = " ".join(argv)
    if "ipykernel_launcher" in joined or "ipykernel" in names or "-m ipykernel" in joined:
        return f"一个 Jupyter 内核（PID {pid}）"
    if names[0] == "duckdb":
        return f"DuckDB 命令行（PID {pid}）"
    if "kcbx" in names or "kcbx.cli" in joined:
        return f"一个 kcbx 命令（PID {pid}：{' '.join(names[:4])}）"
    if names[0].startswith("python"):
        shown = " ".join(argv[1:3]) or "交互式"
        return f"一个 Python 程序（PID {pid}：{shown}）"
    return f"程序 {names[0]}（PID {pid}）"


def lock_holder(message: str) -> str | None:
    """The holder named in a lock error ("… held in … (PID 4242)"), in words; None when the
    message names no PID."""
    found = _PID.search(message)
    if found is None:
        return None
    pid = int(found.group(1))
    return process_words(pid, command_line(pid))
