"""Interval rules are seen within the jurisdiction: rules per kind everywhere, rules of one facility only there."""

from __future__ import annotations

import pytest

from tests.factories import DEMO_DISTRICT, OTHER_DISTRICT, OTHER_POINT, facility_body

pytestmark = pytest.mark.both_backends  # an outer join

FACILITY = 10  # a demo facility in 红安县


def _rules(api, headers) -> set[tuple]:  # type: ignore[no-untyped-def]
    resp = api.get("/api/v1/interval-rules", headers=headers)
    assert resp.status_code == 200, resp.text
    return {(r["level"], r["kind"], r["facility_id"], r["days"]) for r in resp.json()}


def _set(api, headers, **rule) -> None:  # type: ignore[no-untyped-def]
    resp = api.put("/api/v1/interval-rules", json=rule, headers=headers)
    assert resp.status_code == 200, resp.text


def test_each_county_sees_its_own_facility_rules_and_every_kind_rule(demo_api):
    ours, theirs = demo_api.user("planner", DEMO_DISTRICT), demo_api.user("planner", OTHER_DISTRICT)
    lon, lat = OTHER_POINT
    created = demo_api.post("/api/v1/facilities", headers=theirs, json=facility_body(
        division_code=OTHER_DISTRICT, longitude=lon, latitude=lat, address="麻城市"))
    assert created.status_code == 201, created.text
    other_facility = created.json()["id"]
    _set(demo_api, demo_api.user("admin", ""), level="county_check", kind="cemetery", days=120)
    _set(demo_api, ours, level="county_check", facility_id=FACILITY, days=90)
    _set(demo_api, theirs, level="city_spot_check", facility_id=other_facility, days=200)

    kind_rule = ("county_check", "cemetery", None, 120)
    our_rule = ("county_check", None, FACILITY, 90)
    their_rule = ("city_spot_check", None, other_facility, 200)
    assert _rules(demo_api, ours) == {kind_rule, our_rule}
    assert _rules(demo_api, demo_api.user("viewer", DEMO_DISTRICT)) == {kind_rule, our_rule}
    assert _rules(demo_api, theirs) == {kind_rule, their_rule}
    assert _rules(demo_api, demo_api.user("viewer", OTHER_DISTRICT)) == {kind_rule, their_rule}
    assert _rules(demo_api, demo_api.user("admin", "")) == {kind_rule, our_rule, their_rule}
