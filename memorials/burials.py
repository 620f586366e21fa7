"""Burials: which martyr lies in which facility, from when to when.

A martyr lies in at most one place at a time. Moving him is a relocation:
the old burial gets an end date and a new one starts, so history stays.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import Actor
from memorials.dates import may_precede
from memorials.errors import Conflict, NotFound, ValidationProblem
from memorials.martyrs import get_martyr
from memorials.models import Burial, Facility, Martyr
from memorials.schemas import BurialCreate
from memorials.vocab import CLOSED_STATUSES

AUDITED_FIELDS = ("facility_id", "martyr_id", "plot", "since", "until", "note")


def create_burial(*, session: Session, facility: Facility, data: BurialCreate, actor: Actor) -> Burial:
    """Record that a martyr lies (or lay, with ``until``) in ``facility``."""
    try:
        martyr = get_martyr(session=session, martyr_id=data.martyr_id, actor=actor)
    except NotFound:
        raise ValidationProblem("martyr_id", f"no martyr {data.martyr_id}") from None
    if data.since and data.until and not may_precede(data.since, data.until):
        raise ValidationProblem("until", f"ends ({data.until}) before it starts ({data.since})")
    if martyr.death_date and data.since and not may_precede(martyr.death_date, data.since):
        raise ValidationProblem("since", f"is before the martyr's death ({martyr.death_date})")
    if data.until is None:
        if facility.status in CLOSED_STATUSES:
            raise Conflict(f"facility_id: {facility.name} is {facility.status}; no one can be buried there now")
        current = session.scalar(select(Burial).where(Burial.martyr_id == martyr.id, Burial.until.is_(None)))
        if current is not None:
            where = session.get(Facility, current.facility_id)
            raise Conflict(
                f"martyr_id: {martyr.name} already lies in {where.name if where else current.facility_id}; "
                "a move is a relocation that ends that burial first"
            )
    burial = Burial(facility_id=facility.id, martyr_id=martyr.id, plot=data.plot, since=data.since,
                    until=data.until, note=data.note)
    session.add(burial)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"martyr_id: {martyr.name} already has a current burial") from None
    audit.record(session=session, actor=actor, entity="burial", entity_id=burial.id, action="create",
                 old=None, new=audit.snapshot(burial, AUDITED_FIELDS))
    return burial


def list_burials(*, session: Session, facility: Facility, include_ended: bool = True) -> list[tuple[Burial, Martyr]]:
    stmt = (
        select(Burial, Martyr)
        .join(Martyr, Martyr.id == Burial.martyr_id)
        .where(Burial.facility_id == facility.id)
        .order_by(Burial.until.is_not(None), Burial.plot, Martyr.name, Burial.id)
    )
    if not include_ended:
        stmt = stmt.where(Burial.until.is_(None))
    return list(session.execute(stmt).all())
