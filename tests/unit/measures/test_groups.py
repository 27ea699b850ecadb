"""Key groups: who is in which group, and the per-group figures."""

import pandas as pd

from kcbx.measures.groups import GROUPS, group_summary, person_groups, split_by_group

# Current roster: a (grade 8, left behind), b (grade 3, migrant), c on two schools'
# rosters (grade 9 at one, left behind at the other).
ROSTER = pd.DataFrame({
    "person_key": ["a", "b", "c", "c"],
    "grade": pd.array([8, 3, 9, 9], dtype="Int64"),
    "left_behind": [True, False, False, True],
    "migrant": [False, True, False, False],
    "status": ["在读"] * 4,
})
POVERTY = pd.DataFrame({"person_key": ["b", "x"], "category": ["脱贫户", "监测户"]})
DISABILITY = pd.DataFrame({"person_key": ["a", "y"], "placement": ["随班就读", "送教上门"]})
# Cases: x and z are on no current roster; x's case is in grade 8, z's in grade 5;
# a's case is in grade 6 but a's roster row (grade 8) decides.
CASES = pd.DataFrame({
    "case_id": ["x#1", "z#1", "a#1"],
    "person_key": ["x", "z", "a"],
    "grade": pd.array([8, 5, 6], dtype="Int64"),
    "state": ["open", "open", "returned"],
})


def groups_table() -> pd.DataFrame:
    return person_groups(ROSTER, POVERTY, DISABILITY, CASES)


def test_person_groups():
    table = groups_table().set_index("person_key")
    assert list(table.columns) == list(GROUPS)
    assert table.astype(int).to_dict("index") == {
        #      poverty  left_behind  migrant  disabled  grades_8_9
        "a": dict(poverty=0, left_behind=1, migrant=0, disabled=1, grades_8_9=1),
        "b": dict(poverty=1, left_behind=0, migrant=1, disabled=0, grades_8_9=0),
        "c": dict(poverty=0, left_behind=1, migrant=0, disabled=0, grades_8_9=1),  # left behind on one roster row
        "x": dict(poverty=1, left_behind=0, migrant=0, disabled=0, grades_8_9=1),  # grade 8 from the case
        "y": dict(poverty=0, left_behind=0, migrant=0, disabled=1, grades_8_9=0),
        "z": dict(poverty=0, left_behind=0, migrant=0, disabled=0, grades_8_9=0),  # grade 5 case
    }


def test_group_summary_counts_children_and_cases():
    open_cases = pd.DataFrame({"person_key": ["x", "x", "z", "a"]})  # x has two open cases
    summary = group_summary(groups_table(), {"a", "b", "c"}, open_cases, escalated_keys=["a", "b"])
    assert summary == {
        # enrolled in poverty: b; open cases: x's two; escalated: b.
        "poverty": {"enrolled": 1, "cases_open": 2, "escalated": 1},
        # a and c; a's one open case; a escalated.
        "left_behind": {"enrolled": 2, "cases_open": 1, "escalated": 1},
        "migrant": {"enrolled": 1, "cases_open": 0, "escalated": 1},
        # a (y is not enrolled); a's case; a.
        "disabled": {"enrolled": 1, "cases_open": 1, "escalated": 1},
        # a and c enrolled; x's two cases and a's; a.
        "grades_8_9": {"enrolled": 2, "cases_open": 3, "escalated": 1},
    }


def test_split_by_group_keeps_rows_and_marks_strangers_false():
    frame = pd.DataFrame({"key": ["b", "q", "b"], "days": [1, 2, 3]}, index=[10, 11, 12])
    split = split_by_group(frame, groups_table(), key="key")
    assert split.index.tolist() == [10, 11, 12]
    assert split["poverty"].tolist() == [True, False, True]     # q is in no register
    assert split["migrant"].tolist() == [True, False, True]
    assert split["days"].tolist() == [1, 2, 3]
