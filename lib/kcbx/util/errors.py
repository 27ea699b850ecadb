"""Errors whose message says everything: what is wrong, where, and what to do."""

from __future__ import annotations

__all__ = ["OneLineError"]


class OneLineError(Exception):
    """An error shown in a notebook as its one line, the way the command line prints it, not
    as a traceback through pandas and kcbx: IPython (JupyterLab, papermill) displays what
    ``_render_traceback_`` returns, and still records the error's name and message."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]
