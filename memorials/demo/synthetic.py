"""A synthetic national registry for benchmarks and load tests.

``memorials demo --synthetic N --martyrs M --seed S`` writes N facilities
spread over the real counties of the divisions table (each within about
15 km of its county's seat), kinds and protection levels in proportions
like the national survey's (mostly scattered graves, nearly all unrated;
cemeteries and memorial halls often rated), and M martyrs with realistic
names, partial dates and hometowns (:mod:`memorials.demo.people`), about
40% of them buried in a cemetery, a burial area, a columbarium or a
scattered grave of the registry (the others are remembered on record
only, as most of the country's named martyrs are). Every registered domain
package then adds its own rows through its ``synthetic`` hook: a year of
monthly patrols with their photo rows and defects (``inspections``).

The same seed and the same day (``as_of``) give the same rows, on either
backend. Rows go in by COPY on PostgreSQL and batched ``executemany`` on
SQLite (:mod:`memorials.demo.bulk`), never one ORM object at a time.

Synthetic rows say so: facility codes start with ``SYN<seed>-``, their names
with 合成; martyrs' certificate numbers with ``SYN<seed>-M``; photo rows name
files under ``synthetic/`` that do not exist (``memorials fsck`` counts them
apart, not as missing).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memorials import clock, domains
from memorials.demo.bulk import BulkWriter, StageFactory, SyntheticFacility, SyntheticRun
from memorials.demo.people import FEMALE, Picker, ethnicity, life, person_name, rank
from memorials.errors import Conflict
from memorials.models import Division, Facility
from memorials.text import pinyin_initials

SPREAD_DEG = 0.15
CHUNK = 20_000
KIND_WEIGHTS = {
    "scattered_grave": 70, "monument": 10, "cemetery": 4, "central_burial_area": 3, "memorial_hall": 3,
    "columbarium": 2, "name_wall": 2, "statue": 2, "memorial_square": 2, "other": 2,
}
KIND_NAMES = {
    "scattered_grave": "零散烈士墓", "monument": "纪念碑", "cemetery": "烈士陵园", "central_burial_area": "集中安葬区",
    "memorial_hall": "纪念馆", "columbarium": "骨灰堂", "name_wall": "英名墙", "statue": "烈士塑像",
    "memorial_square": "纪念广场", "other": "纪念设施",
}
# Per kind: shares of national, provincial, municipal, county, unrated (per thousand): some 300 of
# 200,000 national (the State Council's lists hold about as many), nearly every scattered grave unrated.
LEVELS = ("national", "provincial", "municipal", "county", "unrated")
LEVEL_SHARES = {
    "cemetery": (15, 100, 200, 400, 285), "memorial_hall": (20, 120, 200, 350, 310),
    "monument": (2, 30, 100, 300, 568), "central_burial_area": (0, 10, 60, 300, 630),
    "memorial_square": (5, 30, 100, 300, 565), "statue": (2, 20, 80, 250, 648),
    "name_wall": (0, 10, 60, 250, 680), "columbarium": (0, 10, 50, 250, 690),
    "other": (0, 10, 40, 150, 800), "scattered_grave": (0, 0, 2, 40, 958),
}
UNDER_REPAIR = 0.03
BURIED = 0.4
"""Share of martyrs with a grave or niche in the registry."""
GRAVES = {"scattered_grave": 1, "cemetery": 60, "central_burial_area": 25, "columbarium": 10}
"""How many martyrs each kind holds, relatively."""
HOMETOWN_SAME_PROVINCE, HOMETOWN_UNKNOWN = 0.6, 0.12

FACILITY_COLUMNS = ("id", "code", "name", "name_key", "kind", "protection_level", "status", "division_code",
                    "address", "longitude", "latitude", "custodian", "custodian_person", "patrol_interval_days",
                    "description", "created_at", "updated_at", "version")
MARTYR_COLUMNS = ("id", "name", "name_variants", "name_key", "gender", "ethnicity", "birth_date", "death_date",
                  "hometown", "hometown_division_code", "unit", "rank", "place_of_death", "battle", "certificate_no",
                  "biography", "division_code", "created_at", "updated_at", "version", "name_initials")
BURIAL_COLUMNS = ("id", "facility_id", "martyr_id", "plot", "since", "until", "note", "created_at")


def code_prefix(seed: int) -> str:
    return f"SYN{seed}-"


@dataclass
class SyntheticReport:
    """What was loaded: lines for the console, rows per table, seconds per stage."""

    lines: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    """Per stage: facilities, martyrs (with burials), each domain package, analyze."""
    writes: dict[str, float] = field(default_factory=dict)
    """Within the stages: seconds sending each table's rows, and rebuilding indexes and keys after a load."""


def load_synthetic(session: Session, *, count: int, seed: int, martyrs: int = 0, months: int = 12,
                   as_of: date | None = None, progress: StageFactory | None = None) -> SyntheticReport:
    """Write ``count`` synthetic facilities, ``martyrs`` martyrs and the domains' rows for them.

    Refuses (``Conflict``) when this seed's facilities are already there.
    """
    prefix = code_prefix(seed)
    if session.scalar(select(func.count(Facility.id)).where(Facility.code.like(f"{prefix}%"))):
        raise Conflict(f"synthetic facilities of seed {seed} are already loaded (codes {prefix}…)")
    counties = session.execute(
        select(Division.code, Division.name, Division.full_name, Division.longitude, Division.latitude)
        .where(Division.level == "county", Division.longitude.is_not(None), Division.latitude.is_not(None))
        .order_by(Division.code)).all()
    if not counties:
        raise Conflict("no counties with a seat position: run `memorials init` first")
    as_of = as_of or clock.today()
    bulk = BulkWriter(session)
    run = SyntheticRun(session=session, bulk=bulk, seed=seed, facilities=[], as_of=as_of, months=months,
                       **({"stage": progress} if progress else {}))
    report = SyntheticReport()
    started = time.perf_counter()
    with bulk.deferred("facilities", expected=count):
        run.facilities.extend(_facilities(run, counties, count))
    report.seconds["facilities"] = time.perf_counter() - started
    report.lines.append(f"{count} synthetic facilities over {len(counties)} counties (seed {seed})")
    if martyrs:
        started = time.perf_counter()
        with bulk.deferred("martyrs", "burials", expected=martyrs):
            buried = _martyrs(run, counties, martyrs)
        report.seconds["martyrs"] = time.perf_counter() - started
        report.lines.append(f"{martyrs} synthetic martyrs, {buried} of them buried in the registry")
    for package in domains.discover():
        if package.synthetic is not None:
            started = time.perf_counter()
            report.lines.append(package.synthetic(run))
            report.seconds[package.name] = time.perf_counter() - started
    started = time.perf_counter()
    bulk.finish()
    session.expire_all()
    report.seconds["analyze"] = time.perf_counter() - started
    report.rows, report.writes = dict(bulk.written), dict(bulk.seconds)
    return report


def _stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _facilities(run: SyntheticRun, counties: list, count: int) -> list[SyntheticFacility]:
    rng = run.rng("facilities")
    kind_of = Picker(list(KIND_WEIGHTS.items()))
    level_of = {kind: Picker(list(zip(LEVELS, shares, strict=True))) for kind, shares in LEVEL_SHARES.items()}
    prefix, first = code_prefix(run.seed), run.bulk.next_id("facilities")
    now = _stamp(run.as_of)
    advance = run.stage("facilities", count)
    made: list[SyntheticFacility] = []
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(count, start + CHUNK)):
            code, county, _full, lon, lat = counties[int(rng.random() * len(counties))]
            kind = str(kind_of(rng))
            name = f"合成{county}{KIND_NAMES[kind]}{i + 1}"
            status = "under_repair" if rng.random() < UNDER_REPAIR else "in_use"
            facility = SyntheticFacility(
                id=first + i, code=f"{prefix}{i + 1:07d}", division_code=code, kind=kind, status=status,
                longitude=round(min(180.0, max(-180.0, lon + rng.uniform(-SPREAD_DEG, SPREAD_DEG))), 6),
                latitude=round(min(90.0, max(-90.0, lat + rng.uniform(-SPREAD_DEG, SPREAD_DEG))), 6))
            made.append(facility)
            rows.append((facility.id, facility.code, name, name, kind, level_of[kind](rng), status, code,
                         f"{county}（合成数据）", facility.longitude, facility.latitude, "", "", 30, "合成数据",
                         now, now, 1))
        run.bulk.write("facilities", FACILITY_COLUMNS, rows)
        advance(len(rows))
    return made


def _martyrs(run: SyntheticRun, counties: list, count: int) -> int:
    """Write ``count`` martyrs and the burials of those who lie in the registry; answers how many do."""
    rng = run.rng("martyrs")
    graves = [f for f in run.facilities if f.kind in GRAVES]
    grave_of = Picker([(f, GRAVES[f.kind]) for f in graves]) if graves else None
    by_province: dict[str, list] = defaultdict(list)
    for county in counties:
        by_province[county[0][:2]].append(county)
    first, first_burial = run.bulk.next_id("martyrs"), run.bulk.next_id("burials")
    prefix, now = code_prefix(run.seed), _stamp(run.as_of)
    advance = run.stage("martyrs", count)
    buried = 0
    for start in range(0, count, CHUNK):
        rows, burials = [], []
        for i in range(start, min(count, start + CHUNK)):
            female = rng.random() < FEMALE
            name = person_name(rng, female)
            birth, death, battle = life(rng)
            grave = grave_of(rng) if grave_of is not None and rng.random() < BURIED else None
            keeper = grave.division_code if grave is not None else counties[int(rng.random() * len(counties))][0]
            draw = rng.random()
            if draw < HOMETOWN_UNKNOWN:
                home_code, home = None, ""
            else:
                pool = by_province[keeper[:2]] if draw < HOMETOWN_UNKNOWN + HOMETOWN_SAME_PROVINCE else counties
                home_code, _name, home, _lon, _lat = pool[int(rng.random() * len(pool))]
            rows.append((first + i, name, [], name, "female" if female else "male", ethnicity(rng), birth, death,
                         home, home_code, "", rank(rng), "", battle, f"{prefix}M{i + 1:07d}", "", keeper,
                         now, now, 1, pinyin_initials(name)))
            if grave is not None:
                plot = "" if grave.kind == "scattered_grave" else f"{rng.randint(1, 30)}排{rng.randint(1, 40)}号"
                burials.append((first_burial + buried, grave.id, first + i, plot, None, None, "", now))
                buried += 1
        run.bulk.write("martyrs", MARTYR_COLUMNS, rows)
        run.bulk.write("burials", BURIAL_COLUMNS, burials)
        advance(len(rows))
    return buried
