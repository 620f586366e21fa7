"""Martyrs: the people the registry remembers, findable by any spelling of their name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from memorials import audit, paging
from memorials.actors import Actor
from memorials.dates import may_precede
from memorials.db import backend_name
from memorials.divisions import prefix_of, require_division, within
from memorials.errors import Conflict, ValidationProblem
from memorials.hometowns import resolve_hometown
from memorials.models import Burial, Facility, Martyr
from memorials.schemas import MartyrCreate, MartyrUpdate
from memorials.scoping import get_or_404, in_scope
from memorials.text import like_escape, pinyin_initials, query_key, search_key, to_simplified

AUDITED_FIELDS = (
    "name", "name_variants", "gender", "ethnicity", "birth_date", "death_date", "hometown",
    "hometown_division_code", "unit", "rank", "place_of_death", "battle", "certificate_no", "biography",
    "division_code",
)
REQUIRED = ("name", "gender")


def _check_dates(birth: str | None, death: str | None) -> None:
    if birth and death and not may_precede(birth, death):
        raise ValidationProblem("death_date", f"death ({death}) is before birth ({birth})")


def _check_certificate_free(session: Session, number: str | None, *, exclude_id: int | None = None) -> None:
    if not number:
        return
    stmt = select(Martyr.id).where(Martyr.certificate_no == number)
    if exclude_id is not None:
        stmt = stmt.where(Martyr.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"certificate_no: certificate {number} is already registered to another martyr")


def _owning_division(session: Session, code: str | None, actor: Actor) -> str:
    if code is None:
        if not actor.jurisdiction:
            raise ValidationProblem("division_code", "is required: the division whose bureau keeps this record")
        return actor.jurisdiction
    division = require_division(session=session, code=code)
    if not actor.covers(division.code):
        raise ValidationProblem("division_code", f"{division.code} is outside your jurisdiction")
    return division.code


def _hometown_code(session: Session, hometown: str, code: str | None) -> str | None:
    if code is not None:
        return require_division(session=session, code=code, field="hometown_division_code").code
    return resolve_hometown(session=session, text=hometown) if hometown else None


def create_martyr(*, session: Session, data: MartyrCreate, actor: Actor) -> Martyr:
    _check_dates(data.birth_date, data.death_date)
    _check_certificate_free(session, data.certificate_no)
    values = data.model_dump()
    values["division_code"] = _owning_division(session, data.division_code, actor)
    values["hometown_division_code"] = _hometown_code(session, data.hometown, data.hometown_division_code)
    values["gender"] = data.gender.value
    values["name_variants"] = [v for v in data.name_variants if v != data.name]
    martyr = Martyr(**values, name_key=search_key(data.name, *values["name_variants"]),
                    name_initials=pinyin_initials(data.name, *values["name_variants"]))
    session.add(martyr)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"certificate_no: certificate {data.certificate_no} is already registered") from None
    audit.record(session=session, actor=actor, entity="martyr", entity_id=martyr.id, action="create",
                 old=None, new=audit.snapshot(martyr, AUDITED_FIELDS))
    return martyr


def update_martyr(*, session: Session, martyr: Martyr, data: MartyrUpdate, actor: Actor) -> Martyr:
    given = data.model_dump(exclude_unset=True)
    for name in REQUIRED + ("ethnicity", "hometown", "unit", "rank", "place_of_death", "battle", "biography",
                            "name_variants", "division_code"):
        if name in given and given[name] is None:
            raise ValidationProblem(name, "cannot be empty")
    changes = audit.Changes(martyr, AUDITED_FIELDS)
    birth = given.get("birth_date", martyr.birth_date)
    death = given.get("death_date", martyr.death_date)
    _check_dates(birth, death)
    if "certificate_no" in given:
        _check_certificate_free(session, given["certificate_no"], exclude_id=martyr.id)
    if "division_code" in given:
        given["division_code"] = _owning_division(session, given["division_code"], actor)
    if "hometown_division_code" in given or "hometown" in given:
        given["hometown_division_code"] = _hometown_code(
            session, given.get("hometown", martyr.hometown), given.get("hometown_division_code")
        )
    for name, value in given.items():
        setattr(martyr, name, value.value if hasattr(value, "value") else value)
    martyr.name_variants = [v for v in martyr.name_variants if v != martyr.name]
    martyr.name_key = search_key(martyr.name, *martyr.name_variants)
    martyr.name_initials = pinyin_initials(martyr.name, *martyr.name_variants)
    changes.record(session=session, actor=actor, entity="martyr")
    return martyr


def get_martyr(*, session: Session, martyr_id: int, actor: Actor) -> Martyr:
    return get_or_404(session, Martyr, martyr_id, actor, entity="martyr")


FUZZY_THRESHOLD = 0.3
"""pg_trgm's default: 张德明 finds 张德胜 (2 trigrams of 6 shared)."""
BY_NAME = "name"
_INITIALS = re.compile(r"[a-z]{1,12}")


@dataclass
class MartyrPage:
    items: list[Martyr]
    total: int
    total_estimated: bool = False
    next_cursor: str | None = None


def _starts_with(column: InstrumentedAttribute[str | None] | ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix``, as a range a B-tree index serves."""
    return (column >= prefix) & (column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def name_tail() -> ColumnElement[str]:
    """The name key after its first character (the given name, mostly), indexed: ``ix_martyrs_name_key_tail``."""
    return func.substr(Martyr.name_key, 2)


def _shared_pieces(key: str) -> list[ColumnElement[bool]]:
    """What a name alike to ``key`` must share with it, as ranges the trigram index reads (one word of 2+ letters).

    pg_trgm's ``%`` asks its index for every name sharing one trigram: for
    王明 that is each name starting with 王 (150,000 of 2 million), all read
    to be scored. Yet an alike name shares two: ``similarity`` is shared /
    (3 + its own trigrams − shared) ≥ 0.3 cannot hold with one shared among
    five or more. Only one can be the padded first letter (``"  王"``), so
    it shares another: it starts with the first two letters, contains three
    in a row, or ends with the last two (王明: ``王明%`` or ``%王明``). Those
    few hundred are scored; the answer is the same.
    """
    if len(key) < 2 or not key.isalnum():
        return []
    pieces = [Martyr.name_key.like(f"{like_escape(key[:2])}%", escape="\\"),
              Martyr.name_key.like(f"%{like_escape(key[-2:])}", escape="\\")]
    pieces += [Martyr.name_key.like(f"%{like_escape(key[i:i + 3])}%", escape="\\") for i in range(len(key) - 2)]
    return [or_(*pieces)]


def name_condition(session: Session, q: str, *,
                   fuzzy: bool = False) -> tuple[ColumnElement[bool], ColumnElement[float] | None]:
    """The condition a name query sets, and (fuzzy) the score to order by; each served by an index.

    * letters only (``zds``): pinyin initials starting with them (ordered
      by initials, then name: the index's order);
    * three characters or more: the name or a variant contains them
      (simplified, so 張德勝 finds 张德胜), through the trigram index on
      PostGIS; a query with a digit also finds certificate numbers starting
      with it;
    * one or two characters: the name starting with them, or its given
      name (after the first character) starting with them: 德胜 finds
      张德胜 (a trigram needs three characters; a range needs a start);
    * ``fuzzy``: names whose trigrams are alike (``similarity()`` ≥ 0.3),
      best first: 张德明 finds 张德胜.
    """
    key = query_key(q)
    if fuzzy:
        score = func.similarity(Martyr.name_key, key)
        if backend_name(session) == "postgresql":
            return and_(Martyr.name_key.op("%")(key), *_shared_pieces(key)), score
        return score >= FUZZY_THRESHOLD, score
    if _INITIALS.fullmatch(key):
        return _starts_with(Martyr.name_initials, key), None
    if len(key) < 3:  # the name, or the given name, starts with it (德胜 finds 张德胜): B-tree ranges
        conditions = [_starts_with(Martyr.name_key, key), _starts_with(name_tail(), key)]
    else:
        conditions = [Martyr.name_key.like(f"%{like_escape(key)}%", escape="\\")]
    raw = q.strip()
    if any(ch.isdigit() for ch in raw):
        conditions.append(_starts_with(Martyr.certificate_no, raw))
    return or_(*conditions), None


def _conditions(
    session: Session, actor: Actor, *, q: str | None, fuzzy: bool = False, division: str | None = None,
    facility_id: int | None = None, hometown: str | None = None, unit: str | None = None,
    battle: str | None = None, death_year: int | None = None,
) -> tuple[list[ColumnElement[bool]], ColumnElement[float] | None]:
    """What a martyr search asks of each row (inside the actor's jurisdiction), and (fuzzy) the score."""
    conditions = [in_scope(Martyr.division_code, actor)]
    if hometown:
        text = to_simplified(hometown.strip())
        code = resolve_hometown(session=session, text=text)
        recorded = Martyr.hometown.like(f"%{like_escape(text)}%", escape="\\")
        conditions.append(or_(recorded, within(Martyr.hometown_division_code, prefix_of(code))) if code else recorded)
    for column, value in ((Martyr.unit, unit), (Martyr.battle, battle)):
        if value:
            conditions.append(column.like(f"%{like_escape(to_simplified(value.strip()))}%", escape="\\"))
    if death_year:
        conditions.append(Martyr.death_date.like(f"{death_year:04d}%"))
    if division:
        conditions.append(within(Martyr.division_code, division))
    score = None
    if q:
        condition, score = name_condition(session, q, fuzzy=fuzzy)
        conditions.append(condition)
    if facility_id is not None:
        conditions.append(
            Martyr.id.in_(select(Burial.martyr_id).where(Burial.facility_id == facility_id, Burial.until.is_(None)))
        )
    return conditions, score


def _by_initials(q: str | None) -> bool:
    return bool(q) and _INITIALS.fullmatch(query_key(q or "")) is not None


def filter_martyrs(
    stmt: Select, *, session: Session, actor: Actor, q: str | None = None, hometown: str | None = None,
    unit: str | None = None, battle: str | None = None, death_year: int | None = None,
) -> Select:
    """``stmt`` limited to the martyrs the list finds (not fuzzy) inside the actor's jurisdiction, in its order."""
    conditions, _ = _conditions(session, actor, q=q, hometown=hometown, unit=unit, battle=battle,
                                death_year=death_year)
    order = (Martyr.name_initials, Martyr.name, Martyr.id) if _by_initials(q) else (Martyr.name, Martyr.id)
    return stmt.where(*conditions).order_by(*order)


def list_martyrs(
    *,
    session: Session,
    actor: Actor,
    q: str | None = None,
    fuzzy: bool = False,
    division: str | None = None,
    facility_id: int | None = None,
    hometown: str | None = None,
    unit: str | None = None,
    battle: str | None = None,
    death_year: int | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> MartyrPage:
    """Martyrs matching ``q`` in any script (张德胜 finds 張德勝) or by pinyin initials, within a division or facility.

    Families trace martyrs by ``hometown`` (as recorded, 黄安县, or today's
    name, 红安县, resolved to its division code), ``unit``, ``battle`` and
    ``death_year``. Ordered by name (``fuzzy``: the most alike first);
    ``total`` is estimated past ``paging.COUNT_CAP`` matches; ``cursor``
    continues after a page (not with ``fuzzy``, whose pages are few).
    """
    if cursor is not None and (offset or fuzzy):
        raise paging.query_problem("cursor", "cannot be combined with offset or fuzzy")
    conditions, score = _conditions(session, actor, q=q, fuzzy=fuzzy, division=division, facility_id=facility_id,
                                    hometown=hometown, unit=unit, battle=battle, death_year=death_year)
    stmt = select(Martyr).where(*conditions)
    if cursor is not None:
        name, ident = paging.decode_cursor(cursor, BY_NAME, (str, int))
        stmt = stmt.where(tuple_(Martyr.name, Martyr.id) > tuple_(literal(name), literal(ident)))
    by_initials = not fuzzy and _by_initials(q)
    if by_initials and cursor is None:
        order = (Martyr.name_initials, Martyr.name, Martyr.id)
    elif score is not None:
        order = (score.desc(), Martyr.id)
    else:
        order = (Martyr.name, Martyr.id)
    items = list(session.scalars(stmt.order_by(*order).limit(limit + 1).offset(offset)))
    more, items = len(items) > limit, items[:limit]
    if not more and not offset and cursor is None:
        total, estimated = len(items), False
    elif score is not None:  # alike names have no cheap count: the planner's estimate, flagged
        total, estimated = paging.estimate_matching(session, select(Martyr.id).where(*conditions),
                                                    at_least=offset + len(items) + 1)
    else:
        total, estimated = paging.count_matching(session, select(Martyr.id).where(*conditions))
    keyset = more and score is None and not by_initials
    next_cursor = paging.encode_cursor(BY_NAME, (items[-1].name, items[-1].id)) if keyset else None
    return MartyrPage(items, total, estimated, next_cursor)


def fill_initials(*, session: Session, batch: int = 5_000) -> int:
    """Compute the pinyin initials of martyrs that lack them (rows a bulk load wrote); answers how many."""
    done = 0
    while True:
        rows = session.execute(select(Martyr.id, Martyr.name, Martyr.name_variants)
                               .where(Martyr.name_initials.is_(None)).order_by(Martyr.id).limit(batch)).all()
        if not rows:
            return done
        session.execute(update(Martyr), [
            {"id": r.id, "name_initials": pinyin_initials(r.name, *(r.name_variants or []))} for r in rows])
        done += len(rows)


def current_burial(*, session: Session, martyr: Martyr) -> tuple[Burial, Facility] | None:
    row = session.execute(
        select(Burial, Facility)
        .join(Facility, Facility.id == Burial.facility_id)
        .where(Burial.martyr_id == martyr.id, Burial.until.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def burial_history(*, session: Session, martyr: Martyr) -> list[tuple[Burial, Facility]]:
    stmt = (
        select(Burial, Facility)
        .join(Facility, Facility.id == Burial.facility_id)
        .where(Burial.martyr_id == martyr.id)
        .order_by(Burial.id)
    )
    return list(session.execute(stmt).all())
