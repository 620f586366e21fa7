"""Defects: the rectification list that goes to the custodian.

A problem found on patrol becomes a defect with a category, a severity, a
deadline and a responsible person. It stays open until a later inspection
confirms it put right (``resolves`` in that inspection), or a planner closes
it with a note; open defects past their deadline are overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inspections.models import Defect
from inspections.schemas import DefectOut, DefectUpdate
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import ValidationProblem
from memorials.scoping import get_or_404


@dataclass
class DefectQuery:
    division: str | None = None
    facility_id: int | None = None
    status: str | None = None
    """``open``, ``resolved`` or ``overdue`` (open past its deadline)."""


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
    """Change a defect's severity, deadline or responsible person, or close it with a note.

    A new deadline must not lie before ``today`` (the bureau's date); the one it has may stay.
    """
    given = data.model_dump(exclude_unset=True)
    for name in ("severity", "deadline", "responsible_person"):
        if name in given and given[name] is None:
            raise ValidationProblem(name, "cannot be empty")
    if given.get("deadline") is not None and given["deadline"] != defect.deadline:
        check_deadline(given["deadline"], today=today, field="deadline")
    changes = audit.Changes(defect, ("severity", "deadline", "responsible_person", "status", "resolution_note"))
    if given.get("status") == "resolved":
        if defect.status == "resolved":
            raise ValidationProblem("status", "the defect is already resolved")
        if not (given.get("resolution_note") or "").strip():
            raise ValidationProblem("resolution_note", "say how it was put right")
        defect.status = "resolved"
        defect.resolved_at = datetime.now(timezone.utc)
    for name in ("severity", "deadline", "responsible_person", "resolution_note"):
        if name in given and given[name] is not None:
            value = given[name]
            setattr(defect, name, value.value if hasattr(value, "value") else value)
    changes.record(session=session, actor=actor, entity="defect", status_wins=True)
    return defect


def defect_out(defect: Defect, *, today: date) -> DefectOut:
    return DefectOut(
        id=defect.id, facility_id=defect.facility_id, facility_code=defect.facility.code,
        facility_name=defect.facility.name, division_code=defect.division_code, item=defect.item,
        category=defect.category, severity=defect.severity, description=defect.description,
        deadline=defect.deadline, responsible_person=defect.responsible_person, status=defect.status,
        overdue=defect.status == "open" and defect.deadline < today, opened_by=defect.opened_by_id,
        opened_at=defect.created_at, resolved_at=defect.resolved_at, resolved_by=defect.resolved_by_id,
        resolution_note=defect.resolution_note,
    )
