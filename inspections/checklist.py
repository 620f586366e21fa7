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


LEVEL_LABELS = {
    "patrol": "日常巡查",
    "county_check": "县级检查",
    "city_spot_check": "市级抽查",
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


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    category: str
    group: str


CHECKLIST: tuple[Item, ...] = (
    Item("structure", "主体结构稳固", "structure_damage", "设施状况"),
    Item("inscription", "碑文字迹清晰", "illegible_inscription", "设施状况"),
    Item("surroundings", "周边环境整洁", "other", "设施状况"),
    Item("vegetation", "植被无侵害（无杂草丛生、树木倒伏）", "vegetation", "设施状况"),
    Item("drainage", "排水通畅、无积水", "water", "设施状况"),
    Item("safety", "无安全隐患", "safety_hazard", "设施状况"),
    Item("encroachment", "保护范围未被侵占", "encroachment", "设施状况"),
    Item("marker", "有醒目标识", "six_ones_missing", "六个一"),
    Item("account", "有烈士事迹简介", "six_ones_missing", "六个一"),
    Item("headstone", "有规范墓碑", "six_ones_missing", "六个一"),
    Item("boundary", "有明确边界", "six_ones_missing", "六个一"),
    Item("care", "有管护责任落实", "six_ones_missing", "六个一"),
    Item("access", "有祭扫通道", "six_ones_missing", "六个一"),
)
ITEMS = {item.key: item for item in CHECKLIST}


def default_severity(grade: str) -> str:
    """A problem's severity when the inspector gave none, from the overall grade."""
    return {"good": "low", "fair": "medium", "poor": "high", "critical": "critical"}[grade]
