"""What the inspector's phone keeps for a patrol without signal: the pack.

One answer carries the facilities of the inspector's jurisdiction that are
still patrolled (name, position, last patrol, whether patrolled this month,
open defects) and the checklist with its labels. The page stores it in
IndexedDB and refreshes it whenever it opens online; nearest-first and the
name search then run on the phone, signal or not. Three queries, grouped in
the database: facilities, the last patrol per facility, the open defects.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inspections.checklist import CHECKLIST, GRADE_LABELS, GRADE_ORDER, LEVEL_LABELS, SEVERITY_LABELS
from inspections.models import Defect, Inspection
from inspections.schemas import PackChecklistItem, PackDefect, PackFacility, PatrolPack
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.models import Facility
from memorials.vocab import STANDING_STATUSES

MAX_FACILITIES = 20_000
"""A county has a few hundred facilities; a province's inspector should pick a smaller jurisdiction."""


def patrol_pack(*, session: Session, actor: Actor, now: datetime | None = None) -> PatrolPack:
    now = now or clock.now()
    this_month = now.astimezone(clock.zone()).strftime("%Y-%m")
    facilities = session.execute(
        select(Facility.id, Facility.code, Facility.name, Facility.kind, Facility.longitude, Facility.latitude,
               Facility.patrol_interval_days)
        .where(scoped(Facility.division_code, actor.scope), Facility.status.in_(STANDING_STATUSES))
        .order_by(Facility.code).limit(MAX_FACILITIES)
    ).all()
    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == "patrol"]
    last = dict(session.execute(
        select(Inspection.facility_id, func.max(Inspection.performed_at)).where(*in_scope)
        .group_by(Inspection.facility_id)
    ).all())
    this = set(session.scalars(
        select(Inspection.facility_id).where(*in_scope, Inspection.period == this_month).distinct()
    ))
    defects: dict[int, list[PackDefect]] = {}
    for d in session.scalars(select(Defect).where(scoped(Defect.division_code, actor.scope), Defect.status == "open")
                             .order_by(Defect.id)):
        defects.setdefault(d.facility_id, []).append(PackDefect(
            id=d.id, item=d.item, description=d.description, severity=d.severity, deadline=d.deadline))

    def day(moment: datetime | None) -> date | None:
        return moment.astimezone(clock.zone()).date() if moment else None

    return PatrolPack(
        generated_at=now, period=this_month,
        checklist=[PackChecklistItem(key=i.key, label=i.label, group=i.group, answers=list(i.answers),
                                     min_severity=i.min_severity) for i in CHECKLIST],
        grades=[{"code": g, "label": GRADE_LABELS[g]} for g in GRADE_ORDER],
        levels=[{"code": k, "label": v} for k, v in LEVEL_LABELS.items()],
        severity_labels=SEVERITY_LABELS,
        facilities=[PackFacility(id=f.id, code=f.code, name=f.name, kind=f.kind, longitude=f.longitude,
                                 latitude=f.latitude, interval_days=f.patrol_interval_days,
                                 last_patrol=day(last.get(f.id)), patrolled_this_month=f.id in this,
                                 open_defects=defects.get(f.id, [])) for f in facilities],
    )
