"""Which martyr may a family's clue mean? Ranked candidates with the reasons.

Candidates come from indexes, never from a scan of every name: the
simplified name key's prefix for the surname and its homophones (an index
range per surname character, on both backends), and the resolved hometown's
division code. Each candidate is then scored in Python (at most
``MAX_CANDIDATES`` of them):

* name (50): equal once simplified (OpenCC: 張德勝 is 张德胜), the same
  pinyin (a homophone), or fuzzy (rapidfuzz) on characters and pinyin,
  against the name and every recorded variant;
* hometown (25): the clue's hometown resolved through renamings (黄安县 →
  红安县) to today's code, equal or containing the martyr's;
* unit (15): fuzzy partial match of the unit as recorded;
* year of death (10): partial or approximate years compare as ranges.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache, lru_cache

from pypinyin import pinyin_dict
from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, Row, and_, or_, select
from sqlalchemy.orm import Session

from cases import hometowns
from cases.schemas import MatchIn, MatchItem, MatchOut
from memorials.actors import Actor
from memorials.dates import earliest, latest
from memorials.divisions import scoped
from memorials.models import Martyr
from memorials.text import normalize_person_name, to_simplified

MAX_CANDIDATES = 800
_TOP = "\U0010ffff"


def _common(char: str) -> bool:
    """A character of GB 2312 level 1 (the 3,755 most used), as names are mostly written."""
    try:
        raw = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and 0xB0 <= raw[0] <= 0xD7


@cache
def _homophones() -> dict[str, tuple[str, ...]]:
    """Toned pinyin (first reading) → the common characters that read so."""
    table: dict[str, list[str]] = defaultdict(list)
    for code, readings in pinyin_dict.pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF and _common(chr(code)):
            table[readings.split(",")[0]].append(chr(code))
    return {k: tuple(v) for k, v in table.items()}


def surname_variants(char: str) -> tuple[str, ...]:
    reading = pinyin_dict.pinyin_dict.get(ord(char), "").split(",")[0]
    return tuple(dict.fromkeys((char, *_homophones().get(reading, ())))) if reading else (char,)


def _readings(text: str) -> list[str]:
    """Each character's first toned reading (a dict look-up, no segmentation): 张德胜 → [zhāng, dé, shèng]."""
    return [pinyin_dict.pinyin_dict.get(ord(c), c).split(",")[0] for c in text]


def year_range(text: str) -> tuple[int, int] | None:
    """``1947`` → (1947, 1947); ``1947?``/``约1947`` → (1946, 1948); ``1940s``/``40年代`` → (1940, 1949); ``1946-1948``."""
    text = text.strip()
    if not text:
        return None
    if m := re.fullmatch(r"(\d{4})\s*[-–~至到]\s*(\d{4})", text):
        a, b = sorted((int(m[1]), int(m[2])))
        return a, b
    if m := re.fullmatch(r"(\d{3})0\s*(?:s|年代)", text):
        return int(m[1]) * 10, int(m[1]) * 10 + 9
    if m := re.fullmatch(r"(?:19)?([2-9])0\s*年代", text):
        return 1900 + int(m[1]) * 10, 1909 + int(m[1]) * 10
    if m := re.search(r"(\d{4})", text):
        year = int(m[1])
        approximate = bool(re.search(r"[?？约左右前后大概]", text))
        return (year - 1, year + 1) if approximate else (year, year)
    return None


def _name_score(clue: str, name: str, key: str) -> tuple[float, str]:
    """Against the name and its variants as the name key holds them (already simplified, lower case)."""
    simple = to_simplified(clue).lower()
    sound = _readings(simple)
    best, why = 0.0, ""
    for target in key.split("|"):
        if simple == target:
            how = "繁简转换后一致" if simple != clue else "一致"
            alias = "" if target == to_simplified(name) else f"（别名{target}）"
            return 50.0, f"姓名{how}{alias}"
        chars = fuzz.ratio(simple, target)
        heard = _readings(target)
        sounds = fuzz.ratio(sound, heard)
        if sounds == 100 and 45.0 > best:
            best, why = 45.0, f"姓名同音（{' '.join(heard)}）：{clue}与{target}"
        score = max(chars, sounds * 0.9) / 100 * 40
        if score > best:
            best, why = score, f"姓名相近：{clue}与{target}（字形{chars:.0f}%，读音{sounds:.0f}%）"
    return best, why


def _year_score(clue: tuple[int, int] | None, death: str | None) -> tuple[float, str]:
    if clue is None or not death:
        return 0.0, ""
    lo, hi = earliest(death)[0], latest(death)[0]
    if lo <= clue[1] and clue[0] <= hi:
        return 10.0, f"牺牲年份相符（记录{death}）"
    gap = min(abs(clue[0] - hi), abs(lo - clue[1]))
    if gap <= 2:
        return 4.0, f"牺牲年份相差{gap}年（记录{death}）"
    return 0.0, ""


@lru_cache(maxsize=4096)
def _prefix(chars: tuple[str, ...]) -> ColumnElement[bool]:
    """Name keys starting with one of ``chars``: an index range each (built once per surname set)."""
    return or_(*(and_(Martyr.name_key >= c, Martyr.name_key < c + _TOP) for c in chars))


def match(*, session: Session, actor: Actor, clue: MatchIn) -> MatchOut:
    name = normalize_person_name(clue.name) if clue.name.strip() else ""
    place = hometowns.resolve(session, clue.hometown) if clue.hometown else None
    years = year_range(clue.death_year)
    # Candidate sets from indexes, the most specific first, until MAX_CANDIDATES.
    queries: list[ColumnElement[bool]] = []
    if name:
        simple = to_simplified(name).lower()
        first = simple[0]
        alike = surname_variants(first)
        queries.append(_prefix((simple,)))
        if place is not None:
            queries.append(and_(_prefix(alike), scoped(Martyr.hometown_division_code, place.code)))
        if len(simple) > 1:
            queries.append(_prefix(tuple(a + b for a in alike for b in surname_variants(simple[1]))))
        queries.append(_prefix((first,)))
        queries.append(_prefix(alike))
    if place is not None:
        queries.append(scoped(Martyr.hometown_division_code, place.code))
    if not queries:
        return MatchOut(items=[], hometown_codes=[])
    columns = (Martyr.id, Martyr.name, Martyr.name_key, Martyr.hometown, Martyr.hometown_division_code, Martyr.unit,
               Martyr.death_date)
    rows: dict[int, Row] = {}
    for condition in queries:
        if len(rows) >= MAX_CANDIDATES:
            break
        stmt = (select(*columns).where(condition, scoped(Martyr.division_code, actor.scope))
                .limit(MAX_CANDIDATES - len(rows)))
        for row in session.execute(stmt):
            rows.setdefault(row.id, row)
    items = []
    unit = to_simplified(clue.unit.strip())
    for martyr in rows.values():
        score, reasons = 0.0, []
        if name:
            s, why = _name_score(name, martyr.name, martyr.name_key)
            score += s
            if why:
                reasons.append(why)
        if place is not None and martyr.hometown_division_code:
            code = martyr.hometown_division_code
            if code.startswith(place.code) or place.code.startswith(code):
                score += 25 if len(code) == len(place.code) else 15
                reasons.append(f"籍贯相符：{place.how}，记录为{martyr.hometown or code}")
        if unit and martyr.unit:
            u = fuzz.partial_ratio(unit, to_simplified(martyr.unit))
            if u >= 60:
                score += u / 100 * 15
                reasons.append(f"部队番号相近（{u:.0f}%）：{martyr.unit}")
        s, why = _year_score(years, martyr.death_date)
        score += s
        if why:
            reasons.append(why)
        items.append((-round(score, 1), martyr.id, reasons, martyr))
    items.sort(key=lambda i: (i[0], i[1]))
    return MatchOut(items=[MatchItem(martyr_id=m.id, name=m.name, score=-neg, reasons=reasons, hometown=m.hometown,
                                     unit=m.unit, death_date=m.death_date)
                           for neg, _, reasons, m in items[: clue.limit]],
                    hometown_codes=[place.code] if place else [])
