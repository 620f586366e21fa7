"""The national queries read their indexes: plans on a few thousand analysed rows, and estimated totals.

No ``enable_seqscan = off``: on PostGIS the rows are vacuumed and analysed
(as autovacuum would) and the planner must choose the index by itself; on SQLite ``EXPLAIN QUERY PLAN``
must name it. Totals past the cap are the planner's estimate, flagged.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from benchmarks._plans import captured, scans
from gis.geodesy import BBox
from memorials import audit, paging
from memorials.actors import SYSTEM
from memorials.db import backend_name
from memorials.facilities import FacilityQuery, list_facilities
from memorials.martyrs import list_martyrs
from memorials.models import AuditEntry, Division, Facility, Martyr, User
from memorials.text import pinyin_initials, search_key

pytestmark = pytest.mark.both_backends

ROWS = 4_000
MARTYRS = 30_000
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "德明华国文建志永春金玉秀英光荣世振学俊成"


@pytest.fixture
def registry(session):
    """ROWS facilities over real counties, MARTYRS martyrs, five audit entries for each of 400 facilities."""
    rng = random.Random(3)
    counties = session.execute(select(Division.code, Division.longitude, Division.latitude).where(
        Division.level == "county", Division.longitude.is_not(None)).limit(200)).all()
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(ROWS):
        code, lon, lat = counties[i % len(counties)]
        rows.append({"code": f"T-{i:06d}", "name": f"测试设施{i}", "name_key": f"测试设施{i}", "kind": "scattered_grave",
                     "protection_level": "unrated", "status": "in_use", "division_code": code, "address": "",
                     "longitude": lon + rng.uniform(-0.1, 0.1), "latitude": lat + rng.uniform(-0.1, 0.1),
                     "custodian": "", "custodian_person": "", "patrol_interval_days": 30, "description": "",
                     "created_at": now, "updated_at": now, "version": 1})
    ids = list(session.scalars(insert(Facility).returning(Facility.id), rows))
    martyrs = []
    for _ in range(MARTYRS):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        martyrs.append({"name": name, "name_variants": [], "name_key": search_key(name),
                        "name_initials": pinyin_initials(name), "gender": "male", "division_code": counties[0][0],
                        "created_at": now, "updated_at": now, "version": 1})
    session.execute(insert(Martyr), martyrs)
    session.execute(insert(AuditEntry), [
        {"at": now + timedelta(minutes=n), "user_id": None, "username": "t", "entity": "facility",
         "entity_id": str(fid), "action": "update", "old": {}, "new": {}} for fid in ids[:400] for n in range(5)])
    session.flush()
    if backend_name(session) == "postgresql":
        session.commit()  # then as autovacuum would: statistics, and the GIN index's pending entries merged
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
    return ids, counties


def _read(session, work) -> str:
    """Every scan of the statements ``work`` runs: ``node table index`` (PostGIS) or SQLite's plan lines.

    Capped counts are left out, on their own or riding in a page's statement:
    counting at most ``COUNT_CAP + 1`` rows of a whole list in table order is
    what they are meant to do.
    """
    with captured(session.get_bind()) as seen:
        work()
    lines = []
    for statement, parameters in seen:
        if statement.startswith("SELECT count(*)") and "LIMIT" in statement:
            continue
        if backend_name(session) == "postgresql":
            lines += [" ".join(scan) for scan in scans(session, statement, parameters, capped_counts=False)]
        else:
            plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            lines += [str(row[-1]) for row in plan]
    return "\n".join(lines)


def _no_table_scan(plan: str, *tables: str) -> None:
    for table in tables:
        assert f"Seq Scan {table}" not in plan and f"SCAN {table}\n" not in plan + "\n", plan


def test_facility_queries_read_their_indexes(session, registry):
    ids, counties = registry
    pg = backend_name(session) == "postgresql"
    county = _read(session, lambda: list_facilities(session=session, query=FacilityQuery(division=counties[5][0]),
                                                    actor=SYSTEM))
    assert ("ix_facilities_division_code" in county), county
    _, lon, lat = counties[7]
    box = _read(session, lambda: list_facilities(
        session=session, query=FacilityQuery(bbox=BBox(lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)), actor=SYSTEM))
    assert ("ix_facilities_geom" if pg else "facility_rtree") in box, box
    nearest = _read(session, lambda: list_facilities(session=session, query=FacilityQuery(near=(lon, lat)),
                                                     actor=SYSTEM, limit=20))
    if pg:
        assert "Index Scan facilities ix_facilities_geog" in nearest, nearest  # KNN order, then the radius
    else:
        assert "facility_rtree" in nearest, nearest
    first = list_facilities(session=session, query=FacilityQuery(), actor=SYSTEM, limit=50)
    deep = _read(session, lambda: list_facilities(session=session, query=FacilityQuery(), actor=SYSTEM,
                                                  limit=50, cursor=first.next_cursor))
    assert ("uq_facilities_code" if pg else "(code>?)") in deep, deep
    for plan in (county, box, nearest, deep):
        _no_table_scan(plan, "facilities")


def test_martyr_searches_and_the_audit_trail_read_their_indexes(session, registry):
    ids, _ = registry
    pg = backend_name(session) == "postgresql"
    some = session.scalars(select(Martyr.name).limit(1)).one()
    three = _read(session, lambda: list_martyrs(session=session, actor=SYSTEM, q=some, limit=20))
    initials = _read(session, lambda: list_martyrs(session=session, actor=SYSTEM, q=pinyin_initials(some)[:2]))
    given = _read(session, lambda: list_martyrs(session=session, actor=SYSTEM, q=some[1:], limit=20))
    if pg:
        fuzzy = _read(session, lambda: list_martyrs(session=session, actor=SYSTEM, q=some[:2] + "明", fuzzy=True))
        assert "ix_martyrs_name_key_trgm" in three, three
        assert "ix_martyrs_name_key_trgm" in fuzzy, fuzzy
        _no_table_scan(fuzzy, "martyrs")
        assert "ix_martyrs_name_key_tail" in given, given  # SQLite may walk the name order instead
    assert "ix_martyrs_initials_name" in initials, initials
    trail = _read(session, lambda: audit.history(session=session, entity="facility", entity_id=ids[3]))
    assert "ix_audit_entries_entity_at" in trail, trail
    for plan in (three, initials, given) if pg else (initials,):
        _no_table_scan(plan, "martyrs")
    _no_table_scan(trail, "audit_entries")


def test_totals_past_the_cap_are_the_planners_estimate_and_say_so(session, registry):
    stmt = select(Facility.id)
    total, estimated = paging.count_matching(session, stmt, cap=100)
    if backend_name(session) == "postgresql":
        assert estimated is True and 101 <= total and abs(total - ROWS) < ROWS * 0.2
    else:
        assert (total, estimated) == (ROWS, False)  # SQLite counts: its registries are small
    assert paging.count_matching(session, stmt.where(Facility.code < "T-000050"), cap=100) == (50, False)
    listed = stmt.where(Facility.kind.in_(["scattered_grave", "cemetery"]))   # an IN list (kind=a,b) past the cap
    assert paging.count_matching(session, listed, cap=100)[0] > 100
    page = list_facilities(session=session, query=FacilityQuery(), actor=SYSTEM, limit=10)
    assert (page.total, page.total_estimated) == (ROWS, False)  # under COUNT_CAP: exact


def test_a_provinces_compliance_reads_its_indexes(session, registry):
    """A province's monthly report (``detail=divisions``) adds up in the database from two indexes; on PostGIS
    from the indexes alone (``INCLUDE`` columns), with no facility or patrol read from the table."""
    from inspections.compliance import compliance
    from inspections.models import Inspection

    ids, counties = registry
    user = User(username="plans", role="admin", password_hash="x")
    session.add(user)
    session.flush()
    by_id = dict(session.execute(select(Facility.id, Facility.division_code)).all())
    patrols = [{"facility_id": fid, "division_code": by_id[fid], "level": "patrol", "inspector_id": user.id,
                "inspector_name": "t", "performed_at": datetime(2026, month, 10, 2, tzinfo=timezone.utc),
                "period": f"2026-{month:02d}", "checklist": {}, "grade": "good", "notes": "",
                "unverified_reason": None if fid % 5 else "没有定位"}
               for month in range(1, 10) for fid in ids if (fid + month) % 4]
    session.execute(insert(Inspection), patrols)
    session.flush()
    if backend_name(session) == "postgresql":
        session.commit()
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
    province = counties[0][0][:2]
    plan = _read(session, lambda: compliance(session=session, actor=SYSTEM, division=province, level="patrol",
                                             period_from="2026-09", period_to="2026-09", max_months=36,
                                             today=datetime(2026, 9, 20).date(), detail="divisions"))
    assert "ix_inspections_level_period_division" in plan, plan
    if backend_name(session) == "postgresql":
        assert "Index Only Scan inspections ix_inspections_level_period_division" in plan, plan
        assert "Index Only Scan facilities ix_facilities_division_code" in plan, plan
    _no_table_scan(plan, "facilities", "inspections")


def test_fuzzy_search_reads_few_names_and_finds_every_alike_one(session, registry):
    """The pieces an alike name must share (``martyrs._shared_pieces``, PostGIS) change what is read, not what is
    found: the same names as scoring every martyr with ``similarity() >= 0.3``."""
    from memorials.martyrs import FUZZY_THRESHOLD

    rng = random.Random(7)
    queries = ["王明", "张德明", "李华", "陈国文建", "明华", "赵光荣", "刘德", "黄世振学"]
    queries += [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 3))) for _ in range(12)]
    answered = 0
    for q in queries:
        found = {m.id for m in list_martyrs(session=session, actor=SYSTEM, q=q, fuzzy=True, limit=5_000).items}
        every = set(session.scalars(select(Martyr.id).where(
            func.similarity(Martyr.name_key, q) >= FUZZY_THRESHOLD)))
        assert found == every, q
        answered += bool(every)
    assert answered >= 15
