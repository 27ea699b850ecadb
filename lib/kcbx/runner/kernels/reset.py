"""Runs inside a reused (warm) notebook kernel: puts it back as it was before a notebook.

``checkpoint()`` runs once, after the kernel's warm-up imports; ``reset()`` after every
notebook. Undone in place: the user namespace and execution count, matplotlib's rcParams
and open figures, the working folder, environment variables, ``sys.path`` and warning
filters. A monkeypatch cannot be undone safely (a module or class attribute replaced), so
it is only detected: ``reset()`` then answers "dirty" and the engine replaces the kernel.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
import warnings
from typing import Any

CLEAN = "kcbx-kernel-clean"
DIRTY = "kcbx-kernel-dirty"
# Modules whose attributes (and whose classes' attributes) a notebook must not leave changed.
WATCHED_PACKAGES = ("kcbx",)
WATCHED_MODULES = ("pandas", "numpy", "matplotlib", "matplotlib.pyplot", "json", "os")

_saved: dict[str, Any] = {}


def _attribute_ids(namespace: dict[str, Any]) -> dict[str, int]:
    return {name: id(value) for name, value in list(namespace.items())}


def _watched_modules() -> list[tuple[str, Any]]:
    return [(name, module) for name, module in list(sys.modules.items())
            if module is not None and (name in WATCHED_MODULES or name.split(".")[0] in WATCHED_PACKAGES)]


def _module_state() -> dict[str, dict[str, int]]:
    """Identity of every attribute of the watched modules and of the classes they define."""
    state: dict[str, dict[str, int]] = {}
    for name, module in _watched_modules():
        namespace = vars(module)
        state[name] = _attribute_ids(namespace)
        for attribute, value in list(namespace.items()):
            if isinstance(value, type) and not attribute.startswith("__"):
                state[f"{name}.{attribute}"] = _attribute_ids(dict(vars(value)))
    return state


def _changed(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> list[str]:
    """Attributes that were replaced or removed (new modules and new attributes are fine)."""
    changed = []
    for owner, attributes in before.items():
        now = after.get(owner)
        if now is None:
            continue  # a module removed from sys.modules is reloaded when next imported
        changed += [f"{owner}.{name}" for name, ident in attributes.items() if now.get(name) != ident]
    return changed


def checkpoint() -> None:
    """Remember the kernel's state after warm-up: what ``reset()`` returns to."""
    import matplotlib

    # The imports (pandas, matplotlib, kcbx) stay for the kernel's life: frozen, the full
    # collection each reset runs (IPython's reset) walks only what notebooks made since,
    # not every object of those imports again.
    gc.collect()
    gc.freeze()
    _saved.update(
        rc={key: copy.deepcopy(value) for key, value in matplotlib.rcParams.items() if key != "backend"},
        cwd=os.getcwd(), environ=dict(os.environ), path=list(sys.path),
        warnings=list(warnings.filters), modules=_module_state(),
    )


def reset(cwd: str | None = None) -> str:
    """Undo what the last notebook changed and enter ``cwd`` (the next notebook's folder;
    default the warm-up's); CLEAN, or DIRTY with what cannot be undone."""
    import matplotlib
    from IPython import get_ipython

    shell = get_ipython()
    shell.reset(new_session=False)
    shell.execution_count = 1
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    matplotlib.rcParams.update(_saved["rc"])
    os.chdir(cwd or _saved["cwd"])
    os.environ.clear()
    os.environ.update(_saved["environ"])
    sys.path[:] = _saved["path"]
    warnings.filters[:] = _saved["warnings"]
    changed = _changed(_saved["modules"], _module_state())
    return CLEAN if not changed else f"{DIRTY}: {', '.join(sorted(changed)[:10])}"
