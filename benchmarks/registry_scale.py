"""The registry at national scale: spatial queries and the map with 100,000 facilities.

A SQLite registry (migrated, national divisions) is filled with N synthetic
scattered graves spread around every county's centre; then the operations
planners use are timed, median of several runs: a bounding box, the nearest
20, everything within 20 km, a province's list page, and the whole map
(markers from the database plus the Folium page). The spatial index makes
the first three independent of N; the map grows with N by design.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select

from api.mapdata import facility_markers
from gis.geodesy import BBox
from maps.facilities import facility_map, render_html
from maps.tiles import TILES
from memorials.actors import SYSTEM
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.facilities import FacilityQuery, list_facilities
from memorials.models import Division, Facility

TITLE = "Registry at national scale (SQLite, R*Tree)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--facilities", type=int, default=100_000, help="synthetic facilities (default 100000)")


def _fill(url: str, count: int) -> None:
    engine = create_db_engine(url)
    prepare_database(engine)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with transaction(session_factory(engine, write=True)) as session:
        centres = session.execute(select(Division.code, Division.longitude, Division.latitude).where(
            Division.level == "county", Division.longitude.is_not(None))).all()
        rows = []
        for i in range(count):
            code, lon, lat = rng.choice(centres)
            rows.append({"code": f"B{i:07d}", "name": f"零散烈士墓{i}", "name_key": f"零散烈士墓{i}",
                         "kind": "scattered_grave", "protection_level": "unrated", "status": "in_use",
                         "division_code": code, "address": "", "longitude": lon + rng.uniform(-0.2, 0.2),
                         "latitude": lat + rng.uniform(-0.2, 0.2), "custodian": "", "custodian_person": "",
                         "patrol_interval_days": 30, "description": "", "created_at": now, "updated_at": now,
                         "version": 1})
        session.execute(insert(Facility), rows)
    engine.dispose()


def _median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def run(args: argparse.Namespace) -> str:
    count = args.facilities
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scale.db'}"
        started = time.perf_counter()
        _fill(url, count)
        filled = time.perf_counter() - started
        engine = create_db_engine(url)
        sessions = session_factory(engine)

        def query(q: FacilityQuery, limit: int = 50) -> Callable[[], object]:
            def go() -> object:
                with transaction(sessions) as session:
                    return list_facilities(session=session, query=q, actor=SYSTEM, limit=limit).total
            return go

        def whole_map() -> object:
            with transaction(sessions) as session:
                markers = facility_markers(session=session, actor=SYSTEM, query=FacilityQuery())
            page = render_html(facility_map(markers, tiles=TILES["none"], facility_url="/facilities/{id}",
                                            popup_url="/map/popup/{id}"))
            return len(page)

        cases = [
            ("bounding box 1°×1° (first 50)", query(FacilityQuery(bbox=BBox(114.0, 30.5, 115.0, 31.5))), 20),
            ("nearest 20 to a point", query(FacilityQuery(near=(114.62, 31.29)), 20), 20),
            ("within 20 km of a point", query(FacilityQuery(near=(114.62, 31.29), within_m=20_000)), 20),
            ("a province's list page (division=42)", query(FacilityQuery(division="42")), 20),
            ("whole map: markers + Folium page", whole_map, 3),
        ]
        lines = [f"{count:,} synthetic facilities around every county's centre (filled in {filled:.0f} s).", "",
                 "| operation | median ms | answer |", "|---|---:|---:|"]
        for label, fn, runs in cases:
            ms, result = _median_ms(fn, runs)
            answer = f"{result / 1e6:.1f} MB page" if label.startswith("whole map") else f"{result} matched"
            lines.append(f"| {label} | {ms:.1f} | {answer} |")
        engine.dispose()
    return "\n".join(lines)
