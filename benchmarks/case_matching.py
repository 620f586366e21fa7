"""Family-clue matching against 200,000 martyrs: the index-backed match beside LIKE and a pure-Python scan.

A registry (SQLite, and PostgreSQL/PostGIS when ``--postgres`` names a
server) holds the demo district plus N synthetic martyrs (random common
surnames and given names, hometowns and years of death across the country).
The labelled clues are built from the demo's 120 martyrs with realistic
corruptions: the name in traditional characters with the hometown under its
old name (黄安县) and the exact year; a homophone in the given name with an
approximate year (``约1934``). Each method answers every clue:

* ``cases.matching.match`` (surname and homophone prefixes on the name-key
  index, the hometown-code index, then rapidfuzz on the candidates);
* a plain ``LIKE '%name%'`` on the simplified name key (what a clerk types);
* rapidfuzz's ``process.extract`` over every name held in Python.

Figures: median and 95th-percentile time per clue, top-1 and top-5 accuracy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import opencc
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from sqlalchemy import create_engine, func, insert, select, text

from benchmarks import _databases
from cases.matching import match as match_clue
from cases.matching import surname_variants
from cases.schemas import MatchIn
from memorials.actors import SYSTEM
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo import load_demo
from memorials.models import Division, Martyr
from memorials.text import search_key

TITLE = "Family-clue matching against 200,000 martyrs"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "德明华国文建志永春金玉秀英光荣世振学俊成传家兴中立大有福贵清正长生保山林海云庆祥寿发顺安平朝宗天开"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--martyrs", type=int, default=200_000, help="synthetic martyrs (default 200000)")
    parser.add_argument("--postgres", default="", help="PostgreSQL server URL (with PostGIS) to run on as well")


def _fill(url: str, count: int) -> None:
    engine = create_db_engine(url)
    prepare_database(engine)
    rng = random.Random(11)
    now = datetime.now(timezone.utc)
    with transaction(session_factory(engine, write=True)) as session:
        load_demo(session)
        counties = list(session.scalars(select(Division.code).where(Division.level == "county")))
        rows = []
        for _ in range(count):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            year = rng.randint(1927, 1953)
            rows.append({"name": name, "name_variants": [], "name_key": search_key(name), "gender": "male",
                         "ethnicity": "汉族", "death_date": str(year), "hometown": "",
                         "hometown_division_code": rng.choice(counties), "unit": "", "rank": "",
                         "place_of_death": "", "battle": "", "biography": "", "division_code": "421122",
                         "created_at": now, "updated_at": now, "version": 1})
            if len(rows) == 20_000:
                session.execute(insert(Martyr), rows)
                rows = []
        if rows:
            session.execute(insert(Martyr), rows)
    if engine.dialect.name == "postgresql":  # planner statistics, as any database in service has them
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE martyrs"))
    engine.dispose()


def _clues(session) -> list[tuple[MatchIn, int]]:  # type: ignore[no-untyped-def]
    s2t = opencc.OpenCC("s2t")
    rng = random.Random(5)
    demo = session.execute(select(Martyr.id, Martyr.name, Martyr.hometown, Martyr.death_date)
                           .where(Martyr.hometown != "")).all()
    clues = []
    for ident, name, hometown, death in demo:
        year = (death or "")[:4]
        clues.append((MatchIn(name=s2t.convert(name), hometown=s2t.convert(hometown), death_year=year), ident))
        given = name[1:]
        if given:
            i = rng.randrange(len(given))
            same = [c for c in surname_variants(given[i]) if c != given[i] and lazy_pinyin(c) == lazy_pinyin(given[i])]
            swapped = name[0] + given[:i] + (rng.choice(same) if same else given[i]) + given[i + 1:]
            clues.append((MatchIn(name=swapped, hometown=hometown, death_year=f"约{year}" if year else ""), ident))
    return clues


def _stats(times: list[float]) -> str:
    times = sorted(times)
    return f"{statistics.median(times) * 1000:.1f} ms / {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms"


def _accuracy(ranked: list[list[int]], labels: list[int]) -> str:
    top1 = sum(r[:1] == [label] for r, label in zip(ranked, labels, strict=True)) / len(labels)
    top5 = sum(label in r[:5] for r, label in zip(ranked, labels, strict=True)) / len(labels)
    return f"{top1:.1%} | {top5:.1%}"


def _measure(url: str, label: str) -> list[str]:
    engine = create_db_engine(url)
    lines = []
    with transaction(session_factory(engine)) as session:
        total = session.scalar(select(func.count(Martyr.id)))
        clues = _clues(session)
        labels = [ident for _, ident in clues]
        ranked, times = [], []
        for clue, _ in clues:
            start = time.perf_counter()
            answer = match_clue(session=session, actor=SYSTEM, clue=clue)
            times.append(time.perf_counter() - start)
            ranked.append([i.martyr_id for i in answer.items])
        lines.append(f"| {label} | `cases.matching.match` (indexes + rapidfuzz) | {_stats(times)} | "
                     f"{_accuracy(ranked, labels)} |")
        ranked, times = [], []
        for clue, _ in clues:
            start = time.perf_counter()
            key = search_key(clue.name)
            ids = list(session.scalars(select(Martyr.id).where(Martyr.name_key.like(f"%{key}%"))
                                       .order_by(Martyr.id).limit(5)))
            times.append(time.perf_counter() - start)
            ranked.append(ids)
        lines.append(f"| {label} | plain `LIKE '%name%'` | {_stats(times)} | {_accuracy(ranked, labels)} |")
        start = time.perf_counter()
        names = session.execute(select(Martyr.id, Martyr.name)).all()
        load = time.perf_counter() - start
        ids = [i for i, _ in names]
        choices = [n for _, n in names]
        ranked, times = [], []
        for clue, _ in clues:
            start = time.perf_counter()
            best = process.extract(search_key(clue.name), choices, scorer=fuzz.ratio, limit=5)
            times.append(time.perf_counter() - start)
            ranked.append([ids[index] for _, _, index in best])
        lines.append(f"| {label} | rapidfuzz scan of all names in Python (+{load:.1f} s to load them once) | "
                     f"{_stats(times)} | {_accuracy(ranked, labels)} |")
    engine.dispose()
    return [f"{total:,} martyrs, {len(clues)} labelled clues ({label})", *lines]


def run(args: argparse.Namespace) -> str:
    out = ["| backend | method | median / p95 per clue | top-1 | top-5 |", "|---|---|---|---|---|"]
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _fill(url, args.martyrs)
        first, *rows = _measure(url, "SQLite")
        notes.append(first)
        out.extend(rows)
    if args.postgres:
        name = _databases.scratch_name("bench_cases")
        url = _databases.create_database(args.postgres, name)
        try:
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            _fill(url, args.martyrs)
            first, *rows = _measure(url, "PostGIS")
            notes.append(first)
            out.extend(rows)
        finally:
            _databases.drop_database(args.postgres, name)
    return "\n".join(["; ".join(notes), "", *out,
                      "", "Clues: the demo's martyrs, each as a traditional-character name with the hometown as "
                      "written in old records and the exact year, and as a homophone of one given-name character "
                      "with an approximate year. `python -m benchmarks --only case_matching "
                      "[--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]`."])
