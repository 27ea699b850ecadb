"""metrics.json: every key of docs/metrics.md, the fixed ones first, then the figures the
report explains them with."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd

from kcbx.analysis.model import Analysis

CONTRACT_KEYS = (
    "as_of", "county", "township", "enrolled", "school_age_population",
    "out_of_school_suspected", "enrollment_rate", "duplicate_enrollments",
    "absent_unexcused_today", "escalation", "cases_total", "cases_open",
    "cases_open_poverty", "cases_returned", "return_rate", "closure_rate",
    "notices_overdue", "retention_rate", "retention_flag", "cohort", "dropout_rate",
    "groups", "home_teaching_due", "home_teaching_compliant", "subsidy_eligible",
    "subsidy_short", "transition_missing", "rows_read", "rows_accepted", "rows_rejected",
    "early_warning",
)

def contract_metrics(analysis: Analysis) -> dict:
    """metrics.json: every fixed key of docs/metrics.md first, then the extra figures."""
    metrics = analysis.metrics
    return {**{key: metrics[key] for key in CONTRACT_KEYS},
            **{k: v for k, v in metrics.items() if k not in CONTRACT_KEYS}}


ZERO_WITHIN = 1e-12  # a figure this close to 0 is written as 0


def json_ready(value):
    """NaN → null; numpy scalars → Python numbers (json.dumps would fail or write NaN); a
    float within ZERO_WITHIN of 0 → 0.0."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and abs(value) < ZERO_WITHIN:
        return 0.0  # a rate made of sums that cancel (-3.47e-17) is 0
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return value


def metrics_json(analysis: Analysis) -> str:
    return json.dumps(json_ready(contract_metrics(analysis)), ensure_ascii=False, indent=2)
