"""The registry's controlled vocabularies, with their Chinese labels.

Codes are English (API, database); labels are what users read on pages, in
Excel headers and in imported spreadsheets. ``parse_*`` accept either.
"""

from __future__ import annotations

from enum import StrEnum


class FacilityKind(StrEnum):
    cemetery = "cemetery"
    central_burial_area = "central_burial_area"
    scattered_grave = "scattered_grave"
    monument = "monument"
    memorial_hall = "memorial_hall"
    columbarium = "columbarium"
    name_wall = "name_wall"
    statue = "statue"
    memorial_square = "memorial_square"
    other = "other"


class ProtectionLevel(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    county = "county"
    unrated = "unrated"


class FacilityStatus(StrEnum):
    in_use = "in_use"
    under_repair = "under_repair"
    relocated = "relocated"
    removed = "removed"


STANDING_STATUSES = frozenset({FacilityStatus.in_use, FacilityStatus.under_repair})
"""Facilities still standing: patrols are due and may be filed."""
CLOSED_STATUSES = frozenset({FacilityStatus.relocated, FacilityStatus.removed})
"""Facilities emptied or gone: nobody is buried there any more."""


class Gender(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class DivisionLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    village = "village"


KIND_LABELS: dict[str, str] = {
    "cemetery": "烈士陵园",
    "central_burial_area": "集中安葬区",
    "scattered_grave": "零散烈士墓",
    "monument": "纪念碑（亭、塔）",
    "memorial_hall": "纪念馆",
    "columbarium": "骨灰堂",
    "name_wall": "英名墙",
    "statue": "塑像",
    "memorial_square": "纪念广场",
    "other": "其他纪念设施",
}

LEVEL_LABELS: dict[str, str] = {
    "national": "全国重点",
    "provincial": "省级",
    "municipal": "设区的市级",
    "county": "县级",
    "unrated": "未定级",
}

STATUS_LABELS: dict[str, str] = {
    "in_use": "在用",
    "under_repair": "修缮中",
    "relocated": "已迁移",
    "removed": "已撤销",
}

GENDER_LABELS: dict[str, str] = {"male": "男", "female": "女", "unknown": "不详"}

DIVISION_LEVEL_LABELS: dict[str, str] = {
    "province": "省级",
    "city": "地级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
}

# Extra spellings met in bureau spreadsheets.
_KIND_ALIASES = {
    "陵园": "cemetery",
    "烈士墓": "scattered_grave",
    "零散墓": "scattered_grave",
    "散葬烈士墓": "scattered_grave",
    "纪念碑": "monument",
    "纪念亭": "monument",
    "纪念塔": "monument",
    "纪念碑亭": "monument",
    "烈士纪念碑": "monument",
    "烈士纪念馆": "memorial_hall",
    "纪念堂": "memorial_hall",
    "骨灰堂": "columbarium",
    "其他": "other",
}
_LEVEL_ALIASES = {
    "全国重点烈士纪念设施": "national",
    "国家级": "national",
    "省级烈士纪念设施": "provincial",
    "市级": "municipal",
    "县级烈士纪念设施": "county",
    "区级": "county",
    "无": "unrated",
    "未定": "unrated",
}
_GENDER_ALIASES = {"男性": "male", "女性": "female", "未知": "unknown", "m": "male", "f": "female"}


def _parse(value: str, codes: type[StrEnum], labels: dict[str, str], aliases: dict[str, str]) -> str | None:
    text = value.strip()
    if text in codes.__members__:
        return text
    lowered = text.lower()
    if lowered in codes.__members__:
        return lowered
    for code, label in labels.items():
        if text == label:
            return code
    return aliases.get(text) or aliases.get(lowered)


def parse_kind(value: str) -> str | None:
    """``"cemetery"`` or ``"烈士陵园"`` -> ``"cemetery"``; None when unknown."""
    return _parse(value, FacilityKind, KIND_LABELS, _KIND_ALIASES)


def parse_level(value: str) -> str | None:
    return _parse(value, ProtectionLevel, LEVEL_LABELS, _LEVEL_ALIASES)


def parse_status(value: str) -> str | None:
    return _parse(value, FacilityStatus, STATUS_LABELS, {})


def parse_gender(value: str) -> str | None:
    return _parse(value, Gender, GENDER_LABELS, _GENDER_ALIASES)
