"""The weekly ranking (周通报) of a county's townships: the figures it ranks them by."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

RANKING_KEYS = ("cases_open", "cases_open_poverty", "notices_overdue", "enrollment_rate",
                "absent_unexcused_today", "enrolled")


def ranking_rows(metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per township's metrics with the figures of the weekly ranking (周通报)."""
    columns = ["township", *RANKING_KEYS]
    return pd.DataFrame([{key: row.get(key) for key in columns} for row in metrics], columns=columns)


