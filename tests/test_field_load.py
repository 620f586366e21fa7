"""The field load test's locust setup keeps working: a few simulated people for a few seconds, no failure.

The figures come from ``python -m benchmarks --only field_load`` (5 minutes,
250 people, PostGIS); here the same locustfile, plan and accounts run
against a live server of the demo district with two inspectors and a
planner, small photos and short think times.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.fieldload.accounts import make_plan
from benchmarks.fieldload.photos import photo_at
from benchmarks.photo_ingest import make_photo
from evidence.photos import read_facts

ROOT = Path(__file__).resolve().parent.parent


def test_field_photos_carry_a_new_capture_time_and_position():
    template = make_photo(3, 1, 320, 240)
    taken = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    shots = [photo_at(template, 114.61, 31.28, taken + timedelta(seconds=i), random.Random(i)) for i in range(2)]
    facts = [read_facts(s, max_bytes=10**8, max_pixels=10**8) for s in shots]
    assert shots[0] != shots[1] and facts[0].sha256 != facts[1].sha256
    assert facts[0].taken_at == taken and facts[1].taken_at == taken + timedelta(seconds=1)
    for fact in facts:
        lon, lat = fact.gps
        assert abs(lon - 114.61) < 0.0005 and abs(lat - 31.28) < 0.0004  # within about 40 m


def test_locustfile_runs_a_few_seconds_without_failures(live_server, demo_db_url, tmp_path):
    think = {"inspector": [0.5, 1.0], "planner": [0.2, 0.5]}
    plan, started_id = make_plan(demo_db_url, tmp_path, inspectors=2, planners=1, size=(640, 480),
                                 photos_per_patrol=2, think=think)
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    locust = Path(sys.executable).with_name("locust")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEMORIALS_LOAD_PLAN": str(plan_path)}
    result = subprocess.run(
        [str(locust), "-f", str(ROOT / "benchmarks" / "fieldload" / "locustfile.py"), "--headless",
         "--host", live_server.url, "--users", "3", "--spawn-rate", "3", "--run-time", "6s", "--stop-timeout", "60",
         "--csv", str(tmp_path / "locust"), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    with open(tmp_path / "locust_stats.csv", newline="", encoding="utf-8") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    assert result.returncode == 0, result.stderr[-3000:]
    assert stats["Aggregated"]["Failure Count"] == "0", result.stderr[-3000:]
    assert int(stats["patrol POST (2 photos)"]["Request Count"]) >= 1
    assert int(stats["sign in (login page)"]["Request Count"]) == 1
    planner_clicks = sum(int(row["Request Count"]) for name, row in stats.items()
                         if name.startswith(("page: facility", "map data", "API: facilities")))
    assert planner_clicks >= 1
    engine = create_engine(demo_db_url)
    with engine.connect() as conn:
        filed = conn.execute(text("SELECT count(*), sum(photo_count), sum(verified_count) FROM inspections "
                                  "WHERE id > :id"), {"id": started_id}).one()
    engine.dispose()
    assert filed[0] >= 1 and filed[1] == filed[2] == 2 * filed[0]  # every photo proved the visit


def test_report_names_errors_and_the_bottleneck():
    from benchmarks.fieldload.report import report

    row = {"Type": "POST", "Name": "patrol POST (3 photos)", "Request Count": "9", "Failure Count": "1",
           "Requests/s": "0.5", "50%": "900", "95%": "2000", "99%": "3000", "Max Response Time": "3100"}
    figures = {
        "facilities": 500, "load_s": 3.0, "workers": 2, "inspectors": 2, "planners": 1, "seconds": 20, "elapsed": 20.0,
        "photos_per_patrol": 3, "photo_size": (4000, 3000), "think": {"inspector": [120, 240], "planner": [2, 8]},
        "cpu": {"server": 0.5, "postgres": 0.1, "locust": 0.05, "machine": 1.0, "cores": 2}, "load_average": 1.0,
        "registry": {"patrols": 8, "photos": 24, "verified": 24, "missing_files": 0},
        "solo": {"post_s": 1.0, "posts": 5, "accept_s": 0.8, "originals_s": 0.05, "proof_s": 0.25,
                 "photo_bytes": 3_700_000},
        "stats": [row, {**row, "Type": "", "Name": "Aggregated"}],
        "failures": [{"Name": "patrol POST (3 photos)", "Error": "500: boom", "Occurrences": "1"}],
        "profile": ([("waiting (sockets)", 0.4), ("photo checks and display sizes", 0.45), ("other Python", 0.15)],
                    [("decode_jpeg_scaled (evidence/resample.py:84)", 0.3)]),
        "tracebacks": 0, "locust_rc": 1,
    }
    text = report(figures)
    assert "**Errors: 1** failed requests (patrol POST (3 photos): 500: boom ×1)" in text
    assert "**Bottleneck: photo checks and display sizes**, 45%" in text and "(75% of the time they compute" in text
    assert "| POST patrol POST (3 photos) | 9 | 1 | 0.50 | 900 | 2,000 | 3,000 | 3,100 |" in text
    assert "about 0.50 s" in text  # 1.0 - 0.8 + 0.05 + 0.25: what a request would still take with a worker
