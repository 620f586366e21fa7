"""Synthetic patrols, their photo rows and defects for a synthetic registry (``memorials demo --synthetic``).

``run.months`` months of monthly patrols, the last one ``run.as_of``'s:
each facility has a diligence of its own (most are patrolled nearly every
month, some often skipped, a few rarely), so compliance varies. Grades are
mostly good; a fair, poor or critical patrol ticks problems on its
checklist, and a poor or critical one usually opens defects, the older of
them since put right. Each patrol has one to four photo rows (evidence
attachments), most within the location radius. The photos' files do not
exist: their filenames start with ``synthetic/`` (``evidence.models.SYNTHETIC_PREFIX``)
and their sha256 is random, so ``memorials fsck`` counts them apart.
Written in bulk through ``run.bulk``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.models import SYNTHETIC_PREFIX
from inspections.checklist import CHECKLIST, DEADLINE_DAYS, ITEMS, at_least, default_severity
from inspections.models import OWNER_TYPE
from memorials.demo.bulk import SyntheticFacility, SyntheticRun
from memorials.demo.people import Picker
from memorials.models import User

INSPECTOR = "synthetic_inspector"
CHUNK = 5_000
GRADES = Picker([("good", 72), ("fair", 18), ("poor", 8), ("critical", 2)])
DILIGENCE = Picker([(0.97, 55), (0.8, 25), (0.5, 12), (0.15, 8)])
"""A facility's chance of being patrolled in a given month."""
PHOTOS = Picker([(1, 15), (2, 35), (3, 35), (4, 15)])
PROOF = Picker([("verified", 88), ("far", 7), ("no_gps", 5)])
CONDITION_ITEMS = [item.key for item in CHECKLIST if item.group == "设施状况"]
DEFECT_CHANCE = {"fair": 0.15, "poor": 0.7, "critical": 0.9}
RESOLVED_CHANCE = 0.75
"""Share of defects older than two months since put right."""
M_PER_DEG = 111_320.0
SHUTTER = [timedelta(seconds=30 * position) for position in range(8)]
"""When each photo of a patrol was taken, after its start."""

INSPECTION_COLUMNS = ("id", "facility_id", "division_code", "level", "inspector_id", "inspector_name",
                      "performed_at", "period", "checklist", "grade", "notes", "photo_count", "verified_count",
                      "unverified_reason", "created_at")
ATTACHMENT_COLUMNS = ("id", "owner_type", "owner_id", "position", "kind", "sha256", "filename", "format",
                      "size_bytes", "width", "height", "taken_at", "gps_longitude", "gps_latitude", "distance_m",
                      "verification", "gap_flagged", "created_at")
DEFECT_COLUMNS = ("id", "facility_id", "division_code", "opened_by_id", "item", "category", "severity",
                  "description", "deadline", "responsible_person", "status", "resolved_at", "resolution_note",
                  "resolution_kind", "created_at")


def _inspector(session: Session) -> User:
    user = session.scalar(select(User).where(User.username == INSPECTOR))
    if user is None:
        # A disabled account with no usable password: it only signs the synthetic patrols.
        user = User(username=INSPECTOR, display_name="合成巡查员", role="inspector", jurisdiction="",
                    password_hash="!", active=False)
        session.add(user)
        session.flush()
    return user


def months_up_to(day: date, count: int) -> list[tuple[int, int]]:
    """The ``count`` months ending with ``day``'s, oldest first."""
    index = day.year * 12 + day.month - 1
    return [divmod(i, 12) for i in range(index - count + 1, index + 1)]


def add_synthetic(run: SyntheticRun) -> str:
    """Patrols by month for every standing synthetic facility, with photo rows and defects."""
    if not run.facilities or run.months <= 0:
        return "no synthetic patrols"
    inspector = _inspector(run.session)
    rng = run.rng("inspections")
    months = [(y, m + 1, run.as_of.day if (y, m + 1) == (run.as_of.year, run.as_of.month) else _month_days(y, m + 1),
               f"{y}-{m + 1:02d}") for y, m in months_up_to(run.as_of, run.months)]
    bulk = run.bulk
    expected = int(len(run.facilities) * len(months) * 0.8)
    advance = run.stage("patrols (by facility)", len(run.facilities))
    with bulk.deferred("inspections", "attachments", "defects", expected=expected):
        ids = [bulk.next_id(t) for t in ("inspections", "attachments", "defects")]
        for start in range(0, len(run.facilities), CHUNK):
            chunk = run.facilities[start:start + CHUNK]
            patrols: list[tuple] = []
            photos: list[tuple] = []
            defects: list[tuple] = []
            for facility in chunk:
                _facility_year(run, rng, facility, inspector.id, months, ids, patrols, photos, defects)
            bulk.write("inspections", INSPECTION_COLUMNS, patrols)
            bulk.write("attachments", ATTACHMENT_COLUMNS, photos)
            bulk.write("defects", DEFECT_COLUMNS, defects)
            advance(len(chunk))
    w = bulk.written
    return (f"{w.get('inspections', 0)} synthetic patrols over {len(months)} months, {w.get('attachments', 0)} "
            f"photo rows (no files: {SYNTHETIC_PREFIX}…), {w.get('defects', 0)} defects")


def _facility_year(run: SyntheticRun, rng: Random, facility: SyntheticFacility, inspector_id: int,
                   months: list[tuple[int, int, int, str]], ids: list[int], patrols: list, photos: list,
                   defects: list) -> None:
    """One facility's patrols, photo rows and defects; ``ids`` holds the next id of each table and moves on."""
    random = rng.random
    proofs, photo_counts = PROOF.table, PHOTOS.table
    assert proofs is not None and photo_counts is not None
    diligence = float(DILIGENCE(rng))  # type: ignore[arg-type]
    lon0, lat0 = facility.longitude, facility.latitude
    lon_m = M_PER_DEG * max(0.01, math.cos(math.radians(lat0)))
    named = f"{SYNTHETIC_PREFIX}{facility.code}-"
    inspection_id, photo_id, defect_id = ids
    for year, month, last_day, period in months:
        if random() >= diligence:
            continue
        minute = int(random() * 600)  # 8:00–17:59 in China
        at = datetime(year, month, 1 + int(random() * last_day), minute // 60, minute % 60, tzinfo=timezone.utc)
        grade = str(GRADES(rng))
        problems = rng.sample(CONDITION_ITEMS, 1 if grade == "fair" else rng.randint(1, 2)) if grade != "good" else []
        count, verified, located = photo_counts[int(random() * PHOTOS.total)], 0, 0
        for position in range(1, count + 1):  # type: ignore[call-overload]
            proof = proofs[int(random() * PROOF.total)]
            lon = lat = distance = None
            if proof != "no_gps":
                located += 1
                distance = 2 + random() * 178 if proof == "verified" else 250 + random() * 2750
                bearing = random() * math.tau
                lon = round(lon0 + distance * math.sin(bearing) / lon_m, 6)
                lat = round(lat0 + distance * math.cos(bearing) / M_PER_DEG, 6)
                distance = round(distance, 1)
                verified += proof == "verified"
            photos.append((photo_id, OWNER_TYPE, inspection_id, position, "photo", f"{rng.getrandbits(256):064x}",
                           f"{named}{period}-{position}.jpg", "JPEG", 1_500_000 + int(random() * 4_500_000),
                           4000, 3000, at + SHUTTER[position], lon, lat, distance, proof, False, at))
            photo_id += 1
        patrols.append((inspection_id, facility.id, facility.division_code, "patrol", inspector_id, "合成巡查员", at,
                        period, {key: {"result": "problem"} for key in problems}, grade, "合成数据",
                        count, verified, None if located else "合成数据：照片无位置信息", at))
        for key in problems:
            if random() >= DEFECT_CHANCE[grade]:
                continue
            item = ITEMS[key]
            severity = at_least(default_severity(grade), item.min_severity)
            deadline = at.date() + timedelta(days=DEADLINE_DAYS[severity])
            old = (run.as_of - at.date()).days > 60
            resolved = at + timedelta(days=rng.randint(3, 50)) if old and random() < RESOLVED_CHANCE else None
            defects.append((defect_id, facility.id, facility.division_code, inspection_id, key, item.category,
                            severity, item.problem, deadline, "", "resolved" if resolved else "open", resolved,
                            "合成数据" if resolved else "", "note" if resolved else None, at))
            defect_id += 1
        inspection_id += 1
    ids[:] = [inspection_id, photo_id, defect_id]


def _month_days(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
