"""A county's params file (``params/<county>.yaml``), read into one frozen object.

The keys are fixed by the contract; relative paths are relative to the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SUBSIDY = {"boarding": {"primary": 1000, "junior": 1250},
                   "day": {"primary": 500, "junior": 625}}
DEFAULT_HOME_TEACHING = {"visits_per_month": 2, "hours_per_visit": 3, "hours_per_year": 60,
                         "workload_hours_per_visit": 4, "funding_per_year": 6000}


class ParamsError(ValueError):
    """A params file that cannot be used, with the key at fault."""


class _TextDatesLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text, so a bad one is reported with its key."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParamsError(f"params key {key!r}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _dates(values: Any, key: str) -> tuple[dt.date, ...]:
    return tuple(sorted(_date(v, key) for v in (values or [])))


@dataclass(frozen=True)
class YearCalendar:
    """Holidays and make-up workdays of one year the holiday library does not know."""

    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Params:
    path: Path
    county: str
    county_code: str
    ledgers: Path
    store: Path
    outputs: Path
    term_start: dt.date
    term_end: dt.date
    days_off: tuple[dt.date, ...] = ()
    extra_school_days: tuple[dt.date, ...] = ()
    calendar: dict[int, YearCalendar] = field(default_factory=dict)
    escalation: tuple[int, ...] = (1, 3, 5)
    notice_days: int = 7
    target_date: dt.date | None = None
    school_age_min: int = 6
    school_age_max: int = 15
    subsidy: dict[str, dict[str, float]] = field(default_factory=lambda: DEFAULT_SUBSIDY)
    home_teaching: dict[str, float] = field(default_factory=lambda: DEFAULT_HOME_TEACHING)
    townships: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sha256: str = ""

    @property
    def store_dir(self) -> Path:
        return self.store.parent


def load_params(path: str | Path) -> Params:
    """Read and check a params file; raise ParamsError naming the key at fault."""
    path = Path(path).resolve()
    raw_bytes = path.read_bytes()
    try:
        raw = yaml.load(raw_bytes, Loader=_TextDatesLoader) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys")
    base = path.parent

    def need(key: str) -> Any:
        if key not in raw or raw[key] in (None, ""):
            raise ParamsError(f"{path}: the key {key!r} is required")
        return raw[key]

    term = need("term")
    if not isinstance(term, dict) or "start" not in term or "end" not in term:
        raise ParamsError(f"{path}: 'term' needs {{start: YYYY-MM-DD, end: YYYY-MM-DD}}")
    term_start, term_end = _date(term["start"], "term.start"), _date(term["end"], "term.end")
    if term_end < term_start:
        raise ParamsError(f"{path}: term.end {term_end} is before term.start {term_start}")

    escalation = tuple(int(n) for n in raw.get("escalation", (1, 3, 5)))
    if not escalation or any(n < 1 for n in escalation) or list(escalation) != sorted(set(escalation)):
        raise ParamsError(f"{path}: 'escalation' must be increasing whole numbers >= 1, got {escalation}")

    calendar = {}
    for year, spec in (raw.get("calendar") or {}).items():
        spec = spec or {}
        calendar[int(year)] = YearCalendar(
            holidays=_dates(spec.get("holidays"), f"calendar.{year}.holidays"),
            workdays=_dates(spec.get("workdays"), f"calendar.{year}.workdays"),
        )

    age = raw.get("school_age") or {}
    subsidy = {**DEFAULT_SUBSIDY, **(raw.get("subsidy") or {})}
    home_teaching = {**DEFAULT_HOME_TEACHING, **(raw.get("home_teaching") or {})}
    synonyms = {str(k): tuple(str(s) for s in (v or [])) for k, v in (raw.get("synonyms") or {}).items()}
    target = raw.get("target_date")

    return Params(
        path=path,
        county=str(need("county")),
        county_code=str(raw.get("county_code", "")),
        ledgers=(base / str(need("ledgers"))).resolve(),
        store=(base / str(need("store"))).resolve(),
        outputs=(base / str(raw.get("outputs", "../outputs"))).resolve(),
        term_start=term_start,
        term_end=term_end,
        days_off=_dates(raw.get("days_off"), "days_off"),
        extra_school_days=_dates(raw.get("extra_school_days"), "extra_school_days"),
        calendar=calendar,
        escalation=escalation,
        notice_days=int(raw.get("notice_days", 7)),
        target_date=_date(target, "target_date") if target else None,
        school_age_min=int(age.get("min", 6)),
        school_age_max=int(age.get("max", 15)),
        subsidy=subsidy,
        home_teaching=home_teaching,
        townships=tuple(str(t) for t in (raw.get("townships") or [])),
        synonyms=synonyms,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def school_year_of(day: dt.date) -> int:
    """The school year containing a day: school year 2021 runs 1 Sep 2021 – 31 Aug 2022."""
    return day.year if day.month >= 9 else day.year - 1


def parse_as_of(value: str | dt.date) -> dt.date:
    """A run's as_of: a date, an ISO string, or 'today'."""
    if isinstance(value, dt.date):
        return value
    if str(value).strip().lower() == "today":
        return dt.date.today()
    return dt.date.fromisoformat(str(value).strip())
