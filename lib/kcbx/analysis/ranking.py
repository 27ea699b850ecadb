"""The weekly ranking (周通报) of a county's townships: the figures it ranks them by."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# What the townships are ordered by (``ranked``): open cases, most first.
RANKED_BY = "cases_open"
# The figures the 周通报 sets beside their value a week before: open cases, open cases of
# 脱贫户 children (类别 脱贫户 only), overdue notices, 入学率.
WEEKLY_FIGURES = (RANKED_BY, "cases_open_tuopin", "notices_overdue", "enrollment_rate")
# The ranking's figures: those, then two the 周通报 shows beside them.
RANKING_KEYS = (*WEEKLY_FIGURES, "absent_unexcused_today", "enrolled")
# The rule in words, above the ranking on the report page and on forms.xlsx's 周通报.
RANKING_RULE = ("按在办辍学案件由多到少排列，第1名为在办案件最多；在办案件相同的并列同一名次"
                "（其后名次顺延），并列者按乡镇名称的字符顺序排列；无数据的乡镇排在最后。")


def ranking_rows(metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per township's metrics with the figures of the weekly ranking (周通报)."""
    columns = ["township", *RANKING_KEYS]
    return pd.DataFrame([{key: row.get(key) for key in columns} for row in metrics], columns=columns)




def ranked(figures: pd.DataFrame) -> pd.DataFrame:
    """figures (one row per township, with cases_open) in the 周通报 order, the report page's
    乡镇排名 and forms.xlsx's alike, their index kept, with rank: most open cases first;
    equal counts by township name (Python's order of text) and sharing one rank, the next
    rank skipped (1, 2, 2, 4); a township without the figure last, ranked after the others."""
    open_cases = pd.to_numeric(figures[RANKED_BY], errors="coerce").astype(float)
    order = (figures.assign(_open=open_cases, _name=figures["township"].astype(str))
             .sort_values(["_open", "_name"], ascending=[False, True], kind="stable", na_position="last"))
    position = pd.Series(range(1, len(order) + 1), index=order.index)
    rank = position.groupby(order["_open"].fillna(-1), sort=False).transform("min")
    return order.drop(columns=["_open", "_name"]).assign(rank=rank)
