"""The database's totals per division (``division_totals``) count exactly what the facility-by-facility rows add up
to, on both backends: facilities of several intervals and statuses, patrols verified and not, county checks under
rules by kind and by facility, facilities never inspected or registered lately, spans past, current and to come."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from inspections.compliance import compliance, facility_rows, tally
from inspections.division_totals import division_totals
from inspections.models import Inspection, IntervalRule
from memorials.actors import SYSTEM
from memorials.db import create_db_engine, session_factory, transaction
from memorials.models import Facility
from tests.memorials.test_synthetic import AS_OF, load

pytestmark = pytest.mark.both_backends

SPANS = [("2026-03", "2026-03"), ("2025-10", "2026-03"), ("2025-04", "2025-06"), ("2026-02", "2026-07"),
         ("2025-01", "2025-12")]


def _vary(session) -> list[str]:
    """Give the synthetic registry what it lacks: other intervals and statuses, county checks and their rules."""
    rng = random.Random(11)
    facilities = session.execute(select(Facility.id, Facility.kind, Facility.division_code)
                                 .order_by(Facility.id)).all()
    for f in facilities:
        roll = rng.random()
        values: dict[str, object] = {}
        if roll < 0.15:
            values["patrol_interval_days"] = rng.choice([45, 90, 182, 365, 14])
        elif roll < 0.22:
            values["status"] = rng.choice(["relocated", "under_repair"])
        elif roll < 0.30:  # registered after most cut-offs: overdue only if ever inspected
            values["created_at"] = datetime(2026, 3, rng.randint(1, 19), 3, tzinfo=timezone.utc)
        if values:
            session.execute(update(Facility).where(Facility.id == f.id).values(**values))
    ids = session.scalars(select(Inspection.id).order_by(Inspection.id)).all()
    checks = [i for i in ids if rng.random() < 0.2]
    session.execute(update(Inspection).where(Inspection.id.in_(checks)).values(level="county_check"))
    kinds = sorted({f.kind for f in facilities})
    session.add_all([IntervalRule(level="county_check", kind=kinds[0], days=90),
                     IntervalRule(level="county_check", facility_id=facilities[3].id, days=30),
                     IntervalRule(level="county_check", facility_id=facilities[7].id, days=365)])
    codes = sorted({f.division_code for f in facilities})
    county = codes[len(codes) // 2]
    return ["", county[:2], county[:4], county]


def test_division_totals_match_the_facility_rows(db_url):
    load(db_url, count=160, martyrs=0)
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine, write=True)) as s:
        divisions = _vary(s)
    compared = 0
    with transaction(session_factory(engine)) as s:
        for level in ("patrol", "county_check"):
            for division in divisions:
                for first, last in SPANS:
                    for today in (AS_OF, AS_OF + timedelta(days=17), date(2026, 8, 2)):
                        rows = list(facility_rows(session=s, actor=SYSTEM, division=division, level=level,
                                                  period_from=first, period_to=last, today=today))
                        expected = tally(rows, division)
                        got = division_totals(session=s, actor=SYSTEM, division=division, level=level,
                                              period_from=first, period_to=last, today=today)
                        assert got == expected, (level, division, first, last, today)
                        compared += 1
        # Not vacuous: facilities of every kind of answer were counted.
        total, _ = division_totals(session=s, actor=SYSTEM, division="", level="patrol", period_from="2025-10",
                                   period_to="2026-03", today=AS_OF)
        assert total.facilities > 120 and 0 < total.done < total.due and total.done_unverified > 0
        assert 0 < total.overdue < total.facilities and 0 < total.complete < total.facilities
        # The API's two shapes agree on the totals.
        both = [compliance(session=s, actor=SYSTEM, division=divisions[1], level="patrol", period_from="2025-10",
                           period_to="2026-03", max_months=36, today=AS_OF, detail=detail)
                for detail in ("facilities", "divisions")]
        assert both[0].model_dump(exclude={"facilities", "detail"}) == both[1].model_dump(
            exclude={"facilities", "detail"})
        assert both[1].divisions and not both[1].facilities
    engine.dispose()
    assert compared == 2 * len(divisions) * len(SPANS) * 3
