"""A county's params file (``params/<county>.yaml``), read into one frozen object.

The keys and their defaults are those of docs/params.md; relative
paths are relative to the file. The file is checked once, when it is loaded,
against the models below (pydantic), so that a typo or a wrong type stops
before anything runs, with one message naming the file and each dotted key at
fault (``school_age.max``, ``escalation.0``).

How values are read:
- A key written with no value (``calendar:``) is a key not given: its default holds.
- Types are strict: YAML guesses a type from the text, and the guess is not
  reinterpreted (``escalation: "135"`` is no list, 1.5 no whole number, yes no number).
- ``townships`` and each ``synonyms`` value are lists of text; a single text is
  accepted as a one-item list (``synonyms: {身份证号: 证件号}`` is ``[证件号]``).
- ``subsidy`` and ``home_teaching``, when written, give every one of their keys;
  ``early_warning`` may give any of its keys, the others keep their defaults.
- ``junior_grade_names`` (optional): ``七年级`` (default) or ``初一``, how reports name grades 7–9.
- ``zero_reports`` (optional): ``optional`` (default) or ``required``: whether schools send a 零报告
  on a day nobody was absent, so that a school without a row has not reported (未上报).
- ``office`` (optional, any of its keys): the county office that signs the county's forms
  (``_Office``).
- ``timezone`` (optional, default Asia/Shanghai): the county's clock, what ``--as-of today``
  means (``parse_as_of``), checked with zoneinfo.
- The file itself is read strictly (``_StrictLoader``): UTF-8, at most MAX_PARAMS_BYTES, no
  anchors, aliases or merge keys, no key given twice in one mapping; a fault is one line
  naming the file, the line and what to do.
- ``pdf`` (optional, true or false): every run of the county also prints each report.html to
  report.pdf (``kcbx run --pdf`` does it for one run; kcbx.runner.pdf).
- ``share_group`` (optional, the name of an existing group): files holding full identities
  (forms.xlsx, 适龄儿童台账.xlsx, executed notebooks, a run's prepared slices) are written
  0640/0750 with that group instead of 0600/0700 (kcbx.runner.private).
- ``Params`` reads ``subsidy``, ``home_teaching``, ``early_warning`` and ``office`` as frozen
  objects (``SubsidyStandards``, ``HomeTeaching``, ``EarlyWarning``, ``Office``): every key
  present, a whole number the file gave still an int.
- ``load_params(path, overrides)``: a what-if (``{"escalation": [1, 3, 5, 7]}``) is merged
  over the file's keys and checked exactly as the file is; ``Params.overrides`` keeps it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kcbx.util.dates import NotADate, parse_date
from kcbx.util.errors import OneLineError
from kcbx.util.text import inert


class ParamsError(OneLineError, ValueError):
    """A params file that cannot be used, with the key at fault."""


DEFAULT_TIMEZONE = "Asia/Shanghai"  # the county's clock: what `--as-of today` means
MAX_PARAMS_BYTES = 256 * 1024  # a county's params file is a few KB; docs/params.md


class _FileProblem(Exception):
    """What is wrong with the params file as a file, at a line (1-based): one line to print."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    """The params file's YAML: safe, strict and small.

    - No anchors (``&a``), aliases (``*a``) or merge keys (``<<``): refused at the first anchor
      or alias event, before the composer would share or expand anything, so that an alias
      bomb ("billion laughs") costs nothing. A params file has no use for them.
    - A key given twice in one mapping, at any depth, is an error (PyYAML keeps the last).
    - No implicit timestamps: dates stay text, so a bad one is reported with its key.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _FileProblem(event.start_mark.line + 1,
                               f"引用 *{_shown(event.anchor)} 不可用（参数文件不支持锚点与引用），请把值直接写出")
        if getattr(event, "anchor", None) is not None:
            raise _FileProblem(event.start_mark.line + 1,
                               f"锚点 &{_shown(event.anchor)} 不可用（参数文件不支持锚点与引用），请把值直接写出")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _FileProblem(key_node.start_mark.line + 1,
                                       "合并键 << 不可用，请把各个键直接写出")
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeLoader reports it below
                    continue
                if duplicate:
                    raise _FileProblem(key_node.start_mark.line + 1,
                                       f"同一个键 {_shown(key)} 出现两次，请只保留一个")
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _shown(value: Any) -> str:
    """A key or anchor from the file, inert and short, for a one-line message."""
    return inert(value, limit=60)


def _yaml_problem(exc: yaml.YAMLError) -> _FileProblem:
    """PyYAML's error as a line number and what to do, in one line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(exc, "problem", None) or exc)
    if "'\\t'" in problem or "tab" in problem.lower():
        advice = "缩进里有 Tab 字符，请改用空格缩进"
    else:
        advice = f"YAML 写法有误（{problem}），请检查缩进（只用空格）、冒号和引号"
    return _FileProblem(line, inert(advice, limit=None))


def _parsed(raw_bytes: bytes) -> Any:
    """The file's YAML, strictly (``_StrictLoader``); raises _FileProblem."""
    if len(raw_bytes) > MAX_PARAMS_BYTES:
        raise _FileProblem(None, f"文件过大（超过 {MAX_PARAMS_BYTES // 1024} KB），参数文件只需几 KB，"
                                 "请确认选对了文件")
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _FileProblem(raw_bytes[:exc.start].count(b"\n") + 1,
                           "不是 UTF-8 编码，请以 UTF-8 保存") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader, stricter
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc) from None
    except RecursionError:
        raise _FileProblem(None, "嵌套层数过多，请检查文件内容") from None


# ---------------------------------------------------------------------------
# Value types


def _iso_date(value: Any) -> dt.date:
    """A date as people write it (kcbx.util.dates: 2021-10-15, 2021/10/15, 2021年10月15日 …;
    the loader keeps dates as text); the message names no key, the error's location does."""
    try:
        return parse_date(value, name="")
    except NotADate as exc:
        raise ValueError(str(exc)) from None


def _whole_numbers_as_int(value: float) -> int | float:
    """1000 stays 1000, not 1000.0: these figures are printed in reports ("每月 2 次")."""
    return int(value) if value.is_integer() else value


def _one_text_as_list(value: Any) -> Any:
    """A single text is a one-item list (iterated as it is, it would be split into characters)."""
    return [value] if isinstance(value, str) else value


def _without_null_values(value: Any) -> Any:
    """A key written with no value is a key not given."""
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if item is not None}
    return value


def _time_zone(value: str) -> str:
    """An IANA time zone name (``Asia/Shanghai``, ``Asia/Urumqi``) that zoneinfo knows."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (e.g. {DEFAULT_TIMEZONE})") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
WholeNumber = Annotated[int, Field(strict=True, ge=0)]
PositiveWholeNumber = Annotated[int, Field(strict=True, gt=0)]
NonNegativeNumber = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False),
                              AfterValidator(_whole_numbers_as_int)]
Text = Annotated[str, Field(strict=True, min_length=1)]
TextList = Annotated[list[Text], BeforeValidator(_one_text_as_list)]


class _Section(BaseModel):
    """A mapping with fixed keys; an unknown key is an error that suggests the nearest known key."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_keys_only(cls, value: Any) -> Any:
        if value is None:  # a section written with no value: its defaults
            return {}
        value = _without_null_values(value)
        if isinstance(value, dict):
            unknown = [str(key) for key in value if key not in cls.model_fields]
            if unknown:
                # Checked here rather than by extra="forbid": only the model knows the keys to suggest.
                raise PydanticCustomError("unknown_key", "unknown key",
                                          {"keys": unknown, "known": list(cls.model_fields)})
        return value


# ---------------------------------------------------------------------------
# The file's sections (keys and defaults as docs/params.md documents them)


class _Term(_Section):
    start: Date
    end: Date

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"{end} is not after term.start {start}")
        return end


class _YearCalendar(_Section):
    holidays: list[Date] = []
    workdays: list[Date] = []


class _SchoolAge(_Section):
    min: WholeNumber = 6
    max: WholeNumber = 15

    @field_validator("max")
    @classmethod
    def _not_below_min(cls, maximum: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min")
        if minimum is not None and maximum < minimum:
            raise ValueError(f"{maximum} is below school_age.min {minimum}")
        return maximum


class _SubsidyLevels(_Section):
    primary: NonNegativeNumber
    junior: NonNegativeNumber


class _Subsidy(_Section):
    """Yuan a year, by boarding or day pupil and by level."""

    boarding: _SubsidyLevels
    day: _SubsidyLevels


class _HomeTeaching(_Section):
    visits_per_month: NonNegativeNumber
    hours_per_visit: NonNegativeNumber
    hours_per_year: NonNegativeNumber
    workload_hours_per_visit: NonNegativeNumber
    funding_per_year: NonNegativeNumber


class _Office(_Section):
    """The county office whose details fill the sign-off block of the county's forms.xlsx
    (填报单位（盖章）, 填报人, 联系电话); every key is optional, a missing one is left blank
    for handwriting::

        office: {unit: 示例县教育局基础教育股, contact: 王某, phone: "0776-6821234"}

    ``phone`` may be written unquoted (13800000000 is read as text).
    """

    unit: Text | None = None
    contact: Text | None = None
    phone: Annotated[str, Field(coerce_numbers_to_str=True, min_length=1)] | None = None


# early_warning: the early-warning list's rules and weights (docs/params.md)


class _RuleWeights(_Section):
    attendance: NonNegativeNumber = 2
    unexcused: NonNegativeNumber = 3
    relapse: NonNegativeNumber = 3
    overage: NonNegativeNumber = 1
    key_group: NonNegativeNumber = 1
    grades: NonNegativeNumber = 1


class _WarningLevels(_Section):
    high: NonNegativeNumber = 5
    medium: NonNegativeNumber = 3

    @field_validator("medium")
    @classmethod
    def _not_above_high(cls, medium: float, info: ValidationInfo) -> float:
        high = info.data.get("high")
        if high is not None and medium > high:
            raise ValueError(f"{medium} is above early_warning.levels.high {high}")
        return medium


class _EarlyWarning(_Section):
    window: PositiveWholeNumber = 20
    absence_share: Annotated[NonNegativeNumber, Field(le=1)] = 0.10
    unexcused_days: PositiveWholeNumber = 3
    overage_years: PositiveWholeNumber = 2
    grades: list[Annotated[int, Field(strict=True, ge=1, le=9)]] = [8, 9]
    weights: _RuleWeights = _RuleWeights()
    levels: _WarningLevels = _WarningLevels()
    horizon: PositiveWholeNumber = 60


EARLY_WARNING_RULES = tuple(_RuleWeights.model_fields)


# subsidy and home_teaching have no default key by key: a file gives all of a section or none
_DEFAULT_SUBSIDY = {"boarding": {"primary": 1000, "junior": 1250},
                    "day": {"primary": 500, "junior": 625}}
_DEFAULT_HOME_TEACHING = {"visits_per_month": 2, "hours_per_visit": 3, "hours_per_year": 60,
                          "workload_hours_per_visit": 4, "funding_per_year": 6000}


class _ParamsFile(_Section):
    county: Text
    county_code: Annotated[str, Field(coerce_numbers_to_str=True)] = ""  # 452626 unquoted is fine
    ledgers: Text
    store: Text
    outputs: Text = "../outputs"
    term: _Term
    days_off: list[Date] = []
    extra_school_days: list[Date] = []
    calendar: dict[int, _YearCalendar] = {}
    escalation: Annotated[list[PositiveWholeNumber], Field(min_length=1)] = [1, 3, 5]
    notice_days: WholeNumber = 7
    # 合规检查 (kcbx.measures.compliance): school days allowed for the notice after the top rung;
    # calendar days allowed between 复学 and 销号.
    notice_grace_days: WholeNumber = 2
    strike_off_days: WholeNumber = 7
    # school days allowed between a verification's 确认失学 and the case it opens (合规检查)
    case_open_days: WholeNumber = 3
    target_date: Date | None = None
    # 巩固率 below it is marked on the forms' 巩固率 sheet: a fraction, 0.95 for 95 %.
    retention_target: Annotated[NonNegativeNumber, Field(le=1)] = 0.95
    school_age: _SchoolAge = _SchoolAge()
    subsidy: _Subsidy = _Subsidy.model_validate(_DEFAULT_SUBSIDY)
    home_teaching: _HomeTeaching = _HomeTeaching.model_validate(_DEFAULT_HOME_TEACHING)
    townships: TextList = []
    synonyms: dict[Text, TextList] = {}
    early_warning: _EarlyWarning = _EarlyWarning()
    office: _Office = _Office()
    junior_grade_names: Literal["七年级", "初一"] = "七年级"
    # 零报告: whether a school with no absence row today must have sent one (kcbx.measures.reporting).
    zero_reports: Literal["required", "optional"] = "optional"
    pdf: Annotated[bool, Field(strict=True)] = False
    timezone: Annotated[str, Field(strict=True, min_length=1), AfterValidator(_time_zone)] = DEFAULT_TIMEZONE
    share_group: Text | None = None

    @field_validator("share_group")
    @classmethod
    def _existing_group(cls, group: str | None) -> str | None:
        if group is not None:
            import grp

            try:
                grp.getgrnam(group)
            except KeyError:
                raise ValueError(f"no group named {group!r} on this machine") from None
        return group

    @field_validator("retention_target", mode="before")
    @classmethod
    def _a_fraction(cls, target: Any) -> Any:
        # 95 means 95 % to whoever writes it; say so rather than "less than or equal to 1".
        if isinstance(target, int | float) and not isinstance(target, bool) and target > 1:
            raise ValueError(f"{target} is above 1: write a fraction, {target / 100:g} for {target:g} %")
        return target

    @field_validator("escalation")
    @classmethod
    def _strictly_increasing(cls, thresholds: list[int]) -> list[int]:
        if any(later <= earlier for earlier, later in zip(thresholds, thresholds[1:])):
            raise ValueError(f"{thresholds} is not strictly increasing")
        return thresholds


# ---------------------------------------------------------------------------
# Errors, one message for the whole file

_PLAIN_MESSAGES = {
    "missing": "the key is required",
    "model_type": "must be a mapping of keys ({key: value, ...})",
    "model_attributes_type": "must be a mapping of keys ({key: value, ...})",
    "dict_type": "must be a mapping ({key: value, ...})",
    "list_type": "must be a list ([..., ...])",
}


def _dotted(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


def _unknown_key_hint(key: str, known: list[str]) -> str:
    nearest = difflib.get_close_matches(key, known, n=1)
    return f"did you mean {nearest[0]}?" if nearest else f"the keys are {', '.join(known)}"


def _problems(error: ValidationError) -> list[str]:
    """Each problem as "'dotted.key': what is wrong (got …)"."""
    problems = []
    for problem in error.errors():
        location = problem["loc"]
        if problem["type"] == "unknown_key":
            known = problem["ctx"]["known"]
            problems += [f"{_dotted(location + (key,))!r}: unknown key, {_unknown_key_hint(key, known)}"
                         for key in problem["ctx"]["keys"]]
            continue
        if problem["type"] == "value_error":  # our own validators' messages, already in full
            problems.append(f"{_dotted(location)!r}: {problem['ctx']['error']}")
            continue
        message = _PLAIN_MESSAGES.get(problem["type"], problem["msg"])
        given = problem.get("input")
        if problem["type"] != "missing" and not isinstance(given, dict):
            message += f" (got {given!r})"
        problems.append(f"{_dotted(location)!r}: {message}")
    return problems


def _as_written(value: Any) -> Any:
    """An override as the YAML file would hold it: dates as text, tuples as lists, numpy
    numbers as Python numbers, so that it meets the same checks as the file's own values."""
    if isinstance(value, dict):
        return {key: _as_written(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_written(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def with_overrides(raw: dict, overrides: Mapping[str, Any]) -> dict:
    """The file's mapping with overrides applied: a mapping given for a mapping is merged key
    by key (``{"early_warning": {"window": 10}}`` keeps the other early_warning keys);
    any other value replaces the file's."""
    merged = dict(raw)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = with_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_file(path: Path, raw_bytes: bytes, overrides: Mapping[str, Any] | None = None) -> _ParamsFile:
    try:
        raw = _parsed(raw_bytes) or {}
    except _FileProblem as problem:
        at = f" 第 {problem.line} 行" if problem.line is not None else ""
        raise ParamsError(f"{inert(path, limit=None)}{at}：{problem.message}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{inert(path, limit=None)}: expected a mapping of keys")
    where = str(path)
    if overrides:
        raw = with_overrides(raw, overrides)
        where = f"{path} with overrides {', '.join(map(str, overrides))}"
    try:
        return _ParamsFile.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(f"{where}: " + "; ".join(_problems(exc))) from None


# ---------------------------------------------------------------------------
# The object the rest of kcbx reads


@dataclass(frozen=True)
class YearCalendar:
    """Holidays and make-up workdays of one year the holiday library does not know."""

    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()


# Numbers of the sections below: a whole number the file gave stays an int (1000, not 1000.0),
# as the reports print it ("每月 2 次").


@dataclass(frozen=True)
class YuanByLevel:
    """Yuan a year by school level: primary (grades 1–6), junior (7–9)."""

    primary: float
    junior: float

    def of(self, level: str) -> float:
        """The yuan of level "primary" or "junior" (measures.support.school_level)."""
        return getattr(self, level)


@dataclass(frozen=True)
class SubsidyStandards:
    """params ``subsidy``: the yearly 生活补助 standard of a boarding and of a day pupil."""

    boarding: YuanByLevel
    day: YuanByLevel

    def yearly(self, boarding: bool, level: str) -> float:
        """The yearly standard of a pupil: boarding or not, level "primary" or "junior"."""
        return (self.boarding if boarding else self.day).of(level)


@dataclass(frozen=True)
class HomeTeaching:
    """params ``home_teaching``: the 送教上门 rule (a month's visits and class hours a visit), the
    yearly hours target, a visit's hours of teacher workload and the yearly funding a child."""

    visits_per_month: float
    hours_per_visit: float
    hours_per_year: float
    workload_hours_per_visit: float
    funding_per_year: float


@dataclass(frozen=True)
class RuleWeights:
    """The early-warning rules' weights, one per rule (EARLY_WARNING_RULES)."""

    attendance: float
    unexcused: float
    relapse: float
    overage: float
    key_group: float
    grades: float

    def of(self, rule: str) -> float:
        return getattr(self, rule)


@dataclass(frozen=True)
class WarningLevels:
    """The lowest score of each level of the early-warning list."""

    high: float
    medium: float


@dataclass(frozen=True)
class EarlyWarning:
    """params ``early_warning``: the early-warning list's rules, weights and levels, and the
    back-test's horizon (kcbx.measures.warning)."""

    window: int
    absence_share: float
    unexcused_days: int
    overage_years: int
    grades: tuple[int, ...]
    weights: RuleWeights
    levels: WarningLevels
    horizon: int


@dataclass(frozen=True)
class Office:
    """params ``office``: the county office of the county forms' sign-off block; None where the
    file gives no value (a line to write on by hand)."""

    unit: str | None = None
    contact: str | None = None
    phone: str | None = None


def _subsidy(given: _Subsidy) -> SubsidyStandards:
    return SubsidyStandards(boarding=YuanByLevel(**given.boarding.model_dump()), day=YuanByLevel(**given.day.model_dump()))


def _home_teaching(given: _HomeTeaching) -> HomeTeaching:
    return HomeTeaching(**given.model_dump())


def _early_warning(given: _EarlyWarning) -> EarlyWarning:
    return EarlyWarning(**{**given.model_dump(), "grades": tuple(given.grades),
                           "weights": RuleWeights(**given.weights.model_dump()),
                           "levels": WarningLevels(**given.levels.model_dump())})


DEFAULT_SUBSIDY = _subsidy(_Subsidy.model_validate(_DEFAULT_SUBSIDY))
DEFAULT_HOME_TEACHING = _home_teaching(_HomeTeaching.model_validate(_DEFAULT_HOME_TEACHING))
DEFAULT_EARLY_WARNING = _early_warning(_EarlyWarning())


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
    notice_grace_days: int = 2
    strike_off_days: int = 7
    case_open_days: int = 3
    target_date: dt.date | None = None
    retention_target: float = 0.95
    school_age_min: int = 6
    school_age_max: int = 15
    subsidy: SubsidyStandards = DEFAULT_SUBSIDY
    home_teaching: HomeTeaching = DEFAULT_HOME_TEACHING
    townships: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sha256: str = ""
    # the early-warning list's rules (kcbx.measures.warning)
    early_warning: EarlyWarning = DEFAULT_EARLY_WARNING
    # the county office of the forms' sign-off block
    office: Office = Office()
    # how the reports name grades 7–9: 七年级…九年级 or 初一…初三
    junior_grade_names: str = "七年级"
    # "required": a school without an absence row or a 零报告 today has not reported (未上报);
    # "optional": it shows as 无缺勤记录（未要求零报告） (kcbx.measures.reporting)
    zero_reports: str = "optional"
    # every run also prints each report.html to report.pdf (kcbx run --pdf)
    pdf: bool = False
    # the county's time zone: the date `--as-of today` means (parse_as_of)
    timezone: str = DEFAULT_TIMEZONE
    # the group that may read files holding full identities (None: the owner alone)
    share_group: str | None = None
    # keys given over the file's (load_params overrides: a what-if), as the file would hold them
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def store_dir(self) -> Path:
        return self.store.parent


def _sorted_dates(dates: list[dt.date]) -> tuple[dt.date, ...]:
    return tuple(sorted(dates))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, at most one more than MAX_PARAMS_BYTES (a larger file is refused
    without reading it all: a path given by mistake may name a huge file)."""
    with path.open("rb") as file:
        return file.read(MAX_PARAMS_BYTES + 1)


def load_params(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Params:
    """Read and check a params file; raise ParamsError naming the file and every key at fault.

    ``overrides`` (a what-if, e.g. ``{"escalation": [1, 3, 5, 7]}``) are keys given over the
    file's, checked exactly as the file is; ``sha256`` then covers them too.
    """
    path = Path(path).resolve()
    raw_bytes = _read_bytes(path)
    written = _as_written(dict(overrides or {}))
    given = _read_file(path, raw_bytes, written)
    if written:
        raw_bytes += b"\n# overrides " + json.dumps(written, ensure_ascii=False, sort_keys=True).encode()
    base = path.parent
    return Params(
        path=path,
        county=given.county,
        county_code=given.county_code,
        ledgers=(base / given.ledgers).resolve(),
        store=(base / given.store).resolve(),
        outputs=(base / given.outputs).resolve(),
        term_start=given.term.start,
        term_end=given.term.end,
        days_off=_sorted_dates(given.days_off),
        extra_school_days=_sorted_dates(given.extra_school_days),
        calendar={year: YearCalendar(holidays=_sorted_dates(spec.holidays),
                                     workdays=_sorted_dates(spec.workdays))
                  for year, spec in given.calendar.items()},
        escalation=tuple(given.escalation),
        notice_days=given.notice_days,
        notice_grace_days=given.notice_grace_days,
        strike_off_days=given.strike_off_days,
        case_open_days=given.case_open_days,
        target_date=given.target_date,
        retention_target=given.retention_target,
        school_age_min=given.school_age.min,
        school_age_max=given.school_age.max,
        subsidy=_subsidy(given.subsidy),
        home_teaching=_home_teaching(given.home_teaching),
        townships=tuple(given.townships),
        synonyms={header: tuple(names) for header, names in given.synonyms.items()},
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        early_warning=_early_warning(given.early_warning),
        office=Office(**given.office.model_dump()),
        junior_grade_names=given.junior_grade_names,
        zero_reports=given.zero_reports,
        pdf=given.pdf,
        timezone=given.timezone,
        share_group=given.share_group,
        overrides=written,
    )


def school_year_of(day: dt.date) -> int:
    """The school year containing a day: school year 2021 runs 1 Sep 2021 – 31 Aug 2022."""
    return day.year if day.month >= 9 else day.year - 1


def _now() -> dt.datetime:
    """The current instant, aware (the one place kcbx reads the clock for a run's date)."""
    return dt.datetime.now(dt.UTC)


def today_in(timezone: str = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> dt.date:
    """Today's date on the county's clock, not the server's: a server on UTC running at
    00:30 Beijing time (16:30 UTC the day before) says the Beijing date. ``now`` (aware; a
    naive one is taken as UTC) stands for the clock in tests."""
    instant = _now() if now is None else now
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def parse_as_of(value: str | dt.date, timezone: str = DEFAULT_TIMEZONE,
                now: dt.datetime | None = None) -> dt.date:
    """A run's as_of: a date, text as people write one (kcbx.util.dates.parse_date: 2021-10-15,
    2021/10/15, 2021年10月15日 …; else NotADate, one line), or 'today' (the date in
    ``timezone``, the params' ``timezone``: see today_in)."""
    if isinstance(value, str) and value.strip().lower() == "today":
        return today_in(timezone, now)
    return parse_date(value, name="as_of")  # a date, 2021-10-15, 2021/10/15, 2021年10月15日 … (NotADate)
