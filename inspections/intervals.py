"""Setting how often each level is due, per kind of facility or per facility.

A patrol interval belongs to the facility (``patrol_interval_days``): a rule
for a kind sets it on every facility of that kind in the user's
jurisdiction, a rule for one facility sets that facility's. County checks
and city spot checks are kept as rules, a facility's beating its kind's.
Every change is audited.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inspections.checklist import Level
from inspections.models import IntervalRule
from inspections.schemas import IntervalRuleIn, IntervalRuleOut
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.errors import NotFound, ValidationProblem
from memorials.facilities import get_facility, update_facility
from memorials.models import Facility
from memorials.schemas import FacilityUpdate
from memorials.scoping import in_scope
from memorials.vocab import FacilityKind


def list_rules(*, session: Session, actor: Actor) -> list[IntervalRuleOut]:
    """The rules this actor may see: every rule per kind (defaults everywhere), and the rules of single
    facilities inside the actor's jurisdiction only."""
    rows = session.scalars(
        select(IntervalRule).outerjoin(Facility, Facility.id == IntervalRule.facility_id)
        .where(or_(IntervalRule.facility_id.is_(None), in_scope(Facility.division_code, actor)))
        .order_by(IntervalRule.level, IntervalRule.kind, IntervalRule.facility_id))
    return [IntervalRuleOut(level=r.level, kind=r.kind, facility_id=r.facility_id, days=r.days) for r in rows]


def set_rule(*, session: Session, actor: Actor, data: IntervalRuleIn) -> list[IntervalRuleOut]:
    """Apply one rule; returns what it set (facilities' patrol intervals, or the stored rule)."""
    if (data.kind is None) == (data.facility_id is None):
        raise ValidationProblem("kind", "give either kind or facility_id")
    if data.kind is not None and data.kind not in FacilityKind.__members__:
        raise ValidationProblem("kind", f"unknown facility kind {data.kind!r}")
    facility = None
    if data.facility_id is not None:
        try:
            facility = get_facility(session=session, facility_id=data.facility_id, actor=actor)
        except NotFound:
            raise ValidationProblem("facility_id", f"no facility {data.facility_id}") from None
    if data.level == Level.patrol:
        targets = [facility] if facility else list(session.scalars(
            select(Facility).where(Facility.kind == data.kind, scoped(Facility.division_code, actor.scope))))
        for target in targets:
            update_facility(session=session, facility=target,
                            data=FacilityUpdate(patrol_interval_days=data.days), actor=actor)
        return [IntervalRuleOut(level=data.level.value, kind=None, facility_id=t.id, days=data.days) for t in targets]
    if facility is None and actor.scope:
        # A kind rule applies everywhere; only a nationwide user may set one for other levels.
        raise ValidationProblem("kind", "rules per kind for county and city checks are set nationwide by an admin")
    rule = session.scalar(select(IntervalRule).where(
        IntervalRule.level == data.level.value,
        IntervalRule.kind == data.kind if data.kind else IntervalRule.facility_id == data.facility_id))
    old = rule.days if rule else None
    if rule is None:
        rule = IntervalRule(level=data.level.value, kind=data.kind, facility_id=data.facility_id, days=data.days)
        session.add(rule)
    rule.days = data.days
    session.flush()
    audit.record(session=session, actor=actor, entity="interval_rule", entity_id=rule.id,
                 action="create" if old is None else "update", old=None if old is None else {"days": old},
                 new={"level": rule.level, "kind": rule.kind, "facility_id": rule.facility_id, "days": rule.days})
    return [IntervalRuleOut(level=rule.level, kind=rule.kind, facility_id=rule.facility_id, days=rule.days)]
