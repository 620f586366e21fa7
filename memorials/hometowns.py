"""Resolve a hometown (籍贯) as recorded to today's division code, where possible.

Records say ``湖北省光山县``, ``湖北黄冈`` or ``麻城县``; names change (麻城县
became 麻城市 in 1986) and many old ones no longer exist. The resolver looks
for today's province, city and county names, full or without their suffix,
and keeps the deepest one whose parents agree with the rest of the text.
When it cannot decide it answers None, or the level it is sure of: a wrong
county is worse than a right province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memorials.models import Division

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县", "地区",
             "林区", "新区", "省", "市", "县", "区", "盟", "旗")


@dataclass(frozen=True)
class _Name:
    code: str
    name: str
    short: str
    parent: str | None
    depth: int


_cache: dict[str, list[_Name]] = {}
_lock = Lock()


def short_name(name: str) -> str:
    """The name without its division suffix, if two characters remain: 红安县 -> 红安."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _names(session: Session) -> list[_Name]:
    bind = session.get_bind()
    key = f"{bind.url}"
    with _lock:
        if key not in _cache:
            rows = session.execute(
                select(Division.code, Division.name, Division.parent_code, Division.level).where(
                    func.length(Division.code) == 6
                )
            ).all()
            depth = {"province": 1, "city": 2, "county": 3}
            table = [_Name(code, name, short_name(name), parent, depth.get(level, 3)) for code, name, parent, level in rows]
            if table:
                _cache[key] = table
            return table
        return _cache[key]


def _ancestors(code: str, by_code: dict[str, _Name]) -> list[str]:
    out = []
    current = by_code.get(code)
    while current and current.parent:
        out.append(current.parent)
        current = by_code.get(current.parent)
    return out


def resolve_hometown(*, session: Session, text: str) -> str | None:
    """Today's division code for a recorded hometown, or None.

    ``湖北省光山县`` -> None for the county (光山 is in Henan) but 420000 for
    the province; ``河南省光山县`` -> 411522; ``湖北黄冈`` -> 421100.
    """
    text = re.sub(r"\s+", "", text or "")
    if len(text) < 2:
        return None
    table = _names(session)
    by_code = {n.code: n for n in table}
    hits = {n.code for n in table if n.name in text or (len(n.short) >= 2 and n.short in text)}
    if not hits:
        return None
    # A hit whose parent chain contradicts another, more general hit is dropped:
    # "湖北省光山县" keeps Hubei, not Guangshan county (Henan).
    general = {c for c in hits if by_code[c].depth == 1}
    consistent = [
        c for c in hits
        if not general or by_code[c].depth == 1 or set(_ancestors(c, by_code)) & general
    ]
    if not consistent:
        return None
    best_depth = max(by_code[c].depth for c in consistent)
    deepest = [c for c in consistent if by_code[c].depth == best_depth]
    if len(deepest) == 1:
        return deepest[0]
    scored = sorted(deepest, key=lambda c: -len(set(_ancestors(c, by_code)) & hits))
    top = len(set(_ancestors(scored[0], by_code)) & hits)
    leaders = [c for c in scored if len(set(_ancestors(c, by_code)) & hits) == top]
    if len(leaders) == 1:
        return leaders[0]
    # Ambiguous: fall back to the deepest ancestor they share.
    common = set(_ancestors(leaders[0], by_code))
    for c in leaders[1:]:
        common &= set(_ancestors(c, by_code))
    if not common:
        return None
    return max(common, key=lambda c: by_code[c].depth)
