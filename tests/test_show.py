"""Report sections that need no store: trends from earlier runs, the ranking, percentages."""

import pandas as pd

from kcbx.report import show


def history(rows):
    frame = pd.DataFrame(rows, columns=["as_of", "township", "cases_open", "absent_unexcused_today",
                                        "out_of_school_suspected"])
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]))


def test_trends_take_the_last_run_of_each_week_and_month():
    # Mon 4 and Fri 8 Oct are one ISO week; Fri 15 Oct the next; all three in October.
    runs = history([
        ("2021-10-04", None, 9, 3, 5), ("2021-10-04", "甲镇", 4, 1, 2),
        ("2021-10-08", None, 7, 2, 5), ("2021-10-15", None, 6, 4, 4),
    ])
    page = show.trends(None, runs).body
    weekly, monthly = page.split("按月")
    # Weekly: 8 Oct (7 open) closes its week, 15 Oct (6) the next; 4 Oct is not shown.
    assert "2021-10-08" in weekly and "2021-10-15" in weekly and "2021-10-04" not in weekly
    # Monthly: October's last run is 15 Oct.
    assert "2021-10-15" in monthly and "2021-10-08" not in monthly
    assert "<img" in page  # the trend chart


def test_trends_need_two_earlier_runs():
    page = show.trends(None, history([("2021-10-15", None, 6, 4, 4)])).body
    assert "暂无趋势" in page


def test_ranking_views_put_the_most_urgent_first():
    figures = pd.DataFrame({
        "township": ["甲镇", "乙镇", "丙乡"], "cases_open": [1, 3, 0], "cases_open_poverty": [1, 0, 0],
        "notices_overdue": [0, 0, 2], "enrollment_rate": [0.99, 0.97, None],
        "absent_unexcused_today": [0, 1, 2], "enrolled": [100, 200, 50]})
    views = show.ranking(None, figures).body.split("<details")[1:]
    assert len(views) == 4
    # By open cases: 乙镇 (3), 甲镇 (1), 丙乡 (0).
    first = views[0]
    assert first.index("乙镇") < first.index("甲镇") < first.index("丙乡")
    # By 入学率: lowest first, 乙镇 97.0% before 甲镇 99.0%; 丙乡 has no rate and comes last.
    last = views[3]
    assert last.index("乙镇") < last.index("甲镇") < last.index("丙乡")
    assert "97.0%" in last and "—" in last


def test_percent_shows_null_as_a_dash():
    assert show.percent(None) == "—"
    assert show.percent(0.5) == "50.0%"
    assert show.percent(1.1) == "110.0%"  # never capped
