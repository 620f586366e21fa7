"""A list export as a background job: its rows streamed from the database, progress reported as they are
written, the list's filters and order kept."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from memorials import list_jobs
from memorials.actors import SYSTEM
from memorials.exporting import facility_list_sheet
from memorials.facilities import FacilityQuery
from memorials.jobs import JobContext
from memorials.models import Division, Facility

pytestmark = pytest.mark.both_backends

ROWS = 2_500


@pytest.fixture
def registry(session):
    """ROWS facilities over real counties, every third a cemetery."""
    counties = session.scalars(select(Division.code).where(Division.level == "county").limit(50)).all()
    now = datetime.now(timezone.utc)
    session.execute(insert(Facility), [
        {"code": f"T-{i:06d}", "name": f"测试设施{i}", "name_key": f"测试设施{i}",
         "kind": "cemetery" if i % 3 == 0 else "scattered_grave", "protection_level": "unrated", "status": "in_use",
         "division_code": counties[i % len(counties)], "address": "", "longitude": 114.0, "latitude": 31.0,
         "custodian": "", "custodian_person": "", "patrol_interval_days": 30, "description": "",
         "created_at": now, "updated_at": now, "version": 1} for i in range(ROWS)])
    session.flush()


def test_a_facility_list_job_streams_its_rows_and_reports_progress(session, registry, tmp_path: Path):
    query = FacilityQuery(kinds=("scattered_grave",))
    assert isinstance(facility_list_sheet(session=session, actor=SYSTEM, query=query).rows, Iterator)
    wanted = ROWS - len(range(0, ROWS, 3))
    assert list_jobs.facility_list_size(session=session, actor=SYSTEM, query=query) == wanted
    assert list_jobs.facility_list_size(session=session, actor=SYSTEM, query=query, cap=100) > 100

    reports: list[tuple[float, str]] = []
    params = list_jobs.facility_list_params(query=query, fmt="csv")
    assert list_jobs.facility_query(params) == query
    path = tmp_path / "list.csv"
    list_jobs.JOBS[list_jobs.FACILITY_LIST].run(JobContext(
        session=session, actor=SYSTEM, params=params, path=path, progress=lambda share, note: reports.append(
            (share, note))))

    assert reports[0] == (0.0, f"共 {wanted:,} 行")
    assert [note for _, note in reports[1:]] == [f"已写 {n:,} / {wanted:,} 行" for n in (1_000,)]
    assert 0 < reports[1][0] < 1
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + wanted and {r[3] for r in rows[1:]} == {"零散烈士墓"}
    assert [r[1] for r in rows[1:]] == sorted(r[1] for r in rows[1:])
