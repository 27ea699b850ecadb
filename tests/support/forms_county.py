"""A small county for the 附件1–3 tests (test_forms_statistics, test_forms_cases), every figure
worked out by hand in those modules.

Term 2021-09-01 – 2022-01-14, as_of Friday 2021-10-15, escalation 1/3/5. 1–7 October are the
National Day holidays; 11–15 October are five consecutive school days.

城关镇, schools 城关小学 and 城关中学
  pupils (在读)
    P1 城关小学                 脱贫户
    P2 城关小学 AND 城关中学     监测户   (a duplicate 学籍 inside the township)
    P3 城关中学                 无故 11–15 Oct → streak 5, no case (≥5天未立案)
    P4 城关中学                 无故 11–15 Oct → streak 5; case C9 registered 13 Oct
    P5 城关小学                 低保户
    Q1 城关小学 (and 河西小学 in 河西乡: a duplicate across townships)
  cases
    C1 K1 城关中学 登记 6 Sep, 家访 15 Sep (感化, "家长不配合"), 劝返 20 Sep (行政), notice
          Sun 26 Sep (法治; due Sun 3 Oct, a holiday → Fri 8 Oct) — open; K1 脱贫户, on the
          population register only (疑似失学 with a case)
    C2 K2 城关小学 登记 10 May (spring) — still open: carried over; K2 特困供养
    C3 K3 城关小学 登记 1 Mar, 复学 20 Mar — ended in the spring: left off this term's forms
    C4 K4 城关小学 登记 1 Jun, 复学 10 Sep — carried over (open when the term began), returned
    C5 K5 城关中学 登记 8 Sep, 转学 20 Sep; K5 脱贫户
    C6 K6 城关小学 登记 9 Sep, 送教上门 25 Sep
    C7 K7 城关中学 登记 10 Sep, 死亡 30 Sep; K7 监测户
    C8 K8 城关中学 登记 12 Sep, 销号 14 Sep (no outcome)
    C9 P4 城关中学 登记 13 Oct — open
  population: K1 and H1 (on no roster, no case): 疑似失学 K1, H1
河西乡, school 河西小学
  Q1 在读 at 河西小学 too; case C10 of Q1: 登记 1 Apr, 复学 20 Apr — left off (no case this term)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from support.builders import OFFICE, autumn_params, ingested_whole, resident_id, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWN, WEST = "城关镇", "河西乡"
PRIMARY, MIDDLE, WEST_SCHOOL = "城关小学", "城关中学", "河西小学"

P1, P2, P3, P4, P5, Q1 = (resident_id("20100101", f"{n:03d}") for n in range(11, 17))
K1, K2, K3, K4, K5, K6, K7, K8 = (resident_id("20080202", f"{n:03d}") for n in range(21, 29))
H1 = resident_id("20090303", "031")

PARAMS = autumn_params(target_date=dt.date(2021, 12, 31), office=OFFICE)


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/县.xlsx")


def pupil(key: str, school: str, township: str = TOWN) -> dict:
    return {"person_key": key, "name": f"学生{key[-4:]}", "gender": "男", "township": township,
            "school": school, "grade": 4, "class_name": "1", "status": "在读"}


def event(key: str, day: str, what: str, school: str | None = None, township: str = TOWN, **details) -> dict:
    return {"person_key": key, "township": township, "school": school, "date": day, "event": what, **details}


OWNERS = {"admin_owner": "李乡长", "edu_owner": "王老师"}


def county_tables() -> dict[str, pd.DataFrame]:
    unexcused = [{"date": f"2021-10-{day}", "person_key": key, "school": MIDDLE, "absence_type": "无故",
                  "unexcused": True} for key in (P3, P4) for day in (11, 12, 13, 14, 15)]
    tables = {
        "roster": ledger("roster", [
            pupil(P1, PRIMARY), pupil(P2, PRIMARY), pupil(P2, MIDDLE), pupil(P3, MIDDLE),
            pupil(P4, MIDDLE), pupil(P5, PRIMARY), pupil(Q1, PRIMARY), pupil(Q1, WEST_SCHOOL, WEST),
        ]),
        "population": ledger("population", [
            {"person_key": key, "name": name, "gender": "女", "township": TOWN, "village": "东村",
             "guardian": f"{name}家长", "phone": "13800000000"} for key, name in ((K1, "甲一"), (H1, "乙二"))
        ]),
        "poverty": ledger("poverty", [
            {"person_key": key, "township": TOWN, "category": category} for key, category in (
                (P1, "脱贫户"), (P2, "监测户"), (P5, "低保户"), (K1, "脱贫户"), (K2, "特困供养"),
                (K5, "脱贫户"), (K7, "监测户"))
        ]),
        "disability": ledger("disability", []),
        "absence": ledger("absence", unexcused),
        "cases": ledger("cases", [
            event(K1, "2021-09-06", "登记", MIDDLE, name="甲一", cause="厌学", **OWNERS),
            event(K1, "2021-09-15", "家访", method="感化", note="家长不配合"),
            event(K1, "2021-09-20", "劝返", method="行政"),
            event(K1, "2021-09-26", "发出限期复学通知书", method="法治"),
            event(K2, "2021-05-10", "登记", PRIMARY),
            event(K3, "2021-03-01", "登记", PRIMARY),
            event(K3, "2021-03-20", "复学"),
            event(K4, "2021-06-01", "登记", PRIMARY),
            event(K4, "2021-09-10", "复学"),
            event(K5, "2021-09-08", "登记", MIDDLE),
            event(K5, "2021-09-20", "转学"),
            event(K6, "2021-09-09", "登记", PRIMARY),
            event(K6, "2021-09-25", "送教上门"),
            event(K7, "2021-09-10", "登记", MIDDLE),
            event(K7, "2021-09-30", "死亡"),
            event(K8, "2021-09-12", "登记", MIDDLE),
            event(K8, "2021-09-14", "销号"),
            event(P4, "2021-10-13", "登记", MIDDLE),
            event(Q1, "2021-04-01", "登记", WEST_SCHOOL, township=WEST),
            event(Q1, "2021-04-20", "复学", township=WEST),
        ]),
        "home_teaching": ledger("home_teaching", []),
        "subsidy": ledger("subsidy", []),
        "enrollment": ledger("enrollment", []),
    }
    return ingested_whole(tables)
