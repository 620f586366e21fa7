"""Synthetic patrols and defects for a synthetic registry (``memorials demo --synthetic``).

About 70% of the facilities get one patrol in the last 40 days (so a
share of them are overdue), graded mostly good; about 4% get an open defect
from a poor or critical patrol. Inserted in bulk; each patrol says it is
synthetic (unverified, no photos), so it never passes for a real one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inspections.models import Defect, Inspection
from memorials.models import Facility, User

INSPECTOR = "synthetic_inspector"
BATCH = 5_000
GRADES = {"good": 70, "fair": 20, "poor": 8, "critical": 2}


def _inspector(session: Session) -> User:
    user = session.scalar(select(User).where(User.username == INSPECTOR))
    if user is None:
        # A disabled account with no usable password: it only signs the synthetic patrols.
        user = User(username=INSPECTOR, display_name="合成巡查员", role="inspector", jurisdiction="",
                    password_hash="!", active=False)
        session.add(user)
        session.flush()
    return user


def add_synthetic(session: Session, facility_ids: list[int], rng: Random) -> str:
    """One patrol for most facilities, open defects for a few: what the map's layers show."""
    inspector = _inspector(session)
    now = datetime.now(timezone.utc)
    grades, weights = list(GRADES), list(GRADES.values())
    if not facility_ids:
        return "no synthetic patrols"
    divisions = dict(session.execute(select(Facility.id, Facility.division_code)
                                     .where(Facility.id.between(min(facility_ids), max(facility_ids)))).all())
    patrols = defects = 0
    for start in range(0, len(facility_ids), BATCH):
        rows = []
        for fid in facility_ids[start:start + BATCH]:
            if rng.random() >= 0.7:
                continue
            at = now - timedelta(days=rng.uniform(0, 40))
            rows.append({
                "facility_id": fid, "division_code": divisions[fid], "level": "patrol", "inspector_id": inspector.id,
                "inspector_name": "合成巡查员", "performed_at": at, "period": at.strftime("%Y-%m"), "checklist": {},
                "grade": rng.choices(grades, weights)[0], "notes": "合成数据", "photo_count": 0, "verified_count": 0,
                "unverified_reason": "合成数据", "created_at": now,
            })
        if not rows:
            continue
        done = session.execute(insert(Inspection).returning(Inspection.id, Inspection.facility_id, Inspection.grade),
                               rows).all()
        patrols += len(done)
        faults = [{
            "facility_id": fid, "division_code": divisions[fid], "opened_by_id": iid, "item": "structure",
            "category": "structure_damage", "severity": "high" if grade == "critical" else "medium",
            "description": "合成数据", "deadline": (now + timedelta(days=rng.randint(-30, 60))).date(),
            "responsible_person": "", "status": "open", "created_at": now,
        } for iid, fid, grade in done if grade in ("poor", "critical") and rng.random() < 0.4]
        if faults:
            session.execute(insert(Defect), faults)
            defects += len(faults)
    session.flush()
    return f"{patrols} synthetic patrols, {defects} open defects"
