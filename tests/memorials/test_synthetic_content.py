"""What the synthetic registry holds: proportions like the country's, valid partial dates, rows the model accepts.

One registry of 300 facilities and 3,000 martyrs (SQLite) serves every
test here; the tolerances are several standard deviations wide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memorials.dates import may_precede, parse_partial_date
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo.people import FEMALE_CHARS, SURNAMES
from memorials.demo.synthetic import GRAVES
from memorials.models import Burial, Division, Facility, Martyr
from memorials.text import search_key
from memorials.vocab import FacilityKind, FacilityStatus, ProtectionLevel
from tests.memorials.test_synthetic import AS_OF, load


@pytest.fixture(scope="module")
def registry(templates, tmp_path_factory) -> Iterator[Session]:
    url = templates.copy("sqlite", False, tmp_path_factory.mktemp("synthetic"))
    load(url)
    engine = create_db_engine(url)
    with transaction(session_factory(engine)) as s:
        yield s
    engine.dispose()


def test_kinds_and_protection_levels_in_proportion(registry):
    facilities = registry.execute(select(Facility.kind, Facility.protection_level, Facility.status,
                                         Facility.code, Facility.name)).all()
    assert len(facilities) == 300
    kinds = Counter(f.kind for f in facilities)
    assert set(kinds) <= set(FacilityKind) and 0.6 < kinds["scattered_grave"] / 300 < 0.8
    assert len(kinds) >= 6
    levels = Counter(f.protection_level for f in facilities)
    assert set(levels) <= set(ProtectionLevel) and 0.75 < levels["unrated"] / 300 < 0.95
    graves = [f for f in facilities if f.kind == "scattered_grave"]
    assert sum(f.protection_level == "unrated" for f in graves) / len(graves) > 0.9  # scattered graves: unrated
    assert {f.status for f in facilities} <= {FacilityStatus.in_use, FacilityStatus.under_repair}
    assert all(f.code.startswith("SYN3-") and f.name.startswith("合成") for f in facilities)
    counties = dict(registry.execute(select(Division.code, Division.level)).all())
    spread = registry.scalars(select(Facility.division_code)).all()
    assert {counties[c] for c in spread} == {"county"} and len(set(spread)) > 200


def test_martyrs_have_names_as_the_country_has(registry):
    names = registry.scalars(select(Martyr.name)).all()
    assert len(names) == 3_000
    compound = {s for s in SURNAMES if len(s) == 2}
    given = [n[2:] if n[:2] in compound else n[1:] for n in names]
    assert all(1 <= len(g) <= 2 for g in given)
    assert 0.25 < sum(len(g) == 1 for g in given) / len(given) < 0.42  # one-character given names, a third
    top3 = sum(n[0] in "王李张" for n in names) / len(names)
    expected = (SURNAMES["王"] + SURNAMES["李"] + SURNAMES["张"]) / sum(SURNAMES.values())
    assert abs(top3 - expected) < 0.04
    assert len(Counter(n[0] for n in names)) > 60
    genders = Counter(registry.scalars(select(Martyr.gender)))
    assert genders["female"] / 3_000 < 0.06 and set(genders) <= {"male", "female"}
    women = set(registry.scalars(select(Martyr.name).where(Martyr.gender == "female")))
    assert all(set(g) <= set(FEMALE_CHARS) for n, g in zip(names, given, strict=True) if n in women)
    keys = registry.execute(select(Martyr.name, Martyr.name_key).limit(500)).all()
    assert all(key == search_key(name) for name, key in keys)  # what the search compares


def test_partial_dates_are_valid_and_ordered(registry):
    rows = registry.execute(select(Martyr.birth_date, Martyr.death_date)).all()
    shapes = Counter({None: "unknown", 4: "year", 7: "month", 10: "full"}[len(d) if d else None]
                     for _, d in rows)
    assert 0.05 < shapes["unknown"] / 3_000 < 0.15
    for shape in ("year", "month", "full"):
        assert 0.2 < shapes[shape] / 3_000 < 0.42, shapes
    for birth, death in rows:
        for value in (birth, death):
            if value is not None:
                assert parse_partial_date(value, today=AS_OF) == value  # canonical, real, not in the future
        if death is not None:
            assert 1924 <= int(death[:4]) <= 2020
        if birth is not None and death is not None:
            assert may_precede(birth, death)
            assert 15 <= int(death[:4]) - int(birth[:4]) <= 46
    assert 0.35 < sum(b is not None for b, _ in rows) / 3_000 < 0.55


def test_hometowns_and_burials_as_the_model_links_them(registry):
    martyrs = registry.execute(select(Martyr.id, Martyr.hometown, Martyr.hometown_division_code,
                                      Martyr.division_code, Martyr.certificate_no)).all()
    full_names = dict(registry.execute(select(Division.code, Division.full_name)).all())
    unknown = [m for m in martyrs if m.hometown_division_code is None]
    assert 0.07 < len(unknown) / 3_000 < 0.17 and all(m.hometown == "" for m in unknown)
    known = [m for m in martyrs if m.hometown_division_code is not None]
    assert all(m.hometown == full_names[m.hometown_division_code] for m in known)
    same_province = sum(m.hometown_division_code[:2] == m.division_code[:2] for m in known) / len(known)
    assert 0.6 < same_province < 0.85
    assert all(m.certificate_no.startswith("SYN3-M") for m in martyrs)
    burials = registry.execute(select(Burial.martyr_id, Burial.until, Facility.kind, Facility.division_code)
                               .join(Facility, Facility.id == Burial.facility_id)).all()
    assert 0.33 < len(burials) / 3_000 < 0.47
    assert {b.kind for b in burials} <= set(GRAVES) and all(b.until is None for b in burials)
    assert len({b.martyr_id for b in burials}) == len(burials)  # one current burial each
    keeper = {m.id: m.division_code for m in martyrs}
    assert all(keeper[b.martyr_id] == b.division_code for b in burials)  # kept where he lies
    per_kind = Counter(b.kind for b in burials)
    kinds = Counter(registry.scalars(select(Facility.kind)))
    if kinds["cemetery"]:
        assert per_kind["cemetery"] / kinds["cemetery"] > 5 * per_kind["scattered_grave"] / kinds["scattered_grave"]
    assert registry.scalar(select(func.count(Martyr.id)).where(Martyr.division_code.is_(None))) == 0
