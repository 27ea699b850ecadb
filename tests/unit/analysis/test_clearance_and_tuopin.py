"""cases_open_tuopin and clearance_blockers, on cases worked out by hand (issue 24)."""

import pandas as pd

from kcbx.analysis.cut import tuopin_keys
from kcbx.measures.cases import case_counts

CASES = pd.DataFrame({
    "person_key": ["A", "B", "C", "D", "E"],
    "state": ["open", "open", "open", "returned", "open"],
    "notice_overdue": [False] * 5, "struck_unverified": [False] * 5,
})
# A 脱贫户, B 监测户, C 低保户, D 脱贫户 (returned), E not in the register.
POVERTY = pd.DataFrame({"person_key": ["A", "B", "C", "D"], "category": ["脱贫户", "监测户", " 低保户", "脱贫户 "]})


def test_tuopin_counts_the_category_tuopin_only_and_poverty_any_category():
    counts = case_counts(CASES, set(POVERTY["person_key"]), tuopin_keys(POVERTY))
    assert tuopin_keys(POVERTY) == {"A", "D"}  # "脱贫户 " with a stray space is still 脱贫户
    assert counts["cases_open"] == 4
    assert counts["cases_open_poverty"] == 3  # A, B, C: any 类别
    assert counts["cases_open_tuopin"] == 1  # A alone: D has returned
    assert case_counts(CASES)["cases_open_tuopin"] is None
