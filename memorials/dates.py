"""Partial dates: often only the year or the month of a death is known.

A partial date is stored as text in one of three shapes, ``YYYY``,
``YYYY-MM`` or ``YYYY-MM-DD``, and never padded with an invented day. The
text sorts correctly and compares by prefix (``1938`` contains
``1938-05-12``).
"""

from __future__ import annotations

import re
from datetime import date

from memorials import clock

_SHAPES = (
    re.compile(r"^(\d{4})$"),
    re.compile(r"^(\d{4})-(\d{1,2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
)
_CHINESE = re.compile(r"^(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?$")

EARLIEST_YEAR = 1800


def parse_partial_date(value: str, *, today: date | None = None) -> str:
    """Check a partial date and return it in canonical form.

    Accepts ``1938``, ``1938-5``, ``1938-05-12``, ``1938/05/12``,
    ``1938.05`` and ``1938年5月12日``; raises ``ValueError`` with the reason.

    >>> parse_partial_date("1938年5月")
    '1938-05'
    >>> parse_partial_date("1938-02-30")
    Traceback (most recent call last):
    ValueError: 1938-02-30 is not a real date
    """
    text = value.strip().replace("/", "-").replace(".", "-")
    match = _CHINESE.match(text)
    parts: list[str] | None = None
    if match:
        parts = [p for p in match.groups() if p]
    else:
        for shape in _SHAPES:
            m = shape.match(text)
            if m:
                parts = list(m.groups())
                break
    if parts is None:
        raise ValueError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(parts[0])
    today = today or clock.today()  # the bureau's day, not the server's
    if not EARLIEST_YEAR <= year <= today.year:
        raise ValueError(f"year {year} is out of range ({EARLIEST_YEAR}-{today.year})")
    if len(parts) == 1:
        return f"{year:04d}"
    month = int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist")
    if len(parts) == 2:
        return f"{year:04d}-{month:02d}"
    day = int(parts[2])
    try:
        full = date(year, month, day)
    except ValueError:
        raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is not a real date") from None
    if full > today:
        raise ValueError(f"{full.isoformat()} is in the future")
    return full.isoformat()


def earliest(value: str) -> tuple[int, int, int]:
    """The first day a partial date can mean, as (year, month, day)."""
    parts = [int(p) for p in value.split("-")]
    return (parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def latest(value: str) -> tuple[int, int, int]:
    """The last day a partial date can mean, as (year, month, day); day 31 stands for month end."""
    parts = [int(p) for p in value.split("-")]
    return (parts[0], parts[1] if len(parts) > 1 else 12, parts[2] if len(parts) > 2 else 31)


def may_precede(first: str, second: str) -> bool:
    """True unless ``first`` certainly falls after ``second`` (birth after death)."""
    return earliest(first) <= latest(second)
