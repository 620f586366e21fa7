"""A large synthetic registry for benchmarks and load tests: ``memorials demo --synthetic N --seed S``.

N facilities (mostly scattered graves) are spread over the real counties of
the divisions table, each within about 15 km of its county's seat, and
inserted in bulk (one ``INSERT`` per batch, no ORM objects). The same seed
gives the same rows. Every registered domain package may then add its own
synthetic records for them (``DomainPackage.synthetic``: patrols and defects
for the map's layers). Codes start with ``SYN``; names say 合成, so nobody
mistakes them for a bureau's data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from memorials import domains
from memorials.errors import Conflict
from memorials.models import Division, Facility

BATCH = 5_000
SPREAD_DEG = 0.15
KIND_WEIGHTS = {
    "scattered_grave": 70, "monument": 10, "cemetery": 4, "central_burial_area": 3, "memorial_hall": 3,
    "columbarium": 2, "name_wall": 2, "statue": 2, "memorial_square": 2, "other": 2,
}
KIND_NAMES = {
    "scattered_grave": "零散烈士墓", "monument": "纪念碑", "cemetery": "烈士陵园", "central_burial_area": "集中安葬区",
    "memorial_hall": "纪念馆", "columbarium": "骨灰堂", "name_wall": "英名墙", "statue": "烈士塑像",
    "memorial_square": "纪念广场", "other": "纪念设施",
}
LEVEL_WEIGHTS = {"unrated": 80, "county": 12, "municipal": 5, "provincial": 2, "national": 1}


def code_prefix(seed: int) -> str:
    return f"SYN{seed}-"


def load_synthetic(session: Session, *, count: int, seed: int,
                   progress: Callable[[int], None] | None = None) -> list[str]:
    """Insert ``count`` synthetic facilities (and the domains' records for them); answers lines for the console.

    Refuses (``Conflict``) when this seed's facilities are already there.
    """
    prefix = code_prefix(seed)
    if session.scalar(select(func.count(Facility.id)).where(Facility.code.like(f"{prefix}%"))):
        raise Conflict(f"synthetic facilities of seed {seed} are already loaded (codes {prefix}…)")
    counties = session.execute(
        select(Division.code, Division.name, Division.longitude, Division.latitude)
        .where(Division.level == "county", Division.longitude.is_not(None), Division.latitude.is_not(None))
        .order_by(Division.code)).all()
    if not counties:
        raise Conflict("no counties with a seat position: run `memorials init` first")
    rng = random.Random(seed)
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    levels, level_weights = list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values())
    now = datetime.now(timezone.utc)
    ids: list[int] = []
    for start in range(0, count, BATCH):
        rows = []
        for i in range(start, min(count, start + BATCH)):
            code, county, lon, lat = counties[rng.randrange(len(counties))]
            kind = rng.choices(kinds, kind_weights)[0]
            name = f"合成{county}{KIND_NAMES[kind]}{i + 1}"
            rows.append({
                "code": f"{prefix}{i + 1:07d}", "name": name, "name_key": name, "kind": kind,
                "protection_level": rng.choices(levels, level_weights)[0], "status": "in_use",
                "division_code": code, "address": f"{county}（合成数据）",
                "longitude": round(min(180.0, max(-180.0, lon + rng.uniform(-SPREAD_DEG, SPREAD_DEG))), 6),
                "latitude": round(min(90.0, max(-90.0, lat + rng.uniform(-SPREAD_DEG, SPREAD_DEG))), 6),
                "custodian": "", "custodian_person": "", "patrol_interval_days": 30, "description": "合成数据",
                "created_at": now, "updated_at": now, "version": 1,
            })
        ids += list(session.scalars(insert(Facility).returning(Facility.id), rows))
        if progress:
            progress(len(rows))
    session.flush()
    lines = [f"{len(ids)} synthetic facilities over {len(counties)} counties (seed {seed})"]
    for package in domains.discover():
        if package.synthetic is not None:
            lines.append(package.synthetic(session, ids, random.Random(f"{seed}-{package.name}")))
    return lines
