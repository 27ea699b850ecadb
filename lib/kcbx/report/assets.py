"""The files every kcbx page is made with (templates, CSS, the table sorter), without
nbconvert: index.html is rendered by the run's own process, which an unchanged re-run
must not make import nbconvert for."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"
# The pages' only script: click-to-sort for table.kcbx-sortable (the 周通报 ranking, the index).
SORT_SCRIPT = (TEMPLATES_DIR / "kcbx_sort.js").read_text(encoding="utf-8")
# The CSP admits exactly this text, so nothing a notebook output carries can run.
SORT_SCRIPT_SHA256 = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")
