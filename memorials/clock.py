"""The bureau's time zone: which month a patrol counts for, what "today" is for a deadline.

One setting (``MEMORIALS_TIME_ZONE``, default Asia/Shanghai), read once by the
app factory and the CLI (``configure``) and asked everywhere else through
``zone()`` and ``today()``. China keeps one time zone, but a bureau in
Xinjiang may keep local time (Asia/Urumqi).

>>> configure("Asia/Shanghai"); zone().key
'Asia/Shanghai'
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(name: str) -> None:
    """Use the zone named ``name`` (an IANA name) from now on."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai") from None


def zone() -> ZoneInfo:
    return _zone


def now() -> datetime:
    return datetime.now(_zone)


def today() -> date:
    return now().date()
