"""How the audit trail finds the jurisdiction of inspections, defects and rules (``DOMAIN.audit_resolver``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inspections.models import Defect, Inspection, IntervalRule
from memorials.actors import Actor
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
