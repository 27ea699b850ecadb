"""Key groups (重点群体): every figure can be split by them.

metrics.json's `groups` (docs/metrics.md): for each key group — poverty, left_behind,
migrant, disabled, grades_8_9 — {enrolled, cases_open, escalated}. A child's groups
come from the registers and their current roster row (for a child on no
roster, the 年级 of their case).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from kcbx.measures.common import is_in

__all__ = ["GROUPS", "person_groups", "group_summary", "split_by_group"]

# Group column -> the label reports show, in report order.
GROUPS: dict[str, str] = {
    # The whole poverty register (脱贫户, 监测户, 低保户, 特困供养): not 脱贫户 alone.
    "poverty": "困难家庭(脱贫户名单各类别)",
    "left_behind": "留守儿童",
    "migrant": "随迁子女",
    "disabled": "残疾儿童",
    "grades_8_9": "八、九年级",
}
_UPPER_GRADES = (8, 9)


def person_groups(
    current_roster: pd.DataFrame,
    poverty: pd.DataFrame,
    disability: pd.DataFrame,
    case_table: pd.DataFrame,
) -> pd.DataFrame:
    """Which key groups each child belongs to: one row per child found in any of the four inputs.

    poverty: in the poverty ledger (any 类别); disabled: in the disability
    ledger; left_behind, migrant: marked so on any of their current roster
    rows; grades_8_9: a current roster row in grade 8 or 9 — or, for a child on
    no current roster, any of their cases (a case_table) in grade 8 or 9.
    Returns person_key and one boolean column per GROUPS key, sorted by person_key.
    """
    roster_keys = set(current_roster["person_key"])
    roster_flags = current_roster.groupby("person_key")[["left_behind", "migrant"]].any()
    roster_upper = current_roster["grade"].isin(_UPPER_GRADES).groupby(current_roster["person_key"]).any()
    off_roster_cases = case_table[~is_in(case_table["person_key"], roster_keys)]
    case_upper = off_roster_cases["grade"].isin(_UPPER_GRADES).groupby(off_roster_cases["person_key"]).any()

    keys = pd.Index(
        sorted(
            roster_keys
            | set(poverty["person_key"])
            | set(disability["person_key"])
            | set(case_table["person_key"])
        ),
        name="person_key",
    )

    def flag(members: pd.Series) -> pd.Series:
        return members.reindex(keys, fill_value=False).astype(bool)

    groups = pd.DataFrame(
        {
            "poverty": is_in(keys, set(poverty["person_key"])),
            "left_behind": flag(roster_flags["left_behind"]),
            "migrant": flag(roster_flags["migrant"]),
            "disabled": is_in(keys, set(disability["person_key"])),
            # A child is on the roster or not, so the two sources never overlap.
            "grades_8_9": flag(roster_upper) | flag(case_upper),
        },
        index=keys,
    )
    return groups.reset_index()[["person_key", *GROUPS]]


def _person_keys(entries: Iterable[str] | pd.DataFrame) -> pd.Series:
    """Person keys from a collection of keys or a frame with a person_key column."""
    if isinstance(entries, pd.DataFrame):
        return entries["person_key"].reset_index(drop=True)
    return pd.Series(list(entries), dtype=object)


def group_summary(
    groups: pd.DataFrame,
    enrolled_keys: Collection[str] | pd.DataFrame,
    open_case_keys: Iterable[str] | pd.DataFrame,
    escalated_keys: Collection[str] | pd.DataFrame,
) -> dict[str, dict[str, int]]:
    """metrics.json's `groups`: {group: {"enrolled": n, "cases_open": n, "escalated": n}}.

    enrolled and escalated count distinct children of the group (escalated:
    "pupils at or above the largest threshold" — pass those keys). cases_open
    counts cases, not children: pass one entry per open case (the open rows of
    a case_table, or their person_key with repeats), so a child with two open
    cases counts twice, as in cases_open.
    """
    enrolled = set(_person_keys(enrolled_keys))
    escalated = set(_person_keys(escalated_keys))
    open_cases = _person_keys(open_case_keys)
    # Only the children counted here matter: a township's few, not the county's every child.
    members = groups[is_in(groups["person_key"], enrolled | escalated | set(open_cases))]
    members = members.set_index("person_key")
    summary = {}
    for group in GROUPS:
        in_group = set(members.index[members[group].astype(bool)])
        summary[group] = {
            "enrolled": len(enrolled & in_group),
            "cases_open": int(is_in(open_cases, in_group).sum()),
            "escalated": len(escalated & in_group),
        }
    return summary


def split_by_group(frame: pd.DataFrame, groups: pd.DataFrame, key: str = "person_key") -> pd.DataFrame:
    """`frame` with one boolean column per key group added (False for a child in no group).

    Rows, their order and index are kept; `key` names frame's person-key column.
    """
    flags = groups.set_index("person_key")[list(GROUPS)]
    added = flags.reindex(frame[key].to_numpy(), fill_value=False).astype(bool)
    return frame.assign(**{group: added[group].to_numpy() for group in GROUPS})
