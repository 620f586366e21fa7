"""The synthetic registry's year of patrols: monthly, not every facility every month, photo rows and defects that
add up, and photo rows that ``memorials fsck`` counts apart (their files do not exist, by design)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from evidence.models import SYNTHETIC_PREFIX, Attachment
from inspections.checklist import ITEMS
from inspections.models import OWNER_TYPE, Defect, Inspection
from inspections.synthetic import months_up_to
from memorials.db import create_db_engine, session_factory, transaction
from memorials.models import Facility
from tests.memorials.test_synthetic import AS_OF, load


def test_a_year_of_monthly_patrols_with_photo_rows_and_defects(db_url, tmp_path):
    load(db_url, count=120, martyrs=0)
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine)) as s:
        facilities = dict(s.execute(select(Facility.id, Facility.division_code)).all())
        patrols = s.execute(select(Inspection)).scalars().all()
        photos = s.execute(select(Attachment)).scalars().all()
        defects = s.execute(select(Defect)).scalars().all()
    engine.dispose()
    year = {f"{y}-{m + 1:02d}" for y, m in months_up_to(AS_OF, 12)}
    per_month = Counter((p.facility_id, p.period) for p in patrols)
    assert max(per_month.values()) == 1  # at most one patrol a month
    assert {p.period for p in patrols} == year
    share = len(patrols) / (len(facilities) * 12)
    assert 0.65 < share < 0.92  # most months, not all
    patrolled = Counter(p.facility_id for p in patrols)
    assert min(patrolled.get(f, 0) for f in facilities) < 8 and max(patrolled.values()) == 12
    end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 23, 59, tzinfo=timezone.utc)
    for p in patrols:
        assert p.performed_at <= end and p.performed_at.strftime("%Y-%m") == p.period
        assert p.division_code == facilities[p.facility_id] and p.level == "patrol"
    grades = Counter(p.grade for p in patrols)
    assert grades["good"] > grades["fair"] > grades["poor"] > grades["critical"] >= 0
    # Photo rows: 1–4 per patrol, positions 1..n, counts on the patrol that match, marked as synthetic.
    by_patrol: dict[int, list[Attachment]] = {}
    for a in photos:
        assert a.owner_type == OWNER_TYPE and a.kind == "photo" and a.filename.startswith(SYNTHETIC_PREFIX)
        by_patrol.setdefault(a.owner_id, []).append(a)
    for p in patrols:
        mine = by_patrol[p.id]
        assert sorted(a.position for a in mine) == list(range(1, len(mine) + 1)) and 1 <= len(mine) <= 4
        assert p.photo_count == len(mine) and p.verified_count == sum(a.verification == "verified" for a in mine)
        assert (p.unverified_reason is None) == any(a.gps_longitude is not None for a in mine)
        for a in mine:
            assert (a.verification == "verified") == (a.distance_m is not None and a.distance_m <= 200)
    assert 2.0 < len(photos) / len(patrols) < 3.0
    # Defects come from the problems ticked on a patrol of that facility; older ones mostly put right.
    opened = {p.id: p for p in patrols}
    assert defects
    for d in defects:
        p = opened[d.opened_by_id]
        assert d.facility_id == p.facility_id and p.checklist[d.item]["result"] == "problem"
        assert p.grade != "good" and d.category == ITEMS[d.item].category and d.deadline > p.performed_at.date()
        if d.status == "resolved":
            assert d.resolved_at > d.created_at and d.resolution_kind == "note"
    assert {d.status for d in defects} == {"open", "resolved"}


def test_fsck_counts_synthetic_photo_rows_apart(db_url, tmp_path):
    load(db_url, count=5, martyrs=0)
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["fsck"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "synthetic photo rows" in result.output and "0 missing" in result.output
