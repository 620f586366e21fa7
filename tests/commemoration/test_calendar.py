"""Qingming from the solar terms: dates published by the Purple Mountain Observatory's almanac, not by our code."""

from __future__ import annotations

from datetime import date

import pytest

from commemoration.calendar import martyrs_day, next_qingming, qingming
from memorials.errors import ValidationProblem

# 清明 in Beijing time, as printed in the Chinese almanac (中国天文年历) for these years.
PUBLISHED = {2008: date(2008, 4, 4), 2019: date(2019, 4, 5), 2020: date(2020, 4, 4), 2024: date(2024, 4, 4),
             2025: date(2025, 4, 4), 2026: date(2026, 4, 5)}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_qingming_matches_the_almanac(year):
    assert qingming(year) == PUBLISHED[year]


def test_qingming_falls_on_4_to_6_april_for_two_centuries():
    assert {qingming(y).day for y in range(1900, 2101)} <= {4, 5, 6}
    assert all(qingming(y).month == 4 for y in range(1900, 2101))


def test_next_qingming_rolls_over_after_the_day():
    assert next_qingming(date(2026, 4, 5)) == date(2026, 4, 5)
    assert next_qingming(date(2026, 4, 6)) == qingming(2027)


def test_martyrs_day_is_fixed_by_law_from_2014():
    assert martyrs_day(2027) == date(2027, 9, 30)
    with pytest.raises(ValidationProblem):
        martyrs_day(2013)


def test_the_calendar_route(api):
    resp = api.get("/api/v1/calendar/qingming", params={"year": 2026})
    assert resp.status_code == 200
    assert resp.json()["date"] == "2026-04-05"
    assert api.get("/api/v1/calendar/qingming", params={"year": 1800}).status_code == 422
    assert api.get("/api/v1/calendar/martyrs-day", params={"year": 2026}).json()["date"] == "2026-09-30"
