"""Names as people type them, and the keys they are searched by.

Registers are full of names typed with full-width spaces, stray commas and
a mix of simplified and traditional characters (張德勝 for 张德胜). Names are
cleaned on the way in; searches compare a simplified, lower-case key so
either script finds the other.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Middle dots used in transliterated minority and foreign names (阿不都·热合曼).
_DOTS = "·•‧・∙⋅᛫・"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef\uf900-\ufaff"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def _collapse_spaces(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    # No spaces between Chinese characters: "张 德胜" is 张德胜.
    return re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", text)


_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be kept in the register, or None when it can.

    NUL and the other C0 control characters (tab, newline and carriage
    return excepted) never belong in a record, and PostgreSQL cannot store
    NUL at all; a lone surrogate (``\\ud800`` in JSON) is not text.

    >>> unstorable("七里坪镇\\n王家湾") is None
    True
    >>> unstorable("a\\x00b")
    'contains the control character U+0000, which cannot be stored; remove it'
    """
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return "is not valid Unicode text (a lone surrogate)"
    return f"contains the control character U+{ord(char):04X}, which cannot be stored; remove it"


def clean_text(value: str) -> str:
    """Trim and collapse runs of spaces, full-width (U+3000) and control ones included."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in value)
    return re.sub(r"\s+", " ", text).strip()


def normalize_person_name(value: str) -> str:
    """Clean a person's name; raise ``ValueError`` if nothing is left.

    Full-width spaces and stray punctuation go; the middle dot of
    transliterated names is kept (one ``·`` between parts), as are hyphens
    and apostrophes inside Latin names.

    >>> normalize_person_name("　张　德胜，")
    '张德胜'
    >>> normalize_person_name("阿不都 • 热合曼")
    '阿不都·热合曼'
    """
    text = unicodedata.normalize("NFKC", value)
    text = "".join("·" if ch in _DOTS else ch for ch in text)
    # A full stop between Chinese characters is a mistyped middle dot (阿不都．热合曼).
    text = re.sub(rf"(?<=[{_CJK}])\s*\.\s*(?=[{_CJK}])", "·", text)
    kept = []
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if ch == "·":
            kept.append(ch)
        elif cat.startswith("P") or cat.startswith("S"):
            inner = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
            if ch in "-'" and inner and text[i - 1].isascii() and text[i + 1].isascii():
                kept.append(ch)
            else:
                kept.append(" ")
        elif cat.startswith("C"):
            kept.append(" ")
        else:
            kept.append(ch)
    text = _collapse_spaces("".join(kept))
    text = re.sub(r"\s*·\s*", "·", text)
    text = re.sub(r"·{2,}", "·", text).strip("· ")
    if not text:
        raise ValueError("is empty once spaces and punctuation are removed")
    return text


def normalize_place_name(value: str) -> str:
    """Clean a facility or place name: spaces and stray punctuation at the ends.

    Brackets inside a name are kept: ``七里坪镇零散烈士墓（王家湾）``.

    >>> normalize_place_name("　七里坪镇 烈士墓（王家湾）。 ")
    '七里坪镇烈士墓（王家湾）'
    """
    text = _collapse_spaces(clean_text(value))
    text = text.strip(" ,.;:!?、，。；：！？'\"“”‘’`~-_*#")
    if not text:
        raise ValueError("is empty once spaces and punctuation are removed")
    return text


def search_key(*names: str) -> str:
    """The key a text search compares: simplified, lower case, ``|``-joined.

    >>> search_key("張德勝", "张老三")
    '张德胜|张老三'
    """
    parts = []
    for name in names:
        if not name:
            continue
        key = to_simplified(unicodedata.normalize("NFKC", name)).lower()
        key = re.sub(r"\s+", "", key)
        if key and key not in parts:
            parts.append(key)
    return "|".join(parts)


def query_key(query: str) -> str:
    """Turn a search query into the form stored in search keys."""
    return search_key(query.replace("|", " "))


def like_escape(text: str) -> str:
    """Escape ``%``, ``_`` and ``\\`` for a SQL LIKE pattern (used with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@lru_cache(maxsize=65_536)
def _han_initial(char: str) -> str:
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(char, style=Style.FIRST_LETTER)
    return letters[0][:1].lower() if letters and letters[0][:1].isalpha() else ""


_HAN_OR_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+")


def pinyin_initials(*names: str) -> str:
    """Pinyin initials of each name (张德胜 → ``zds``; 張德勝 too; a Latin word gives its first letter), ``|``-joined.

    One character at a time (a name is no phrase), each looked up once:
    millions of names take seconds.

    >>> pinyin_initials("张德胜", "張德勝", "阿不都·热合曼")
    'zds|abdrhm'
    """
    out: list[str] = []
    for name in names:
        key = "".join(_han_initial(t) if len(t) == 1 and re.match(rf"[{_CJK}]", t) else t[0].lower()
                      for t in _HAN_OR_WORD.findall(name))
        if key and key not in out:
            out.append(key)
    return "|".join(out)[:60]


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in re.findall(r"\w+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str | None, b: str | None) -> float:
    """Shared trigrams over all trigrams of both words, as PostgreSQL's ``pg_trgm`` ``similarity()`` counts them.

    SQLite registers it as ``similarity`` so a fuzzy name search means the
    same on both backends.

    >>> round(trigram_similarity("张德胜", "张德明"), 2)
    0.33
    """
    if a is None or b is None:
        return 0.0
    x, y = _trigrams(a), _trigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0
