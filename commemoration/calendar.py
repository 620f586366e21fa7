"""Commemoration dates: Qingming from the solar terms, Martyrs' Day fixed by law.

Qingming (清明) is the fifth solar term: the day the sun reaches ecliptic
longitude 15°, 4–6 April in Beijing time. Its date comes from ``lunar_python``
(6tail's lunar calendar, MIT), which computes the solar terms astronomically;
nothing here is tabled by hand.

>>> qingming(2026)
datetime.date(2026, 4, 5)
>>> martyrs_day(2027)
datetime.date(2027, 9, 30)
"""

from __future__ import annotations

from datetime import date

from memorials.errors import ValidationProblem

FIRST_YEAR, LAST_YEAR = 1900, 2100


def qingming(year: int) -> date:
    """The Qingming solar term's day in China (UTC+8) of ``year``."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationProblem("year", f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    from lunar_python import Solar

    # The lunar year of 1 June holds this spring's terms under their Chinese names.
    term = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()["清明"]
    day = date(term.getYear(), term.getMonth(), term.getDay())
    if day.year != year:  # pragma: no cover - the library changed what the table holds
        raise RuntimeError(f"lunar_python gave Qingming {day} for {year}")
    return day


def martyrs_day(year: int) -> date:
    """烈士纪念日: 30 September, fixed by the NPC Standing Committee's decision of 31 August 2014."""
    if not 2014 <= year <= LAST_YEAR:
        raise ValidationProblem("year", f"Martyrs' Day exists from 2014 to {LAST_YEAR}")
    return date(year, 9, 30)


def next_qingming(today: date) -> date:
    """This year's Qingming if it has not passed, else next year's."""
    day = qingming(today.year)
    return day if day >= today else qingming(today.year + 1)
