"""A Chinese font for matplotlib that the project installs itself.

On a fresh machine matplotlib only has DejaVu Sans, which has no Chinese glyphs:
every label would be drawn as boxes ("tofu"). The PyPI package mplfonts ships
Noto Sans CJK SC (SIL Open Font License); we register that file with matplotlib
directly, because ``mplfonts.use_font()`` alone still leaves tofu. mplfonts also
ships SimHei, which is proprietary: never use it. A system Noto CJK font
(Debian ``fonts-noto-cjk``) is the fallback.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import matplotlib
from matplotlib import font_manager

__all__ = ["CJKFontNotFound", "cjk_font_path", "use_cjk_font"]

MPLFONTS_NOTO_FILE = "NotoSansCJKsc-Regular.otf"
# Where Debian's fonts-noto-cjk (and fonts-noto-cjk-extra) put the same family.
SYSTEM_NOTO_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)


class CJKFontNotFound(RuntimeError):
    """No Noto Sans CJK font is installed: charts would draw Chinese as boxes."""


def _candidate_font_files() -> Iterator[Path]:
    """The bundled mplfonts file first (same glyphs everywhere), then system copies."""
    # find_spec locates the package without importing it (its import is not needed).
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.origin is not None:
        yield Path(spec.origin).parent / "fonts" / MPLFONTS_NOTO_FILE
    for name in SYSTEM_NOTO_FILES:
        yield Path(name)


@functools.cache
def _registered_font() -> tuple[Path, str]:
    """Register the first Noto Sans CJK file found with matplotlib, once; (path, family)."""
    for path in _candidate_font_files():
        if path.is_file():
            # addfont bypasses matplotlib's font cache, so a stale
            # ~/.cache/matplotlib list cannot hide the font.
            font_manager.fontManager.addfont(str(path))
            return path, font_manager.FontProperties(fname=path).get_name()
    raise CJKFontNotFound(
        "No Noto Sans CJK font found: install the Python package mplfonts "
        "or the Debian package fonts-noto-cjk."
    )


def cjk_font_path() -> Path:
    """The Noto Sans CJK file that use_cjk_font() draws with."""
    return _registered_font()[0]


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text; return the font family name.

    Idempotent and cheap: the font file is registered once per process, while
    the rcParams are set on every call, because a reused notebook kernel may
    have reset them since.
    """
    family = _registered_font()[1]
    others = [name for name in matplotlib.rcParams["font.sans-serif"] if name != family]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, *others]
    # The Unicode minus sign (U+2212) is missing from some CJK fonts.
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family
