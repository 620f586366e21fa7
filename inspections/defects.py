"""Defects: the rectification list that goes to the custodian.

A problem found on patrol becomes a defect with a category, a severity, a
deadline and a responsible person. Its severity follows the checklist item
and the grade (:func:`severity_for`): a safety hazard is never filed as
minor. It can be assigned and reassigned, its deadline extended with a
reason, and it stays open until a later inspection confirms it put right
(``resolves`` in that inspection), someone marks it fixed with an "after"
photo taken at the facility (:func:`mark_fixed`), a repair project that
names it is completed, or a planner closes it with a note. Open defects past
their deadline are overdue. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence.location import EarlierUse, Thresholds, Verification, phone_position, prove
from evidence.models import Attachment
from evidence.photos import PhotoFacts
from evidence.service import attach
from evidence.uploads import Accepted
from inspections.checklist import ITEMS, SEVERITY_LABELS, SEVERITY_ORDER, default_severity
from inspections.models import DEFECT_OWNER_TYPE, Defect
from inspections.schemas import DefectOut, DefectUpdate
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import ValidationProblem
from memorials.scoping import get_or_404

GRADE_FLOOR = {"critical": "high"}
"""The least severity of any problem found at a facility graded so."""


def _max(*severities: str) -> str:
    return max(severities, key=SEVERITY_ORDER.index)


def least_severity(item: str, grade: str | None = None) -> str:
    """The least severity of a problem on ``item`` (the checklist's floor: a safety hazard is never minor) at ``grade``."""
    return _max(ITEMS[item].min_severity if item in ITEMS else "low", GRADE_FLOOR.get(grade or "", "low"))


def severity_for(item: str, grade: str, given: str | None) -> str:
    """A new problem's severity: as given (else from the grade), never below what its item and the grade demand.

    >>> severity_for("safety", "good", "low"), severity_for("vegetation", "poor", None)
    ('high', 'high')
    """
    return _max(given or default_severity(grade), least_severity(item, grade))


@dataclass
class DefectQuery:
    division: str | None = None
    facility_id: int | None = None
    status: str | None = None
    """``open``, ``resolved`` or ``overdue`` (open past its deadline)."""
    severity: str | None = None
    overdue: bool = False


def list_defects(
    *, session: Session, actor: Actor, query: DefectQuery, today: date, limit: int = 100, offset: int = 0
) -> tuple[list[Defect], int]:
    conditions = [scoped(Defect.division_code, actor.scope)]
    if query.division:
        conditions.append(within(Defect.division_code, query.division))
    if query.facility_id is not None:
        conditions.append(Defect.facility_id == query.facility_id)
    if query.status in ("open", "resolved"):
        conditions.append(Defect.status == query.status)
    elif query.status == "overdue":
        conditions.extend([Defect.status == "open", Defect.deadline < today])
    if query.overdue:
        conditions.extend([Defect.status == "open", Defect.deadline < today])
    if query.severity:
        conditions.append(Defect.severity == query.severity)
    total = session.scalar(select(func.count(Defect.id)).where(*conditions)) or 0
    stmt = (select(Defect).where(*conditions)
            .order_by(Defect.status, Defect.deadline, Defect.id).limit(limit).offset(offset))
    return list(session.scalars(stmt)), total


def get_defect(*, session: Session, defect_id: int, actor: Actor) -> Defect:
    return get_or_404(session, Defect, defect_id, actor, entity="defect")


def check_deadline(deadline: date, *, today: date, field: str) -> date:
    """A deadline someone sets for a defect: today or later, in the bureau's time zone (``today``).

    Every place that sets one calls this: a checklist entry of an inspection
    and a planner's change to a defect.
    """
    if deadline < today:
        raise ValidationProblem(field, f"{deadline.isoformat()} is in the past (today is {today.isoformat()}): "
                                       "a rectification deadline must be today or later")
    return deadline


def update_defect(*, session: Session, defect: Defect, data: DefectUpdate, actor: Actor, today: date) -> Defect:
    """Assign or reassign, change the severity, extend the deadline (with a reason), or close with a note.

    A new deadline must not lie before ``today`` (the bureau's date); the one it
    has may stay. A later deadline is an extension and needs ``deadline_reason``;
    the first deadline is kept (``original_deadline``). The severity never drops
    below what the checklist item demands.
    """
    given = data.model_dump(exclude_unset=True)
    for name in ("severity", "deadline", "responsible_person"):
        if name in given and given[name] is None:
            raise ValidationProblem(name, "cannot be empty")
    if defect.status == "resolved" and any(given.get(n) is not None for n in ("severity", "deadline",
                                                                             "responsible_person")):
        raise ValidationProblem("status", "the defect is resolved: it can no longer be changed")
    new_deadline = given.get("deadline")
    extension = new_deadline is not None and new_deadline != defect.deadline
    if extension:
        check_deadline(new_deadline, today=today, field="deadline")
        if new_deadline > defect.deadline and not (given.get("deadline_reason") or "").strip():
            raise ValidationProblem("deadline_reason", "say why the deadline is extended")
    if given.get("severity") is not None:
        floor = least_severity(defect.item)
        if SEVERITY_ORDER.index(given["severity"].value) < SEVERITY_ORDER.index(floor):
            raise ValidationProblem("severity", f"a problem of item {defect.item!r} is never below {floor} "
                                                f"({SEVERITY_LABELS[floor]})")
    changes = audit.Changes(defect, ("severity", "responsible_person", "status", "resolution_note"))
    if given.get("status") == "resolved":
        if defect.status == "resolved":
            raise ValidationProblem("status", "the defect is already resolved")
        if not (given.get("resolution_note") or "").strip():
            raise ValidationProblem("resolution_note", "say how it was put right")
        defect.status = "resolved"
        defect.resolved_at = datetime.now(timezone.utc)
        defect.resolution_kind = "note"
    for name in ("severity", "responsible_person", "resolution_note"):
        if name in given and given[name] is not None:
            value = given[name]
            setattr(defect, name, value.value if hasattr(value, "value") else value)
    changes.record(session=session, actor=actor, entity="defect", status_wins=True)
    if extension:
        old = defect.deadline
        if defect.original_deadline is None:
            defect.original_deadline = old
        defect.deadline = new_deadline
        session.flush()
        audit.record(session=session, actor=actor, entity="defect", entity_id=defect.id, action="deadline",
                     old={"deadline": old}, new={"deadline": new_deadline,
                                                 "reason": (given.get("deadline_reason") or "").strip()})
    return defect


def photo_owners(actor: Actor) -> Select[tuple[int]]:
    """Defects whose "after" photos the actor may see: those in their jurisdiction."""
    return select(Defect.id).where(scoped(Defect.division_code, actor.scope))


def _earlier(session: Session, defect: Defect, photos: Sequence[Accepted]) -> EarlierUse:
    """Photos that already proved a fix of another defect of this facility (bytes or capture time)."""
    used = EarlierUse(hashes=set(), taken=set())
    others = select(Defect.id).where(Defect.facility_id == defect.facility_id)
    stmt = select(Attachment.sha256, Attachment.taken_at).where(Attachment.owner_type == DEFECT_OWNER_TYPE,
                                                                 Attachment.owner_id.in_(others))
    for sha256, taken_at in session.execute(stmt):
        used.hashes.add(sha256)
        if taken_at is not None:
            used.taken.add(taken_at)
    return used


def mark_fixed(*, session: Session, defect: Defect, actor: Actor, photos: Sequence[Accepted], note: str,
               device: tuple[float, float, str] | None, thresholds: Thresholds) -> Defect:
    """Close a defect with "after" photos; at least one must be proven taken at the facility (``verified``)."""
    if defect.status != "open":
        raise ValidationProblem("status", "the defect is already resolved")
    if not photos:
        raise ValidationProblem("photos", "send at least one photo of the put-right site")
    facility = defect.facility
    site = (facility.longitude, facility.latitude)
    phone = phone_position(device[0], device[1], device[2], field="position") if device else None
    session.execute(select(Defect.id).where(Defect.id == defect.id).with_for_update())
    earlier = _earlier(session, defect, photos)
    proofs = []
    for item in photos:
        facts = item.facts
        gps = facts.gps if isinstance(facts, PhotoFacts) else None
        taken = facts.taken_at if isinstance(facts, PhotoFacts) else None
        proofs.append(prove(facility=site, gps=gps, device=phone, thresholds=thresholds,
                            reused=earlier.claim(item.sha256, taken)))
    if not any(p.verification == Verification.verified for p in proofs):
        found = ", ".join(f"photos[{i}]: {p.verification}" + (f" ({p.distance_m:.0f} m away)" if p.distance_m else "")
                          for i, p in enumerate(proofs))
        raise ValidationProblem("photos", "no photo proves it was taken at the facility (GPS within "
                                          f"{thresholds.radius_m:.0f} m, not used before): {found}")
    rows = attach(session=session, owner_type=DEFECT_OWNER_TYPE, owner_id=defect.id, accepted=photos, proofs=proofs)
    changes = audit.Changes(defect, ("status", "resolution_note", "resolution_kind"))
    defect.status = "resolved"
    defect.resolved_at = datetime.now(timezone.utc)
    defect.resolution_kind = "photo"
    defect.resolution_note = note.strip() or "已整改，附整改后现场照片"
    entry = changes.record(session=session, actor=actor, entity="defect", status_wins=True)
    if entry is not None and entry.new is not None:
        entry.new = {**entry.new, "photos": [r.sha256 for r in rows],
                     "verification": [r.verification for r in rows]}
    session.flush()
    session.expire(defect, ["after_photos"])
    return defect


def defect_out(defect: Defect, *, today: date) -> DefectOut:
    return DefectOut(
        id=defect.id, facility_id=defect.facility_id, facility_code=defect.facility.code,
        facility_name=defect.facility.name, division_code=defect.division_code, item=defect.item,
        category=defect.category, severity=defect.severity, description=defect.description,
        deadline=defect.deadline, responsible_person=defect.responsible_person, status=defect.status,
        overdue=defect.status == "open" and defect.deadline < today, opened_by=defect.opened_by_id,
        opened_at=defect.created_at, resolved_at=defect.resolved_at, resolved_by=defect.resolved_by_id,
        resolution_note=defect.resolution_note, resolution_kind=defect.resolution_kind,
        resolution_ref=defect.resolution_ref, original_deadline=defect.original_deadline,
        after_photos=[a.sha256 for a in defect.after_photos],
    )
