"""The national patrol ledger and national compliance at scale: time, memory, size; this tree against a baseline.

A SQLite registry is filled with ``memorials demo --synthetic N --seed 7``
(N facilities over the real counties, the synthetic patrols and defects of
the domain packages; ``--ledger-extra-months K`` adds a patrol for every
facility in each of K more months). Then, each in a fresh process so that
its memory is its own:

- this tree: the national ledger (every facility, the last ``--ledger-months``
  months) made as a background job by a job worker (``memorials.jobs``),
  the national compliance answer per province (``detail=divisions``), one
  province's drill-down, and the full national answer for comparison;
- the baseline (``--ledger-baseline``, default ``main``, checked out in a
  temporary git worktree): the same ledger by its ``write_patrol_ledger``
  (what its request did) and its national compliance answer.

Memory is the process's peak resident set while the ledger is made (the
peak is reset first through ``/proc/self/clear_refs``) minus its resident
set just before, and the resident set left after it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

TITLE = "National patrol ledger and compliance (background job, streamed workbook)"
ROOT = Path(__file__).resolve().parent.parent
SEED = 7

# Runs in a child process, in this tree or in the baseline's (only APIs both have, besides the job path).
CHILD = r'''
import json, os, resource, sys, tempfile, time
from pathlib import Path
from memorials import clock
from memorials.actors import Actor
from memorials.db import create_db_engine, session_factory, transaction
from inspections.compliance import compliance

url, mode, first, last, user_id, job_dir = sys.argv[1:7]
clock.configure("Asia/Shanghai")
engine = create_db_engine(url)
actor = Actor(user_id=int(user_id), username="bench_national", role="admin", jurisdiction="")
def rss():
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def peak():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

if mode == "job":
    from memorials import domains, jobs
    from memorials.job_worker import JobWorker
    from memorials.models import Job
    from memorials.settings import Settings
    from inspections.ledger_jobs import KIND, ledger_params
    domains.job_kinds()
else:
    from inspections.ledger import Links, write_patrol_ledger
import openpyxl.worksheet._write_only, openpyxl.worksheet._writer  # what either writer imports on first use

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

out = {}
Path("/proc/self/clear_refs").write_text("5")   # the peak so far (imports) is not the ledger's
before = rss()
started, cpu_started = time.perf_counter(), cpu()
if mode == "job":
    settings = Settings(database_url=url, job_dir=Path(job_dir), job_workers=0, max_report_months=36)
    worker = JobWorker(engine=engine, settings=settings, kinds=domains.job_kinds())
    worker.directory.mkdir(parents=True, exist_ok=True)
    with transaction(session_factory(engine, write=True)) as s:
        job_id = jobs.submit(session=s, actor=actor, kind=KIND, division="", params=ledger_params(
            division="", period_from=first, period_to=last, fmt="xlsx", base_url="http://127.0.0.1:8000",
            photo_path="/api/v1/photos/{sha256}/original", max_months=36)).id
    assert worker.run_once()
    with transaction(session_factory(engine)) as s:
        job = s.get(Job, job_id)
        assert job.state == "done", job.error
        path = Path(job.result_path)
else:
    path = Path(job_dir) / "baseline.xlsx"
    with transaction(session_factory(engine)) as s:
        write_patrol_ledger(session=s, actor=actor, division="", period_from=first, period_to=last, path=path,
                            max_months=36, fmt="xlsx", links=Links(base_url="http://127.0.0.1:8000",
                            photo_path=lambda sha: f"/api/v1/photos/{sha}/original"))
out["ledger_s"] = time.perf_counter() - started
out["ledger_cpu_s"] = cpu() - cpu_started
out["ledger_growth_mb"] = (peak() - before) / 2**20
out["ledger_left_mb"] = (rss() - before) / 2**20
out["ledger_mb"] = path.stat().st_size / 2**20
from openpyxl import load_workbook
book = load_workbook(path, read_only=True)
out["sheets"] = {sheet.title: sum(1 for _ in sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
book.close()

def timed(**extra):
    t = time.perf_counter()
    with transaction(session_factory(engine)) as s:
        answer = compliance(session=s, actor=actor, level="patrol", period_from=first, period_to=last,
                            max_months=36, **extra)
        body = answer.model_dump_json(by_alias=True)
    return time.perf_counter() - t, len(body.encode()) / 2**20, len(answer.divisions)

out["national_full"] = timed(division="")
if mode == "job":
    out["national_divisions"] = timed(division="", detail="divisions")
    out["province_divisions"] = timed(division="42", detail="divisions")
print("RESULT " + json.dumps(out))
'''


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ledger_scale (the shared --facilities sets its size)")
    group.add_argument("--ledger-months", type=int, default=12, help="months the ledger covers (default 12)")
    group.add_argument("--ledger-extra-months", type=int, default=0,
                       help="add a patrol for every facility in each of this many earlier months (default 0)")
    group.add_argument("--ledger-baseline", default="main",
                       help="git revision measured as the baseline in the same run ('' to skip; default main)")
    group.add_argument("--ledger-baseline-facilities", type=int, default=300,
                       help="size of the registry on which both are run, paired (default 300: the baseline writes "
                            "its workbook in openpyxl's normal mode, where each row costs more the more rows there "
                            "are, so at national size it runs for hours)")
    group.add_argument("--ledger-timeout", type=int, default=3600, help="seconds allowed to each run")


def _months(count: int) -> tuple[str, str]:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    index = today.year * 12 + today.month - 1
    first = index - count + 1
    return f"{first // 12:04d}-{first % 12 + 1:02d}", f"{index // 12:04d}-{index % 12 + 1:02d}"


def _fill(url: str, count: int, extra_months: int) -> tuple[int, int, float]:
    from sqlalchemy import func, insert, select

    from inspections.models import Inspection
    from memorials.bootstrap import prepare_database
    from memorials.db import create_db_engine, session_factory, transaction
    from memorials.demo.synthetic import load_synthetic
    from memorials.models import Facility
    from memorials.users import create_user

    started = time.perf_counter()
    engine = create_db_engine(url)
    prepare_database(engine)
    with transaction(session_factory(engine, write=True)) as session:
        load_synthetic(session, count=count, seed=SEED)
        user = create_user(session=session, username="bench_national", password="Bench-ledger-2026!", role="admin",
                           jurisdiction="")
        user_id = user.id
    if extra_months:
        with transaction(session_factory(engine, write=True)) as session:
            inspector = session.scalar(select(Inspection.inspector_id).limit(1))
            facilities = session.execute(select(Facility.id, Facility.division_code)).all()
            now = datetime.now(timezone.utc)
            for back in range(1, extra_months + 1):
                at = now - timedelta(days=31 * back)
                rows = [{"facility_id": fid, "division_code": code, "level": "patrol", "inspector_id": inspector,
                         "inspector_name": "合成巡查员", "performed_at": at, "period": at.strftime("%Y-%m"),
                         "checklist": {}, "grade": "good", "notes": "合成数据", "photo_count": 0,
                         "verified_count": 0, "unverified_reason": "合成数据", "created_at": now}
                        for fid, code in facilities]
                for start in range(0, len(rows), 20_000):
                    session.execute(insert(Inspection), rows[start:start + 20_000])
    with transaction(session_factory(engine)) as session:
        patrols = session.scalar(select(func.count(Inspection.id))) or 0
    engine.dispose()
    return user_id, patrols, time.perf_counter() - started


def _child(tree: Path, url: str, mode: str, first: str, last: str, user_id: int, work: Path,
           timeout: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", CHILD, url, mode, first, last, str(user_id), str(work)],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            print(f"{mode} in {tree}: {line}", file=sys.stderr, flush=True)
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{mode} run failed ({done.returncode}):\n{done.stderr[-3000:]}")


def _baseline_tree(revision: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", str(into), revision], cwd=ROOT, check=True,
                   capture_output=True)
    return into


def run(args: argparse.Namespace) -> str:
    months = args.ledger_months
    first, last = _months(months)
    sections = []
    with tempfile.TemporaryDirectory(prefix="ledger-scale-") as tmp:
        root = Path(tmp)
        sizes = [(args.facilities, False)]
        if args.ledger_baseline:
            sizes.append((args.ledger_baseline_facilities, True))
        for count, paired in sizes:
            work = root / str(count)
            work.mkdir()
            url = f"sqlite:///{work / 'national.db'}"
            print(f"filling {count} facilities ...", file=sys.stderr, flush=True)
            user_id, patrols, fill_s = _fill(url, count, args.ledger_extra_months)
            print(f"filled in {fill_s:.0f} s; the job ...", file=sys.stderr, flush=True)
            runs = {"this tree": _child(ROOT, url, "job", first, last, user_id, work / "jobs", args.ledger_timeout)}
            if paired:
                runs[_baseline_name(args.ledger_baseline)] = _baseline(args, work, url, first, last, user_id)
            sections.append(_report(count, patrols, fill_s, first, last, runs))
    return "\n\n".join(sections)


def _baseline_name(revision: str) -> str:
    short = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.strip()
    return f"baseline {revision} ({short})"


def _baseline(args: argparse.Namespace, work: Path, url: str, first: str, last: str, user_id: int) -> dict:
    tree = work / "baseline"
    print(f"baseline {args.ledger_baseline} ...", file=sys.stderr, flush=True)
    try:
        _baseline_tree(args.ledger_baseline, tree)
        (work / "base").mkdir()
        return _child(tree, url, "request", first, last, user_id, work / "base", args.ledger_timeout)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tree, ignore_errors=True)


def _report(count: int, patrols: int, fill_s: float, first: str, last: str, runs: dict[str, dict]) -> str:
    lines = [f"**{count:,} facilities.** {count:,} synthetic facilities (`memorials demo --synthetic {count} --seed {SEED}`), {patrols:,} "
             f"patrols, filled in {fill_s:.0f} s (SQLite). The ledger covers every facility, {first} to {last}; each "
             "run in a fresh process. Memory: the peak resident set minus the resident set before the ledger "
             "(growth), and what stayed after it (left).", "",
             "| code | national ledger s | CPU s | growth MB | left MB | file MB | sheets (rows) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, r in runs.items():
        sheets = ", ".join(f"{k} {v:,}" for k, v in r["sheets"].items())
        lines.append(f"| {name} | {r['ledger_s']:.1f} | {r['ledger_cpu_s']:.1f} | {r['ledger_growth_mb']:.0f} | {r['ledger_left_mb']:.0f} | "
                     f"{r['ledger_mb']:.1f} | {sheets} |")
    lines += ["", "| code | compliance answer | s | MB | divisions |", "|---|---|---:|---:|---:|"]
    for name, r in runs.items():
        for key, label in (("national_full", "national, every facility (`detail=facilities`, the default)"),
                           ("national_divisions", "national per province (`detail=divisions`)"),
                           ("province_divisions", "a province (42) per prefecture (`detail=divisions`)")):
            if key in r:
                s, mb, n = r[key]
                lines.append(f"| {name} | {label} | {s:.2f} | {mb:.3f} | {n} |")
    ours = runs["this tree"]
    if len(runs) > 1:
        return "\n".join(lines)
    lines += ["", f"- national ledger under 60 s: **{'met' if ours['ledger_s'] < 60 else 'not met'}** "
              f"({ours['ledger_s']:.1f} s wall, {ours['ledger_cpu_s']:.1f} s of CPU)",
              f"- memory growth under 300 MB: **{'met' if ours['ledger_growth_mb'] < 300 else 'not met'}** "
              f"({ours['ledger_growth_mb']:.0f} MB)"]
    return "\n".join(lines)
