"""Hometowns under old names: the history of renamings, then today's names (``memorials.hometowns``).

Old records write 黄安县 for today's 红安县, 襄樊 for 襄阳. The renamings are
data (``cases/data/renames.csv``: one row per change with its date and
source), applied before today's names are resolved.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from sqlalchemy.orm import Session

from memorials.hometowns import resolve_hometown
from memorials.text import to_simplified


@dataclass(frozen=True)
class Rename:
    old_name: str
    new_name: str
    new_code: str
    changed_on: str
    source: str


@cache
def renames() -> tuple[Rename, ...]:
    text = files("cases.data").joinpath("renames.csv").read_text(encoding="utf-8")
    rows = [Rename(**row) for row in csv.DictReader(text.splitlines())]
    return tuple(sorted(rows, key=lambda r: -len(r.old_name)))  # 襄阳县 before 襄阳


@dataclass(frozen=True)
class Resolved:
    code: str
    how: str
    """In Chinese, for the reasons of a match: 黄安县即今红安县（1952-09更名）."""


def resolve(session: Session, text: str) -> Resolved | None:
    text = to_simplified(text.strip())
    if not text:
        return None
    for rename in renames():
        if rename.old_name in text:
            return Resolved(rename.new_code, f"{rename.old_name}即今{rename.new_name}（{rename.changed_on}更名）")
    code = resolve_hometown(session=session, text=text)
    return Resolved(code, f"{text}（今区划代码{code}）") if code else None
