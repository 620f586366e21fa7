"""The field load test's people and photos: accounts with their jurisdictions, a plan for locust, one inspector alone.

:func:`make_plan` creates the accounts through ``memorials.users.create_user``
(Argon2, as in service): inspectors on the counties with most facilities (a
county's facilities are what that inspector patrols), planners on the
provinces with most; it writes template photos and returns the plan that
``locustfile.py`` reads. :func:`solo_patrols` times a patrol POST on an idle
server and splits its cost: photo checks with display sizes against keeping
the originals only (what a request would still do if a worker made the
display sizes).
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select

from benchmarks.fieldload.photos import photo_at
from benchmarks.photo_ingest import make_photo
from evidence.photos import put_all, read_facts
from evidence.resample import checking_pool
from evidence.store import DiskStore, original_key
from evidence.uploads import Limits, Upload, accept
from inspections.checklist import CHECKLIST
from inspections.models import Inspection
from memorials.db import create_db_engine, session_factory, transaction
from memorials.models import Facility
from memorials.settings import Settings
from memorials.users import create_user
from memorials.vocab import STANDING_STATUSES

PASSWORD = "Field-load-password-2026!"
TEMPLATES = 4
PER_INSPECTOR = 60
PER_PLANNER = 300


def _facilities(session, prefix: str, limit: int) -> list[list[float]]:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(Facility.id, Facility.longitude, Facility.latitude)
        .where(Facility.division_code.startswith(prefix), Facility.status.in_(STANDING_STATUSES))
        .order_by(Facility.id).limit(limit * 4)).all()
    picked = random.Random(prefix).sample(rows, min(limit, len(rows)))
    return [[row.id, row.longitude, row.latitude] for row in picked]


def make_plan(url: str, tmp: Path, *, inspectors: int, planners: int, size: tuple[int, int], photos_per_patrol: int,
              think: dict[str, list[float]]) -> tuple[dict, int]:
    """Accounts in the registry at ``url``, template photos under ``tmp``; the plan and the last inspection id."""
    engine = create_db_engine(url)
    standing = Facility.status.in_(STANDING_STATUSES)
    try:
        with transaction(session_factory(engine, write=True)) as session:
            counties = [code for code, _n in session.execute(
                select(Facility.division_code, func.count()).where(standing).group_by(Facility.division_code)
                .order_by(func.count().desc(), Facility.division_code).limit(inspectors)).all()]
            province = func.substr(Facility.division_code, 1, 2)
            provinces = [code for code, _n in session.execute(
                select(province, func.count()).where(standing).group_by(province)
                .order_by(func.count().desc(), province).limit(planners)).all()]
            plan: dict = {"password": PASSWORD, "inspectors": [], "planners": [], "think": think,
                          "photos_per_patrol": photos_per_patrol, "checklist": [item.key for item in CHECKLIST]}
            for i in range(inspectors):
                county = counties[i % len(counties)]
                name = f"field_inspector_{i:03d}"
                create_user(session=session, username=name, password=PASSWORD, role="inspector", jurisdiction=county)
                plan["inspectors"].append({"username": name, "division": county,
                                           "facilities": _facilities(session, county, PER_INSPECTOR)})
            for j in range(planners):
                code = provinces[j % len(provinces)] + "0000"
                name = f"field_planner_{j:03d}"
                create_user(session=session, username=name, password=PASSWORD, role="planner", jurisdiction=code)
                plan["planners"].append({"username": name, "division": code,
                                         "facilities": _facilities(session, code[:2], PER_PLANNER)})
            create_user(session=session, username="field_solo", password=PASSWORD, role="inspector",
                        jurisdiction=counties[0])
            plan["solo"] = {"username": "field_solo", "facilities": _facilities(session, counties[0], PER_INSPECTOR)}
            started_id = session.scalar(select(func.max(Inspection.id))) or 0
    finally:
        engine.dispose()
    folder = tmp / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    plan["photos"] = []
    for seed in range(TEMPLATES):
        path = folder / f"template-{seed}.jpg"
        path.write_bytes(make_photo(seed, 1, *size))
        plan["photos"].append(str(path))
    return plan, started_id


def patrol_body(facility: list[float], now: datetime, checklist: list[str]) -> dict:
    facility_id, lon, lat = facility
    return {"facility_id": facility_id, "level": "patrol", "performed_at": now.isoformat(),
            "checklist": {key: {"result": "ok"} for key in checklist}, "grade": "good", "notes": "负载测试巡查",
            "position": {"longitude": lon, "latitude": lat, "crs": "wgs84", "accuracy_m": 8}}


def _shots(plan: dict, facility: list[float], start: datetime, rng: random.Random) -> list[bytes]:
    templates = [Path(p).read_bytes() for p in plan["photos"]]
    return [photo_at(rng.choice(templates), facility[1], facility[2], start + timedelta(seconds=i), rng)
            for i in range(plan["photos_per_patrol"])]


def solo_patrols(base: str, plan: dict, tmp: Path, *, rounds: int) -> dict[str, float | int]:
    """One inspector alone: median seconds of a patrol POST (after a warm-up), and where the time goes."""
    rng = random.Random(1)
    solo = plan["solo"]
    zone = timezone(timedelta(hours=8))
    times = []
    with httpx.Client(base_url=base, timeout=300) as client:
        token = client.post("/api/v1/auth/token", data={"username": solo["username"], "password": PASSWORD})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        for round_no in range(rounds + 1):
            facility = solo["facilities"][round_no % len(solo["facilities"])]
            now = datetime.now(zone).replace(microsecond=0)
            shots = _shots(plan, facility, now - timedelta(minutes=30) + timedelta(seconds=10 * round_no), rng)
            began = time.perf_counter()
            resp = client.post("/api/v1/inspections", headers={"Idempotency-Key": str(uuid.uuid4())},
                               data={"inspection": json.dumps(patrol_body(facility, now, plan["checklist"]))},
                               files=[("photos", (f"IMG_{i}.jpg", data, "image/jpeg")) for i, data in enumerate(shots)])
            if resp.status_code != 201:
                raise RuntimeError(f"a patrol POST answered {resp.status_code}: {resp.text[:500]}")
            if round_no:
                times.append(time.perf_counter() - began)
    # The same work in this process: every photo checked with its display sizes and stored (the request's
    # path), against the originals only being hashed and stored (what would stay in the request).
    store = DiskStore(tmp / "split-store")
    limits = Limits.of(Settings())
    checked, kept, proved = [], [], []
    for round_no in range(rounds):
        start = datetime(2026, 1, 1, 9, tzinfo=zone) + timedelta(minutes=round_no)
        shots = _shots(plan, solo["facilities"][0], start, rng)
        began = time.perf_counter()
        accept([Upload.of(f"{i}.jpg", data) for i, data in enumerate(shots)], store=store, limits=limits)
        checked.append(time.perf_counter() - began)
        shots = _shots(plan, solo["facilities"][0], start + timedelta(seconds=30), rng)
        began = time.perf_counter()
        put_all(store, {original_key(u.sha256): u.data for u in (Upload.of("x.jpg", d) for d in shots)})
        kept.append(time.perf_counter() - began)
        began = time.perf_counter()  # the least decode that finds a cut or corrupt photo (1/8 scale), side by side
        for job in [checking_pool().submit(read_facts, d, max_bytes=limits.max_photo_bytes,
                                           max_pixels=limits.max_pixels) for d in shots]:
            job.result()
        proved.append(time.perf_counter() - began)
    return {"post_s": statistics.median(times), "posts": len(times), "accept_s": statistics.median(checked),
            "originals_s": statistics.median(kept), "proof_s": statistics.median(proved), "photo_bytes": sum(len(d) for d in shots) // len(shots)}
