"""A Chinese font for matplotlib that the project installs itself.

On a fresh machine matplotlib only has DejaVu Sans, which has no Chinese glyphs:
every label would be drawn as boxes ("tofu"). The PyPI package mplfonts ships
Noto Sans CJK SC (SIL Open Font License); we register that file with matplotlib
directly, because ``mplfonts.use_font()`` alone still leaves tofu. mplfonts also
ships SimHei, which is proprietary: never use it. A system Noto CJK font
(Debian ``fonts-noto-cjk``) is the fallback.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib
from matplotlib import font_manager

__all__ = ["CJKFontNotFound", "MissingGlyph", "cjk_font_path", "glyphs_checked", "use_cjk_font"]

MPLFONTS_NOTO_FILE = "NotoSansCJKsc-Regular.otf"
# Where Debian's fonts-noto-cjk (and fonts-noto-cjk-extra) put the same family.
SYSTEM_NOTO_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)


class CJKFontNotFound(RuntimeError):
    """No Noto Sans CJK font is installed: charts would draw Chinese as boxes."""


class MissingGlyph(RuntimeError):
    """A chart would draw a character as an empty box: its notebook fails rather than publish
    a report nobody can read."""


# matplotlib's warning for a character the font lacks (matplotlib._text_helpers).
MISSING_GLYPH_WARNING = r"Glyph \d+ .*missing from font"


@contextlib.contextmanager
def glyphs_checked() -> Iterator[None]:
    """Draw inside this block: matplotlib's "Glyph … missing from font(s)" warning raises
    MissingGlyph instead of drawing a box and writing a warning into the report."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH_WARNING, category=UserWarning)
        try:
            yield
        except UserWarning as exc:
            raise MissingGlyph(f"a chart would draw a character as an empty box: {exc}") from exc


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


def _resolves_to(family: str, path: Path) -> bool:
    """Whether matplotlib finds a file that exists for ``family`` (no fallback to DejaVu Sans)."""
    try:
        found = font_manager.findfont(font_manager.FontProperties(family=family),
                                      fallback_to_default=False)
    except ValueError:
        return False
    return Path(found).is_file()


def _keep_registered(path: Path, family: str) -> None:
    """Register the font again when matplotlib has forgotten it. findfont rebuilds the font
    manager when its cached font list names a file that is gone (a system Noto CJK font
    removed since the list was written); the rebuilt manager knows only the fonts it scans,
    not those added with ``addfont``, and every Chinese label would become an empty box."""
    if not _resolves_to(family, path):
        font_manager.fontManager.addfont(str(path))
        if not _resolves_to(family, path):
            raise CJKFontNotFound(f"matplotlib does not find {family} ({path}) even after adding it again")


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text; return the font family name.

    Cheap and safe to call before every chart: the font file is registered once per
    process and again if matplotlib's font manager has been rebuilt since; the rcParams
    are set on every call, because a reused notebook kernel may have reset them since.
    """
    path, family = _registered_font()
    _keep_registered(path, family)
    others = [name for name in matplotlib.rcParams["font.sans-serif"] if name != family]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, *others]
    # The Unicode minus sign (U+2212) is missing from some CJK fonts.
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family
