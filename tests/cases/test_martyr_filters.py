"""Families trace martyrs by hometown (old or new name), unit, battle and year of death."""

from __future__ import annotations


def _names(api, **params) -> set[str]:  # type: ignore[no-untyped-def]
    answer = api.get("/api/v1/martyrs", params={**params, "limit": 500}, headers=api.user("viewer"))
    assert answer.status_code == 200, answer.text
    return {m["name"] for m in answer.json()["items"]}


def test_martyr_list_filters_by_hometown_unit_battle_and_year(demo_api):
    api = demo_api
    old, new = _names(api, hometown="黄安县"), _names(api, hometown="红安县")
    assert "张德胜" in old and "张德胜" in new
    assert "胡大有" not in new and "胡大有" in _names(api, hometown="鄄城")
    assert _names(api, unit="鄂东军", death_year=1927) >= {"张德胜"}
    assert all(n != "胡大有" for n in _names(api, death_year=1927))
    assert "张德胜" in _names(api, battle="黄麻起义")
    assert api.get("/api/v1/martyrs", params={"death_year": "old"}, headers=api.user("viewer")).status_code == 422
    page = api.get("/martyrs", params={"hometown": "黄安", "death_year": 1927}, headers=api.user("viewer"))
    assert page.status_code == 200 and "张德胜" in page.text
