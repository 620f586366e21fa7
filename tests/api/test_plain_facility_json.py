"""A list page's plain facility JSON is byte for byte what ``FacilityOut`` writes, and its features what
``facility_feature`` builds from the model.

List pages skip the models for speed (``list_facilities(plain=True)``,
``api.geojson.plain_facility``); this holds the two shapes equal on every
facility of the demo district, on pages by code, by cursor and nearest first.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from api.geojson import dumps, facility_feature, plain_facility, plain_feature
from memorials.actors import SYSTEM
from memorials.db import create_db_engine, session_factory, transaction
from memorials.facilities import FacilityQuery, list_facilities
from memorials.models import Facility
from memorials.schemas import FacilityOut

pytestmark = pytest.mark.both_backends


def _pages(session, query: FacilityQuery, limit: int, plain: bool) -> list[tuple[object, float | None]]:
    rows, cursor = [], None
    while True:
        page = list_facilities(session=session, query=query, actor=SYSTEM, limit=limit, cursor=cursor,
                               with_divisions=False, plain=plain)
        rows += page.rows
        if not page.next_cursor:
            return rows
        cursor = page.next_cursor


def test_plain_facility_json_is_what_the_model_writes(demo_db_url):
    engine = create_db_engine(demo_db_url)
    try:
        with transaction(session_factory(engine, write=True)) as s:
            first = s.scalar(select(Facility.id).order_by(Facility.id).limit(1))
            # Whole and fractional seconds, a relocation, a round coordinate: each written the same way.
            s.execute(update(Facility).where(Facility.id == first).values(
                created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                updated_at=datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc),
                longitude=116.0, relocated_to_id=first + 1, description='引号"与\\反斜杠</script>'))
        with transaction(session_factory(engine)) as s:
            lon, lat = s.execute(select(Facility.longitude, Facility.latitude).where(Facility.id == first)).one()
            queries = [FacilityQuery(), FacilityQuery(near=(lon, lat))]
            compared = 0
            for query in queries:
                plain = _pages(s, query, 7, plain=True)
                models = _pages(s, query, 7, plain=False)
                assert len(plain) == len(models) > 10
                for (row, d_plain), (facility, d_model) in zip(plain, models, strict=True):
                    out = FacilityOut.model_validate(facility)
                    out.distance_m = round(d_model, 1) if d_model is not None else None
                    item = plain_facility(row, d_plain)
                    assert dumps(item) == out.model_dump_json().encode()
                    assert dumps(plain_feature(item)) == dumps(facility_feature(out))
                    compared += 1
            assert compared == 2 * len(plain)
    finally:
        engine.dispose()
