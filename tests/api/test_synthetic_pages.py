"""The app's lists, searches and detail pages work on a synthetic registry (``memorials demo --synthetic``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspections.models import Defect, Inspection
from memorials.db import create_db_engine, session_factory, transaction
from memorials.models import Burial, Facility, Martyr
from tests.memorials.test_synthetic import load


@pytest.fixture
def synthetic(db_url) -> dict[str, object]:
    load(db_url, count=60, martyrs=600)
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine)) as s:
        burial = s.scalars(select(Burial).order_by(Burial.id).limit(1)).one()
        grave = s.get(Facility, burial.facility_id)
        martyr = s.get(Martyr, burial.martyr_id)
        found = {"facility": (grave.id, grave.name, grave.division_code), "martyr": (martyr.id, martyr.name),
                 "inspection": s.scalar(select(Inspection.id).limit(1)), "defect": s.scalar(select(Defect.id).limit(1))}
    engine.dispose()
    return found


@pytest.mark.both_backends
def test_lists_searches_and_pages_on_a_synthetic_registry(synthetic, api):
    admin = api.user("admin", jurisdiction="")
    facility_id, facility_name, county = synthetic["facility"]
    martyr_id, martyr_name = synthetic["martyr"]
    listed = api.get("/api/v1/facilities", params={"limit": 20}, headers=admin).json()
    assert len(listed["items"]) == 20
    assert any(f["id"] == facility_id for f in
               api.get("/api/v1/facilities", params={"q": facility_name}, headers=admin).json()["items"])
    assert api.get("/api/v1/facilities", params={"division": county}, headers=admin).json()["items"]
    martyrs = api.get("/api/v1/martyrs", params={"q": martyr_name}, headers=admin).json()["items"]
    assert martyr_id in [m["id"] for m in martyrs]
    burials = api.get(f"/api/v1/facilities/{facility_id}/burials", headers=admin).json()["items"]
    assert martyr_id in [b["martyr_id"] for b in burials]
    for path, params in [("/facilities", {}), ("/facilities", {"q": facility_name}), (f"/facilities/{facility_id}", {}),
                         ("/martyrs", {}), ("/martyrs", {"q": martyr_name[0]}), (f"/martyrs/{martyr_id}", {}),
                         ("/inspections", {}), (f"/inspections/{synthetic['inspection']}", {}), ("/defects", {}),
                         (f"/defects/{synthetic['defect']}", {}), ("/map", {})]:
        resp = api.get(path, params=params, headers=admin)
        assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
    page = api.get("/martyrs", params={"q": martyr_name}, headers=admin).text
    assert martyr_name in page
