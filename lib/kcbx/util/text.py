"""Ledger text made inert: a school, township or file name that shows as what it is, on one line.

Ledger text comes from schools' files: anything may be in it. Wherever kcbx shows it outside
a table cell (a terminal line, a log record, a chart, a file or folder name) it must be shown as
text and on one line, whatever it holds:

- ``inert(s)``: for a terminal line or a log record. Every character that is not shown as
  itself is made visible as ``<U+XXXX>``: C0 and C1 controls (NUL, ESC, newline, tab, DEL…),
  the line and paragraph separators, format characters (Unicode category Cf: the bidirectional
  controls U+202A–U+202E and U+2066–U+2069, U+200E/U+200F, zero-width characters, the BOM),
  lone surrogates (a file name read with surrogateescape; printing one raises), private-use
  and unassigned code points. A very long text is cut to ``limit`` characters with "…".
- ``chart_text(s)``: the same text for matplotlib; whoever draws it also passes
  ``parse_math=False`` (and ``usetex=False``) to the Text, so that "$\\frac{1}{$" is drawn as
  those characters and never parsed as mathematics (``kcbx.report.charts``).

Brute force: ``is_inert(s)`` says whether a text already holds no such character.
"""

from __future__ import annotations

import unicodedata

__all__ = ["INERT_LIMIT", "chart_text", "hidden", "inert", "is_inert", "one_line", "visible"]

INERT_LIMIT = 200  # characters of one ledger value on a terminal line; a name is far shorter
ELLIPSIS = "…"

# Categories never shown as themselves: controls, format (bidi, zero-width), line and paragraph
# separators, surrogates, private use, unassigned.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def hidden(char: str) -> bool:
    """Whether a character would not be seen as itself (a control, bidi, zero-width, unassigned…)."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def visible(char: str) -> str:
    """One character as it is shown: itself, or ``<U+XXXX>`` when it would not be seen as itself."""
    if hidden(char):
        return f"<U+{ord(char):04X}>"
    return char


def inert(value: object, limit: int | None = INERT_LIMIT) -> str:
    """``value`` as text for one terminal line or log record: nothing in it can end the line,
    reorder it, hide part of it or move the cursor; cut to ``limit`` characters (None: whole).

    >>> inert("城厢镇\\n中心小学\\u202e")
    '城厢镇<U+000A>中心小学<U+202E>'
    """
    text = value if isinstance(value, str) else str(value)
    shown = "".join(visible(char) for char in text)
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS
    return shown


def is_inert(text: str) -> bool:
    """Whether no character of ``text`` is one ``inert`` would make visible."""
    return not any(hidden(char) for char in text)


def chart_text(value: object, limit: int | None = INERT_LIMIT) -> str:
    """Ledger text as a chart draws it: ``inert``; draw it with ``parse_math=False``."""
    return inert(value, limit)


def one_line(message: object) -> str:
    """A message (an error's text, which may quote ledger text) as one terminal line: its lines
    joined with " / ", then ``inert`` (no limit: the whole message is kept)."""
    lines = [line.strip() for line in str(message).splitlines()]
    return inert(" / ".join(line for line in lines if line), limit=None)
