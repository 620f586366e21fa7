"""Who sees what of the patrols: the audit trail's resolver (``DOMAIN.audit_resolver``) and the photos' owner scope."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from inspections.models import Defect, Inspection, IntervalRule
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.models import Facility


def resolve(session: Session, actor: Actor, entity: str, ident: int) -> bool | None:
    if entity == "inspection":
        row = session.get(Inspection, ident)
        return row is not None and actor.covers(row.division_code)
    if entity == "defect":
        row = session.get(Defect, ident)
        return row is not None and actor.covers(row.division_code)
    if entity == "interval_rule":
        rule = session.get(IntervalRule, ident)
        if rule is None:
            return False
        if rule.facility_id is None:
            return True
        facility = session.get(Facility, rule.facility_id)
        return facility is not None and actor.covers(facility.division_code)
    return None


def photo_owners(actor: Actor) -> Select[tuple[int]]:
    """Inspections whose photos the actor may see: those in their jurisdiction (``DOMAIN.attachment_owners``)."""
    return select(Inspection.id).where(scoped(Inspection.division_code, actor.scope))
