"""The patrol's fixed vocabulary: levels, checklist, grades, defect categories.

Codes are English; labels are what the inspector reads on the phone and
what the ledger prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    patrol = "patrol"
    county_check = "county_check"
    city_spot_check = "city_spot_check"
    pre_event = "pre_event"
    """The special inspection before Qingming or another commemoration (not periodic)."""


class PeriodicLevel(StrEnum):
    """The levels that fall due at intervals (compliance, interval rules)."""

    patrol = "patrol"
    county_check = "county_check"
    city_spot_check = "city_spot_check"


LEVEL_LABELS = {
    "patrol": "日常巡查",
    "county_check": "县级检查",
    "city_spot_check": "市级抽查",
    "pre_event": "清明前专项检查",
}

# Default interval in days per level (DESIGN.md: monthly patrols, the county
# bureau every six months, the city yearly).
DEFAULT_INTERVAL_DAYS = {"patrol": 30, "county_check": 182, "city_spot_check": 365}


class Grade(StrEnum):
    good = "good"
    fair = "fair"
    poor = "poor"
    critical = "critical"


GRADE_LABELS = {"good": "良好", "fair": "一般", "poor": "较差", "critical": "危险"}


class DefectCategory(StrEnum):
    structure_damage = "structure_damage"
    leaning = "leaning"
    illegible_inscription = "illegible_inscription"
    vegetation = "vegetation"
    water = "water"
    encroachment = "encroachment"
    safety_hazard = "safety_hazard"
    six_ones_missing = "six_ones_missing"
    other = "other"


CATEGORY_LABELS = {
    "structure_damage": "结构损坏",
    "leaning": "倾斜",
    "illegible_inscription": "碑文模糊",
    "vegetation": "植被侵害",
    "water": "积水排水",
    "encroachment": "侵占保护范围",
    "safety_hazard": "安全隐患",
    "six_ones_missing": "“六个一”缺失",
    "other": "其他",
}


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


SEVERITY_LABELS = {"low": "轻微", "medium": "一般", "high": "严重", "critical": "紧急"}

# Days the custodian gets to put a problem right, by severity.
DEADLINE_DAYS = {"low": 60, "medium": 30, "high": 15, "critical": 7}


SEVERITY_ORDER = ("low", "medium", "high", "critical")
GRADE_ORDER = ("good", "fair", "poor", "critical")


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    category: str
    group: str
    problem: str
    """What the defect says when the inspector wrote no note: a sentence, not "<label>：存在问题"."""
    answers: tuple[str, str] = ("正常", "有问题")
    """How the page labels ``ok`` and ``problem`` (the API values stay ``ok``/``problem``)."""
    min_severity: str = "low"
    """The least severity a problem on this item may have (safety: serious)."""


SIX_ONES = ("有", "缺失")

CHECKLIST: tuple[Item, ...] = (
    Item("structure", "主体结构稳固", "structure_damage", "设施状况", "主体结构松动或损坏", min_severity="medium"),
    Item("inscription", "碑文字迹清晰", "illegible_inscription", "设施状况", "碑文字迹模糊不清"),
    Item("surroundings", "周边环境整洁", "other", "设施状况", "周边环境脏乱"),
    Item("vegetation", "植被无侵害（无杂草丛生、树木倒伏）", "vegetation", "设施状况", "杂草丛生或树木倒伏"),
    Item("drainage", "排水通畅、无积水", "water", "设施状况", "排水不畅，有积水"),
    Item("safety", "无安全隐患", "safety_hazard", "设施状况", "存在安全隐患", min_severity="high"),
    Item("encroachment", "保护范围未被侵占", "encroachment", "设施状况", "保护范围被侵占", min_severity="medium"),
    Item("marker", "醒目标识", "six_ones_missing", "六个一", "缺少醒目标识", SIX_ONES),
    Item("account", "烈士事迹简介", "six_ones_missing", "六个一", "缺少烈士事迹简介", SIX_ONES),
    Item("headstone", "规范墓碑", "six_ones_missing", "六个一", "缺少规范墓碑", SIX_ONES),
    Item("boundary", "明确边界", "six_ones_missing", "六个一", "缺少明确边界", SIX_ONES),
    Item("care", "管护责任落实", "six_ones_missing", "六个一", "管护责任未落实", SIX_ONES),
    Item("access", "祭扫通道", "six_ones_missing", "六个一", "缺少祭扫通道", SIX_ONES),
)
ITEMS = {item.key: item for item in CHECKLIST}


def default_severity(grade: str) -> str:
    """A problem's severity when the inspector gave none, from the overall grade."""
    return {"good": "low", "fair": "medium", "poor": "high", "critical": "critical"}[grade]


def at_least(severity: str, floor: str) -> str:
    """The graver of two severities."""
    return max(severity, floor, key=SEVERITY_ORDER.index)


def implied_grade(problems: dict[str, str | None]) -> str:
    """The best grade the problems ticked allow (item key → the severity given, or None).

    No problem: good; any problem: fair; a serious one (a safety problem is
    always serious) or four and more: poor; an urgent one: critical. The
    inspector may grade worse, never better.
    """
    if not problems:
        return "good"
    severities = [at_least(s or "low", ITEMS[k].min_severity) for k, s in problems.items()]
    if "critical" in severities:
        return "critical"
    if "high" in severities or len(problems) >= 4:
        return "poor"
    return "fair"
