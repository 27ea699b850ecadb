"""The demo's 疑似失学核查回执: what two townships' villages returned about their 疑似失学 children.

Deterministic and drawing nothing from the builder's generator (the rest of the demo stays as it
was): the children are the first ``len(RETURNS)`` school-age children on the household register
and on no roster (role out_of_school) with no case, taken township by township in plan order.
Each 核查结果 occurs at least once with the evidence it needs; besides, one 延缓入学 lacks its
approval number (核查结果缺佐证: the child stays 疑似失学), one 确认失学 is dated so that no case
has opened past params case_open_days (合规检查), another 确认失学 is still within it, one child's
earlier 其他 is replaced by a later 在外地就读, and one line of the 回执 is not filled in yet.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.demo.people import Builder

# (核查结果, 佐证, 核查日期) of each child, in order; None: the line is not filled in yet.
# The first child also has an earlier line (EARLIER), replaced by this one.
RETURNS: tuple[tuple[str, str, dt.date] | None, ...] = (
    ("在外地就读", "广东省东莞市长安镇中心小学，学籍号 G{id}", dt.date(2021, 10, 12)),
    ("已完成义务教育", "2021年7月外县初中毕业证书（编号 2021-0318）", dt.date(2021, 10, 11)),
    ("延缓入学", "县教育局延缓入学批准书 那教缓〔2021〕3号", dt.date(2021, 10, 13)),
    ("免学", "县教育局免学审批表 那教免〔2021〕1号", dt.date(2021, 10, 8)),
    ("休学", "县人民医院诊断证明，休学至2022年春季学期", dt.date(2021, 10, 14)),
    ("死亡", "居民死亡医学证明书 编号 X2021-0457", dt.date(2021, 10, 11)),
    ("户籍迁出", "户口迁移证明：迁往南宁市西乡塘区", dt.date(2021, 10, 12)),
    ("确认失学", "", dt.date(2021, 10, 8)),      # no case since: past case_open_days on 15 Oct
    ("其他", "家长称随父母外出，具体去向待查", dt.date(2021, 10, 13)),
    ("延缓入学", "家长口头申请", dt.date(2021, 10, 14)),   # no approval number: 核查结果缺佐证
    ("确认失学", "", dt.date(2021, 10, 14)),     # within case_open_days on 15 Oct
    None,                                        # a line of the 回执 not filled in yet
)
EARLIER = ("其他", "电话无人接听", dt.date(2021, 10, 8))
CHECKERS = ("村委 李建国", "村委 黄秀英", "中心校 覃志明", "村委 农丽华")


def verification(b: Builder, cases: pd.DataFrame) -> pd.DataFrame:
    """The verification rows (person, township, village, result, evidence, checked_by, date), in
    the order the 回执 lists them; ``cases``: the case log (its children are not picked)."""
    people = b.people
    with_case = set(cases["person"]) if "person" in cases else set()
    order = {township.name: index for index, township in enumerate(b.townships)}
    candidates = people[(people["role"] == "out_of_school") & ~people.index.isin(with_case)]
    candidates = candidates.assign(_town=candidates["home_township"].map(order)).sort_values(
        ["_town", "village"], kind="stable").head(len(RETURNS))
    rows = []
    for number, (person, child) in enumerate(candidates.iterrows()):
        line = RETURNS[number]
        lines = ([EARLIER] if number == 0 else []) + ([line] if line else [None])
        for filled in lines:
            result, evidence, day = filled if filled else (None, None, None)
            if evidence and "{id}" in evidence:
                evidence = evidence.format(id=people.at[person, "id_number"] or "")
            rows.append({"person": person, "township": child["home_township"], "village": child["village"],
                         "result": result, "evidence": evidence or None,
                         "checked_by": CHECKERS[number % len(CHECKERS)] if filled else None, "date": day})
    return pd.DataFrame(rows, columns=["person", "township", "village", "result", "evidence", "checked_by", "date"])
