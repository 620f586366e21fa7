"""Deep pages by cursor: every row once, in order, whatever the page size; bad cursors are refused by name."""

from __future__ import annotations

import pytest

from memorials.paging import encode_cursor
from tests.factories import facility_body, martyr_body

pytestmark = pytest.mark.both_backends  # the nearest-first order comes from each backend's index

LIST = "/api/v1/facilities"


@pytest.fixture
def planner(api):
    return api.user("planner")


@pytest.fixture
def facilities(api, planner):
    """23 graves on a line; two pairs share a position, so the nearest-first order has ties."""
    ids = []
    for n in range(23):
        lon = 114.70 + (n // 2 if n in (4, 5, 10, 11) else n) * 0.001
        resp = api.post(LIST, json=facility_body(longitude=lon, latitude=31.45), headers=planner)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    return ids


def _walk(api, headers, params, limit):
    seen, pages, cursor = [], 0, None
    while True:
        page = api.get(LIST, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})},
                       headers=headers).json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(page["items"]) == limit
        assert pages < 100


@pytest.mark.parametrize("limit", [1, 7])
def test_pages_by_code_hold_every_facility_once_in_order(api, planner, facilities, limit):
    everything = api.get(LIST, params={"limit": 1000}, headers=planner).json()
    assert everything["next_cursor"] is None and everything["total_estimated"] is False
    walked, pages = _walk(api, planner, {}, limit)
    assert [f["id"] for f in walked] == [f["id"] for f in everything["items"]]
    assert len({f["id"] for f in walked}) == len(walked) == everything["total"]
    assert [f["code"] for f in walked] == sorted(f["code"] for f in walked)
    assert pages == -(-len(walked) // limit)


@pytest.mark.parametrize("limit", [3])
def test_pages_nearest_first_hold_every_facility_once_ties_by_id(api, planner, facilities, limit):
    near = {"near": "114.7051,31.45"}
    everything = api.get(LIST, params={**near, "limit": 1000}, headers=planner).json()["items"]
    walked, _ = _walk(api, planner, near, limit)
    assert [f["id"] for f in walked] == [f["id"] for f in everything]
    keys = [(f["distance_m"], f["id"]) for f in walked]
    assert keys == sorted(keys)
    assert set(facilities) <= {f["id"] for f in walked}


def test_a_facility_added_between_pages_causes_no_duplicate_or_gap(api, planner, facilities):
    first = api.get(LIST, params={"limit": 10}, headers=planner).json()
    api.post(LIST, json=facility_body(code="000000-0001"), headers=planner)  # sorts before every code seen
    rest, _ = _walk(api, planner, {"cursor": first["next_cursor"]}, 10)
    ids = [f["id"] for f in first["items"] + rest]
    assert len(ids) == len(set(ids))
    assert set(facilities) <= set(ids)


def test_offset_pages_still_work(api, planner, facilities):
    everything = api.get(LIST, params={"limit": 1000}, headers=planner).json()["items"]
    page = api.get(LIST, params={"limit": 5, "offset": 5}, headers=planner).json()
    assert [f["id"] for f in page["items"]] == [f["id"] for f in everything[5:10]]
    assert page["total"] == len(everything) and page["total_estimated"] is False


@pytest.mark.parametrize("cursor", ["garbage!", "eyJhIjoxfQ", encode_cursor("near", [12.5, 3]),
                                    encode_cursor("code", [1]), encode_cursor("code", ["x", "y"]), "x" * 900])
def test_a_bad_cursor_is_refused_naming_it(api, planner, cursor):
    resp = api.get(LIST, params={"cursor": cursor}, headers=planner)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_cursor_and_offset_together_are_refused(api, planner, facilities):
    cursor = api.get(LIST, params={"limit": 5}, headers=planner).json()["next_cursor"]
    resp = api.get(LIST, params={"cursor": cursor, "offset": 5}, headers=planner)
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["query", "offset"]


def test_a_nearest_cursor_sent_to_the_list_by_code_is_refused(api, planner, facilities):
    cursor = api.get(LIST, params={"limit": 5, "near": "114.7,31.45"}, headers=planner).json()["next_cursor"]
    resp = api.get(LIST, params={"cursor": cursor}, headers=planner)
    assert resp.status_code == 422 and "ordering" in resp.json()["detail"][0]["msg"]


def test_martyr_pages_by_cursor(api, planner):
    for n in range(9):
        api.post("/api/v1/martyrs", json=martyr_body(name=f"张{'德明华国文建志永春'[n]}胜"), headers=planner)
    everything = api.get("/api/v1/martyrs", params={"q": "张", "limit": 100}, headers=planner).json()
    cursor, walked = None, []
    while True:
        page = api.get("/api/v1/martyrs", params={"q": "张", "limit": 4, **({"cursor": cursor} if cursor else {})},
                       headers=planner).json()
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [m["id"] for m in walked] == [m["id"] for m in everything["items"]]
    assert len(walked) == everything["total"] == 9
    bad = api.get("/api/v1/martyrs", params={"cursor": "nope"}, headers=planner)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]
