"""The weekly ranking (周通报) of a county's townships: the figures it ranks them by."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# What the townships are ranked by, worst first: most open cases, then most open cases of
# 脱贫户 children (类别 脱贫户 only), most overdue notices, lowest 入学率 (figure -> ascending).
RANKED_BY = {"cases_open": False, "cases_open_tuopin": False, "notices_overdue": False,
             "enrollment_rate": True}
# The ranking's figures: those it ranks by, then two the 周通报 shows beside them.
RANKING_KEYS = (*RANKED_BY, "absent_unexcused_today", "enrolled")


def ranking_rows(metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per township's metrics with the figures of the weekly ranking (周通报)."""
    columns = ["township", *RANKING_KEYS]
    return pd.DataFrame([{key: row.get(key) for key in columns} for row in metrics], columns=columns)


