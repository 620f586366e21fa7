"""``memorials demo --synthetic N --seed S``: the same seed gives the same registry, spread over real counties."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inspections.models import Defect, Inspection
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo.synthetic import load_synthetic
from memorials.errors import Conflict
from memorials.models import Division, Facility


def _load(url: str, count: int, seed: int) -> list[tuple]:
    engine = create_db_engine(url)
    with transaction(session_factory(engine, write=True)) as s:
        load_synthetic(s, count=count, seed=seed)
    with transaction(session_factory(engine)) as s:
        rows = s.execute(select(Facility.code, Facility.kind, Facility.division_code, Facility.longitude,
                                Facility.latitude).order_by(Facility.code)).all()
        counties = set(s.scalars(select(Division.code).where(Division.level == "county")))
        patrols = s.scalar(select(func.count(Inspection.id)))
        defects = s.scalar(select(func.count(Defect.id)))
    engine.dispose()
    assert {r.division_code for r in rows} <= counties
    assert 0 < patrols < count and defects < patrols
    return [tuple(r) for r in rows]


def test_same_seed_same_registry(templates, tmp_path):
    a = _load(templates.copy("sqlite", False, (tmp_path / "a").mkdir() or tmp_path / "a"), 400, 3)
    b = _load(templates.copy("sqlite", False, (tmp_path / "b").mkdir() or tmp_path / "b"), 400, 3)
    c = _load(templates.copy("sqlite", False, (tmp_path / "c").mkdir() or tmp_path / "c"), 400, 4)
    assert a == b and a != c and len(a) == 400
    assert len({r[2] for r in a}) > 100  # spread over many counties
    assert sum(r[1] == "scattered_grave" for r in a) > 200


def test_a_seed_loads_once(db_url):
    engine = create_db_engine(db_url)
    with transaction(session_factory(engine, write=True)) as s:
        load_synthetic(s, count=10, seed=1)
    with pytest.raises(Conflict, match="seed 1"), transaction(session_factory(engine, write=True)) as s:
        load_synthetic(s, count=10, seed=1)
    engine.dispose()
