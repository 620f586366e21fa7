"""``memorials demo --synthetic N --martyrs M --seed S``: the same seed gives the same registry, on either backend.

Small sizes here (a few hundred facilities, a few thousand martyrs); the
national figures (200,000 / 2,000,000) are ``benchmarks/national_load.py``'s.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.cli import app as cli
from evidence.models import Attachment
from inspections.models import Defect, Inspection
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo.synthetic import SyntheticReport, load_synthetic
from memorials.errors import Conflict
from memorials.models import Burial, Division, Facility, Martyr

AS_OF = date(2026, 3, 20)
TABLES = (Facility, Martyr, Burial, Inspection, Attachment, Defect)


def load(url: str, count: int = 300, martyrs: int = 3_000, seed: int = 3) -> SyntheticReport:
    engine = create_db_engine(url)
    with transaction(session_factory(engine, write=True)) as s:
        report = load_synthetic(s, count=count, martyrs=martyrs, seed=seed, as_of=AS_OF)
    engine.dispose()
    return report


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()  # aware UTC on both backends (memorials.db.UTCDateTime)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def digest(engine: Engine) -> dict[str, str]:
    """Per table, the SHA-256 of every row's every column, in id order."""
    out = {}
    with transaction(session_factory(engine)) as s:
        for model in TABLES:
            h = hashlib.sha256()
            for row in s.execute(select(*model.__table__.columns).order_by(model.__table__.c.id)):
                h.update(json.dumps([_plain(v) for v in row], sort_keys=True, ensure_ascii=False).encode())
            out[model.__tablename__] = h.hexdigest()
    return out


@pytest.mark.both_backends
def test_same_seed_same_rows_on_either_backend(db_url, templates, tmp_path):
    """Loaded into this backend and into SQLite, seed 3 gives the same rows, photos and defects included."""
    report = load(db_url)
    other = templates.copy("sqlite", False, (tmp_path / "b").mkdir() or tmp_path / "b")
    load(other)
    engines = [create_db_engine(db_url), create_db_engine(other)]
    first, second = (digest(e) for e in engines)
    for e in engines:
        e.dispose()
    assert first == second
    assert report.rows["facilities"] == 300 and report.rows["martyrs"] == 3_000
    assert report.rows["inspections"] > 300 * 12 * 0.6 and report.rows["attachments"] > report.rows["inspections"]
    # Another seed, another registry.
    third = templates.copy("sqlite", False, (tmp_path / "c").mkdir() or tmp_path / "c")
    load(third, count=20, martyrs=20, seed=4)
    engine = create_db_engine(third)
    with transaction(session_factory(engine)) as s:
        names = s.scalars(select(Martyr.name).order_by(Martyr.id)).all()
    engine.dispose()
    engine = create_db_engine(other)
    with transaction(session_factory(engine)) as s:
        assert names != s.scalars(select(Martyr.name).order_by(Martyr.id).limit(20)).all()
    engine.dispose()


def _schema(engine: Engine) -> set[tuple[str, ...]]:
    """Every index and constraint of the tables the loader fills, as the database describes them."""
    tables = [m.__tablename__ for m in TABLES]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return {tuple(r) for r in conn.exec_driver_sql(
                "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE tbl_name IN (%s)"
                % ", ".join(f"'{t}'" for t in tables))}
        indexes = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"),
                               {"t": tables})
        constraints = conn.execute(text("SELECT conname, pg_get_constraintdef(oid), convalidated::text "
                                        "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t)"), {"t": tables})
        return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}


@pytest.mark.both_backends
def test_a_seed_loads_once_and_sequences_move_on(db_url):
    engine = create_db_engine(db_url)
    schema = _schema(engine)
    load(db_url, count=10, martyrs=10)
    assert _schema(engine) == schema  # indexes and foreign keys built after the load are all back, validated
    engine.dispose()
    with pytest.raises(Conflict, match="seed 3"):
        load(db_url, count=10, martyrs=10)
    load(db_url, count=10, martyrs=10, seed=5)
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine, write=True)) as s:
        # The database's own ids carry on after the loader's (PostgreSQL's sequences were moved past them).
        s.add(Martyr(name="张三", name_key="张三", division_code="110101"))
        s.flush()
        assert s.scalar(select(func.count(Martyr.id))) == 21
        assert s.scalar(select(func.count(func.distinct(Facility.code)))) == 20
    engine.dispose()


def test_the_command_loads_and_says_what(db_url, tmp_path):
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--synthetic", "40", "--martyrs", "200", "--months", "2", "--seed", "9",
                                 "--as-of", "2026-01-31"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "40 synthetic facilities" in result.output and "200 synthetic martyrs" in result.output
    assert "synthetic patrols over 2 months" in result.output
    bad = runner.invoke(cli, ["demo", "--synthetic", "5", "--as-of", "31.1.2026"], env=env)
    assert bad.exit_code == 2 and "--as-of" in bad.output
    future = runner.invoke(cli, ["demo", "--synthetic", "5", "--as-of", "2999-01-01"], env=env)
    assert future.exit_code == 2 and "in the future" in future.output
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine)) as s:
        assert s.scalar(select(func.count(Facility.id))) == 40
        assert set(s.scalars(select(Inspection.period).distinct())) <= {"2025-12", "2026-01"}
        counties = set(s.scalars(select(Division.code).where(Division.level == "county")))
        assert set(s.scalars(select(Facility.division_code))) <= counties
    engine.dispose()
