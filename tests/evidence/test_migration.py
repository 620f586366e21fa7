"""Migration 0005 moves every inspection photo into ``attachments`` and back, on both backends."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from evidence.models import Attachment
from inspections.models import Inspection
from memorials.db import UTCDateTime, create_db_engine, session_factory, transaction
from memorials.migrate import current_revision, downgrade, head_revision, upgrade
from memorials.users import create_user
from tests.factories import PASSWORD

BEFORE = "0004_photo_reuse"
MOMENT = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
PHOTOS = sa.table(  # as release 0004 declared it
    "inspection_photos", sa.column("taken_at", UTCDateTime()), sa.column("gap_flagged", sa.Boolean()),
    *(sa.column(name) for name in (
        "inspection_id", "position", "sha256", "filename", "format", "size_bytes", "width", "height",
        "gps_longitude", "gps_latitude", "distance_m", "verification", "device_longitude", "device_latitude",
        "device_gap_m")))


def _photo(inspection_id: int, position: int, verification: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "inspection_id": inspection_id, "position": position, "sha256": f"{inspection_id:02x}{position:02x}" * 16,
        "filename": f"IMG_{position}.jpg", "format": "JPEG", "size_bytes": 1000 + position, "width": 4000,
        "height": 3000, "taken_at": None, "gps_longitude": None, "gps_latitude": None, "distance_m": None,
        "verification": verification, "device_longitude": None, "device_latitude": None, "device_gap_m": None,
        "gap_flagged": False,
    }
    row.update(extra)
    return row


def _inspections_at_0004(engine: Engine) -> list[dict[str, object]]:
    """Two inspections with four photos between them, written as release 0004 wrote them."""
    with transaction(session_factory(engine, write=True)) as session:
        user = create_user(session=session, username="old_inspector", password=PASSWORD, role="inspector",
                           jurisdiction="421122")
        ids = []
        for facility_id in (10, 11):
            # Core insert of the columns release 0004 had (the model has grown since).
            ids.append(session.execute(insert(Inspection.__table__).values(
                facility_id=facility_id, division_code="421122101", level="patrol", inspector_id=user.id,
                inspector_name="old_inspector", performed_at=MOMENT, period="2026-11", checklist={}, grade="good",
                notes="", photo_count=2, verified_count=1, created_at=MOMENT)).inserted_primary_key[0])
    rows = [
        _photo(ids[0], 0, "verified", taken_at=MOMENT, gps_longitude=114.7, gps_latitude=31.4, distance_m=12.5,
               device_longitude=114.7001, device_latitude=31.4001, device_gap_m=14.2),
        _photo(ids[0], 1, "reused", taken_at=MOMENT),
        _photo(ids[1], 0, "far", gps_longitude=115.0, gps_latitude=31.0, distance_m=3200.0, gap_flagged=True,
               device_longitude=114.9, device_latitude=31.1, device_gap_m=9000.0),
        _photo(ids[1], 1, "no_gps", filename="墓碑.jpg"),
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(PHOTOS), rows)
    return rows


def _key(row: dict[str, object]) -> tuple:
    return tuple(row[name] for name in ("inspection_id", "position", "sha256", "filename", "verification",
                                        "distance_m", "gap_flagged"))


@pytest.mark.parametrize("backend", ["sqlite", "postgis"], indirect=True)
def test_inspection_photos_at_0004_are_all_attachments_at_0005_and_come_back_on_downgrade(demo_db_url):
    engine = create_db_engine(demo_db_url)
    try:
        downgrade(engine, BEFORE)
        assert current_revision(engine) == BEFORE
        rows = _inspections_at_0004(engine)

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert "inspection_photos" not in sa.inspect(engine).get_table_names()
        with transaction(session_factory(engine)) as session:
            moved = list(session.scalars(sa.select(Attachment).order_by(Attachment.owner_id, Attachment.position)))
            assert [(a.owner_type, a.owner_id, a.position, a.sha256, a.filename, a.verification, a.distance_m,
                     a.gap_flagged) for a in moved] == [("inspection", *_key(r)[:2], *_key(r)[2:]) for r in rows]
            assert {a.kind for a in moved} == {"photo"} and {a.format for a in moved} == {"JPEG"}
            first = moved[0]
            assert (first.taken_at, first.gps_longitude, first.gps_latitude, first.device_longitude,
                    first.device_gap_m, first.width, first.height, first.size_bytes) == \
                (MOMENT, 114.7, 31.4, 114.7001, 14.2, 4000, 3000, 1000)
            assert first.created_at == MOMENT  # when its inspection was filed
            inspection = session.get(Inspection, rows[2]["inspection_id"])
            assert [p.verification for p in inspection.photos] == ["far", "no_gps"]

        downgrade(engine, BEFORE)
        with engine.connect() as conn:
            back = [dict(r._mapping) for r in conn.execute(sa.select(PHOTOS).order_by(PHOTOS.c.inspection_id,
                                                                                      PHOTOS.c.position))]
        assert [_key(r) for r in back] == [_key(r) for r in rows]
        assert back[0]["taken_at"] == MOMENT and back[0]["device_gap_m"] == 14.2
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_downgrade_refuses_while_attachments_exist_that_0004_cannot_hold(demo_db_url):
    engine = create_db_engine(demo_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(Attachment.__table__), [{
                "owner_type": "inspection", "owner_id": 1, "position": 0, "kind": "document", "sha256": "ab" * 32,
                "filename": "同意书.pdf", "format": "PDF", "size_bytes": 1234, "pages": 2, "gap_flagged": False,
                "created_at": MOMENT}])
        with pytest.raises(RuntimeError, match="1 attachments are not inspection photos"):
            downgrade(engine, BEFORE)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(Attachment.__table__)).scalar_one() == 1
    finally:
        engine.dispose()
