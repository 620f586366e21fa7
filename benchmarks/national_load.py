"""Loading the synthetic national registry into a fresh PostGIS database (issue 15, point 1).

A new database is created on the PostgreSQL server of
``MEMORIALS_BENCH_POSTGRES_URL`` (else ``MEMORIALS_TEST_POSTGRES_URL``,
else the local server), migrated with the national divisions (not
timed), and filled as ``memorials demo --synthetic N --martyrs M --seed S``
fills it, in one transaction: facilities, martyrs and their burials, then
a year of monthly patrols with their photo rows and defects (binary COPY;
secondary indexes and foreign keys built after the load; ANALYZE). Timed
per stage and per table; then rows per table, the database's size and the
machine's load average, as the machine is shared. The database is dropped
afterwards unless ``--national-keep`` (then its URL is printed, for the query
benchmarks). Quick check: ``--national-facilities 2000 --national-martyrs 20000``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import text

from benchmarks import _databases
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo.synthetic import load_synthetic

TITLE = "Synthetic national registry: load into PostGIS (issue 15)"
AS_OF = date(2026, 11, 30)
STAGE_TABLES = {"facilities": ("facilities",), "martyrs": ("martyrs", "burials"),
                "inspections": ("inspections", "attachments", "defects")}
LABELS = {"facilities": "facilities", "martyrs": "martyrs", "burials": "burials (martyr ↔ facility)",
          "inspections": "patrols", "attachments": "photo rows (no files)", "defects": "defects"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("national_load")
    group.add_argument("--national-facilities", type=int, default=200_000, help="facilities (default 200000)")
    group.add_argument("--national-martyrs", type=int, default=2_000_000, help="martyrs (default 2000000)")
    group.add_argument("--national-months", type=int, default=12, help="months of patrols (default 12)")
    group.add_argument("--national-seed", type=int, default=1, help="random seed (default 1)")
    group.add_argument("--national-keep", action="store_true", help="keep the database (its URL is printed)")


def _server_url() -> str:
    return (os.environ.get("MEMORIALS_BENCH_POSTGRES_URL") or os.environ.get("MEMORIALS_TEST_POSTGRES_URL")
            or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def run(args: argparse.Namespace) -> str:
    server = _server_url()
    name = _databases.scratch_name("national_load")
    url = _databases.create_database(server, name)
    engine = create_db_engine(url)
    try:
        prepare_database(engine)
        before = _load_average()
        start = time.perf_counter()
        with transaction(session_factory(engine, write=True)) as session:
            report = load_synthetic(session, count=args.national_facilities, martyrs=args.national_martyrs,
                                    months=args.national_months, seed=args.national_seed, as_of=AS_OF,
                                    progress=_progress)
            committing = time.perf_counter()
        commit = time.perf_counter() - committing
        total = time.perf_counter() - start
        after = _load_average()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        with engine.connect() as conn:
            size = conn.scalar(text("SELECT pg_database_size(current_database())"))
            sizes = {t: conn.scalar(text(f"SELECT pg_total_relation_size('{t}')")) for t in report.rows}
            counted = {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in report.rows}
    finally:
        engine.dispose()
        if not args.national_keep:
            _databases.drop_database(server, name)
    if args.national_keep:
        print(f"kept: {url}", file=sys.stderr)
    assert counted == report.rows, (counted, report.rows)
    return _markdown(args, report, commit, total, size, sizes, before, after, peak)


def _progress(label: str, total: int) -> Callable[[int], None]:
    print(f"  {time.strftime('%H:%M:%S')} {label}: {total:,} …", file=sys.stderr, flush=True)
    return lambda _n: None


def _markdown(args, report, commit, total, size, sizes, before, after, peak) -> str:  # type: ignore[no-untyped-def]
    n, m = args.national_facilities, args.national_martyrs
    lines = [
        f"`python -m benchmarks --only national_load --national-facilities {n} --national-martyrs {m}` "
        f"(= `memorials demo --synthetic {n} --martyrs {m} --months {args.national_months} --seed "
        f"{args.national_seed} --as-of {AS_OF}` into a fresh PostGIS database, one transaction). "
        f"Load average (1/5/15 min) {before} before and {after} after: the machine is shared with other "
        "sessions' work, so these are figures under load.",
        "",
        "| stage | table | rows | COPY s | rows/s (COPY) | size on disk |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for stage, tables in STAGE_TABLES.items():
        for table in tables:
            rows, copy = report.rows.get(table, 0), report.writes.get(table, 0.0)
            lines.append(f"| {stage} | {LABELS[table]} | {rows:,} | {copy:.1f} | "
                         f"{rows / copy if copy else 0:,.0f} | {sizes.get(table, 0) / 2**20:,.0f} MB |")
    lines += ["", "| stage | seconds | of which COPY | of which indexes and foreign keys built after |",
              "|---|---:|---:|---:|"]
    for stage, tables in STAGE_TABLES.items():
        copy = sum(report.writes.get(t, 0.0) for t in tables)
        rebuilt = sum(v for k, v in report.writes.items()
                      if k.startswith("indexes and keys:") and k.split(": ", 1)[1].split(", ")[0] == tables[0])
        lines.append(f"| {stage} | {report.seconds.get(stage, 0.0):.1f} | {copy:.1f} | {rebuilt:.1f} |")
    lines += [
        f"| ANALYZE | {report.seconds.get('analyze', 0.0):.1f} | | |",
        f"| commit | {commit:.1f} | | |",
        f"| **total** | **{total:.1f}** ({total / 60:.1f} min) | | |",
        "",
        f"{sum(report.rows.values()):,} rows in all; database size {size / 2**30:.2f} GB "
        f"(divisions and schema included); the loading process peaked at {peak:,.0f} MB. The rest of each stage is generating the rows in Python (one core). "
        "Photo rows name files under `synthetic/` that do not exist (`memorials fsck` counts them apart).",
    ]
    return "\n".join(lines)
