"""疑似失学核查: what the villages and schools return about each listed child.

A verification row (docs/ledgers.md, verification) says what a check found — 核查结果, one of
schema.VERIFICATION_RESULTS — and on what evidence (佐证). A child's result is their latest
row with 核查日期 on or before as_of (same day: the later row in file order). The evidence a
result needs (docs/metrics.md, "Additions for issues 15–18"):

- 在外地就读: a school name in 佐证 (SCHOOL_WORDS: …小学, …中学, …学校, …学院, 完小, 教学点);
- 延缓入学 and 免学: an approval number (APPROVAL_NUMBER: "…〔2021〕3号", "批准文号 2021-15", "第12号");
- 已完成义务教育, 休学, 死亡, 户籍迁出: any non-empty 佐证;
- 确认失学 and 其他: none.

A result with its evidence, other than 确认失学 and 其他, takes the child off the 疑似失学
list for the standing it names (kcbx.measures.matching.school_age_standing). A result
without its evidence leaves the child on it, and is a data-quality finding (核查结果缺佐证).

Rows of a 回执 not filled in yet (no 核查结果) are no check. Every function is pure.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from kcbx.measures.common import as_timestamp, findings_of
from kcbx.schema import PROVENANCE, VERIFICATION_RESULTS

__all__ = [
    "CONFIRMED",
    "OTHER",
    "STAYS_SUSPECTED",
    "LEAVES_SUSPECTED",
    "EVIDENCE_NEEDED",
    "FINDING_NO_EVIDENCE",
    "RESULT_COLUMNS",
    "has_evidence",
    "latest_results",
    "evidence_findings",
    "WEEK_DAYS",
    "PROGRESS_COLUMNS",
    "progress_by_village",
]

CONFIRMED, OTHER = "确认失学", "其他"
# Results that leave the child 疑似失学 whatever the evidence; the others take them off it.
STAYS_SUSPECTED = (CONFIRMED, OTHER)
LEAVES_SUSPECTED = tuple(result for result in VERIFICATION_RESULTS if result not in STAYS_SUSPECTED)
assert set(VERIFICATION_RESULTS) == set(STAYS_SUSPECTED) | set(LEAVES_SUSPECTED)

SCHOOL_NAME, APPROVAL, ANY = "学校名称", "批准文号", "佐证材料"
# Result → what its 佐证 must hold (None: nothing), as the finding names it.
EVIDENCE_NEEDED: dict[str, str | None] = {
    "在外地就读": SCHOOL_NAME,
    "已完成义务教育": ANY,
    "延缓入学": APPROVAL,
    "免学": APPROVAL,
    "休学": ANY,
    "死亡": ANY,
    "户籍迁出": ANY,
    CONFIRMED: None,
    OTHER: None,
}
assert set(EVIDENCE_NEEDED) == set(VERIFICATION_RESULTS)

# A school's name ends in one of these (XX小学, XX中学, XX学校, XX完小, XX职业学院, 分校 …).
SCHOOL_WORDS = re.compile(r"小学|中学|初中|学校|学院|完小|教学点|校")
# An approval number: digits before 号 ("3号", "第12号"), a bracketed year ("〔2021〕", "[2021]"),
# or a number after 文号, 批号, 批准, 审批, 编号, No.
APPROVAL_NUMBER = re.compile(
    r"\d+\s*号|[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]|(?:文号|批号|批准|审批|编号|No\.?)\D{0,6}\d", re.IGNORECASE)

FINDING_NO_EVIDENCE = "核查结果缺佐证"
RESULT_COLUMNS = ["person_key", "name", "township", "village", "result", "evidence", "checked_by", "date",
                  "evidenced", *PROVENANCE]


def has_evidence(result: str, evidence: object) -> bool:
    """Whether 佐证 holds what the result needs (EVIDENCE_NEEDED): a school name for 在外地就读,
    an approval number for 延缓入学 and 免学, anything for 已完成义务教育, 休学, 死亡, 户籍迁出;
    确认失学 and 其他 need nothing."""
    needed = EVIDENCE_NEEDED[result]
    if needed is None:
        return True
    text = evidence.strip() if isinstance(evidence, str) else ""
    if not text:
        return False
    if needed == SCHOOL_NAME:
        return bool(SCHOOL_WORDS.search(text))
    if needed == APPROVAL:
        return bool(APPROVAL_NUMBER.search(text))
    return True


def latest_results(verification: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Each checked child's result on as_of: their latest row with a 核查结果 and 核查日期 on or
    before as_of (same day: the later row in file order).

    Returns one row per child, RESULT_COLUMNS: the row's columns, and ``evidenced`` — whether
    佐证 holds what the result needs (``has_evidence``).
    """
    if verification is None or verification.empty:
        return pd.DataFrame({column: pd.Series(dtype=bool if column == "evidenced" else object)
                             for column in RESULT_COLUMNS})
    rows = verification[verification["result"].notna() & verification["date"].notna()
                        & (pd.to_datetime(verification["date"]) <= as_timestamp(as_of))]
    provenance = [column for column in PROVENANCE if column in rows.columns]
    rows = rows.assign(date=pd.to_datetime(rows["date"]).astype("datetime64[ns]")).sort_values(
        ["date", *provenance], kind="stable")
    latest = rows.drop_duplicates("person_key", keep="last").sort_values(provenance or "person_key",
                                                                        kind="stable")
    evidenced = [has_evidence(result, evidence) for result, evidence in zip(latest["result"], latest["evidence"])]
    latest = latest.assign(evidenced=pd.Series(evidenced, index=latest.index, dtype=bool))
    return latest.reindex(columns=RESULT_COLUMNS).reset_index(drop=True)


def evidence_findings(results: pd.DataFrame) -> pd.DataFrame:
    """核查结果缺佐证: one finding per child whose result on as_of lacks the evidence it needs
    (``results``: latest_results); the child stays 疑似失学. FINDING_COLUMNS, kind verification."""
    lacking = results[~results["evidenced"].astype(bool)]
    details = [f"核查结果「{result}」须在佐证中写明{EVIDENCE_NEEDED[result]}"
               + (f"（现为「{evidence}」）" if isinstance(evidence, str) and evidence.strip() else "（佐证为空）")
               + "，仍计为疑似失学"
               for result, evidence in zip(lacking["result"], lacking["evidence"])]
    return findings_of(lacking, "verification", FINDING_NO_EVIDENCE, pd.Series(details, dtype=object))


WEEK_DAYS = 7
PROGRESS_COLUMNS = ["township", "village", "verified_this_week", "pending", "unchecked", "no_evidence",
                    "confirmed"]
NO_VILLAGE = "（村未详）"


def progress_by_village(school_age: pd.DataFrame, out_of_school: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """疑似失学核查 progress, one row per township and village (the population row's; NO_VILLAGE
    when blank), villages with neither a check this week nor a child waiting left out:

    - verified_this_week: school-age children whose result on as_of has its evidence and is dated
      in the WEEK_DAYS days ending on as_of (确认失学 too: a check done);
    - pending: children still 疑似失学 (out_of_school_suspected), of whom unchecked (no
      verification row at all), no_evidence (a result without the evidence it needs) and confirmed
      (确认失学 or 其他).

    ``school_age`` and ``out_of_school`` carry kcbx.measures.matching.CHECK_COLUMNS.
    """
    def places(frame: pd.DataFrame) -> pd.DataFrame:
        village = frame["village"].astype(object)
        return pd.DataFrame({"township": frame["township"].astype(object).to_numpy(),
                             "village": village.where(village.notna() & village.astype(str).str.strip().ne(""),
                                                      NO_VILLAGE).to_numpy()})

    day = as_timestamp(as_of)
    dates = pd.to_datetime(school_age["check_date"])
    this_week = (school_age["check_evidenced"].astype(bool) & (dates <= day)
                 & (dates > day - pd.Timedelta(days=WEEK_DAYS))).to_numpy(dtype=bool)
    checked = out_of_school["check_result"].notna().to_numpy(dtype=bool)
    evidenced = out_of_school["check_evidenced"].astype(bool).to_numpy()
    counts = pd.concat([
        places(school_age[this_week]).assign(verified_this_week=1),
        places(out_of_school).assign(pending=1, unchecked=(~checked).astype(int),
                                     no_evidence=(checked & ~evidenced).astype(int),
                                     confirmed=(checked & evidenced).astype(int)),
    ], ignore_index=True)
    if counts.empty:
        return pd.DataFrame({column: pd.Series(dtype=object if column in ("township", "village") else "int64")
                             for column in PROGRESS_COLUMNS})
    numbers = PROGRESS_COLUMNS[2:]
    summed = (counts.reindex(columns=PROGRESS_COLUMNS).fillna(dict.fromkeys(numbers, 0))
              .groupby(["township", "village"], dropna=False, sort=True)[numbers].sum().astype("int64"))
    return summed.reset_index()[PROGRESS_COLUMNS]
