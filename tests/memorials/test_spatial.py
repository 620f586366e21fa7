"""Spatial filters on both backends: right answers, and served by the spatial index."""

import pytest
from sqlalchemy import select, text

from gis.geodesy import BBox, haversine_m
from memorials.actors import SYSTEM
from memorials.db import backend_name
from memorials.facilities import FacilityQuery, create_facility, list_facilities
from memorials.models import Facility
from memorials.schemas import FacilityCreate
from memorials.spatial import spatial_index
from tests.factories import facility_body

pytestmark = pytest.mark.both_backends

CENTER = (114.62, 31.29)


def _listed(**kwargs):
    page = list_facilities(**kwargs)
    return page.rows, page.total


@pytest.fixture
def grid(session):
    """A 10 x 10 grid of graves, 0.01 degree apart, around CENTER."""
    made = []
    for i in range(10):
        for j in range(10):
            body = facility_body(longitude=CENTER[0] - 0.05 + i * 0.01, latitude=CENTER[1] - 0.05 + j * 0.01,
                                 name=f"网格烈士墓{i}-{j}")
            made.append(create_facility(session=session, data=FacilityCreate(**body), actor=SYSTEM))
    session.flush()
    return made


def test_bbox_returns_exactly_the_points_inside(session, grid):
    box = BBox(114.6, 31.27, 114.63, 31.30)
    rows, total = _listed(session=session, query=FacilityQuery(bbox=box), actor=SYSTEM, limit=1000)
    expected = {f.id for f in grid if box.contains(f.longitude, f.latitude)}
    assert {f.id for f, _ in rows} == expected
    assert total == len(expected) > 0


def test_within_metres(session, grid):
    rows, total = _listed(session=session, query=FacilityQuery(near=CENTER, within_m=1500), actor=SYSTEM,
                                  limit=1000)
    expected = {f.id for f in grid if haversine_m(*CENTER, f.longitude, f.latitude) <= 1500}
    assert {f.id for f, _ in rows} == expected
    distances = [d for _, d in rows]
    assert distances == sorted(distances)


def test_nearest_k_in_order(session, grid):
    rows, total = _listed(session=session, query=FacilityQuery(near=(114.6413, 31.3087)), actor=SYSTEM,
                                  limit=5)
    assert total == 100
    by_distance = sorted(grid, key=lambda f: haversine_m(114.6413, 31.3087, f.longitude, f.latitude))
    assert [f.id for f, _ in rows] == [f.id for f in by_distance[:5]]
    assert rows[0][1] == pytest.approx(haversine_m(114.6413, 31.3087, rows[0][0].longitude, rows[0][0].latitude),
                                       rel=1e-6)


def test_nearest_far_away_widens_the_search(session, grid):
    rows, _ = _listed(session=session, query=FacilityQuery(near=(87.6, 43.8)), actor=SYSTEM, limit=3)
    assert len(rows) == 3 and rows[0][1] > 2_000_000


def test_moved_facility_is_found_at_its_new_place(session, grid):
    f = grid[0]
    f.longitude, f.latitude = 116.4, 39.9
    session.flush()
    rows, _ = _listed(session=session, query=FacilityQuery(bbox=BBox(116.3, 39.8, 116.5, 40.0)),
                              actor=SYSTEM)
    assert [x.id for x, _ in rows] == [f.id]


def _plan(session, stmt) -> str:
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if backend_name(session) == "sqlite":
        return " ".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    return " ".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))


def test_spatial_filters_use_the_index(session, grid):
    index = spatial_index(session)
    bbox_plan = _plan(session, select(Facility.id).where(index.in_bbox(BBox(114.6, 31.27, 114.63, 31.30))))
    near_plan = _plan(session, select(Facility.id).where(index.within_m(*CENTER, 1000)))
    if backend_name(session) == "sqlite":
        assert "facility_rtree VIRTUAL TABLE INDEX" in bbox_plan
        assert "facility_rtree VIRTUAL TABLE INDEX" in near_plan
    else:
        assert "ix_facilities_geom" in bbox_plan
        assert "ix_facilities_geog" in near_plan
        knn = _plan(session, select(Facility.id).order_by(index.nearest_order(*CENTER)).limit(3))
        assert "ix_facilities_geog" in knn
