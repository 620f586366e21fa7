"""Filing inspections, and finding them and their defects.

An inspection, its photos' attachment rows and the defects it opens or
closes are written in one transaction: all of it or none. Photo bytes go to
the store before the transaction (:mod:`evidence.uploads`: content-addressed,
so a retry finds them there) and stay there if it fails: the same bytes may
belong to another submission whose transaction has not committed yet;
``memorials fsck`` collects what no row references after a grace period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from evidence.location import EarlierUse, Thresholds, Verification, phone_position, prove
from evidence.models import Attachment
from evidence.photos import PhotoFacts
from evidence.service import attach
from evidence.uploads import Accepted
from inspections.checklist import (
    DEADLINE_DAYS,
    GRADE_LABELS,
    GRADE_ORDER,
    ITEMS,
    LEVEL_LABELS,
    SEVERITY_ORDER,
    implied_grade,
)
from inspections.defects import check_deadline, defect_out, severity_for
from inspections.models import OWNER_TYPE, Defect, Inspection
from inspections.schemas import GpsOut, InspectionIn, InspectionOut, PhotoOut, PhotoUrls
from memorials import audit, clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import NotFound, ValidationProblem
from memorials.facilities import get_facility
from memorials.models import Facility, User
from memorials.scoping import get_or_404
from memorials.vocab import STANDING_STATUSES

CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Requirements:
    """What a patrol must bring to be accepted (settings ``photo_required_levels``, ``max_position_accuracy_m``)."""

    photo_levels: frozenset[str] = frozenset({"patrol"})
    max_accuracy_m: float = 100.0


def _check_answers(data: InspectionIn) -> None:
    """Severities respect each item's floor; the grade is no better than the problems imply."""
    problems: dict[str, str | None] = {}
    for key, entry in data.checklist.items():
        if entry.result != "problem":
            continue
        floor = ITEMS[key].min_severity
        if entry.severity is not None and SEVERITY_ORDER.index(entry.severity) < SEVERITY_ORDER.index(floor):
            raise ValidationProblem(f"checklist.{key}.severity",
                                    f"a problem of {key} ({ITEMS[key].label}) is at least {floor}")
        problems[key] = entry.severity.value if entry.severity else None
    least = implied_grade(problems)
    if GRADE_ORDER.index(data.grade.value) < GRADE_ORDER.index(least):
        raise ValidationProblem("grade", f"{data.grade.value} ({GRADE_LABELS[data.grade.value]}) is better than the "
                                         f"problems ticked allow: at least {least} ({GRADE_LABELS[least]})")
    for index, meta in enumerate(data.photos):
        if meta.item is not None and problems.get(meta.item, "absent") == "absent":
            raise ValidationProblem(f"photos[{index}].item",
                                    f"{meta.item!r} is not a checklist item answered as a problem")


def _check_proof(data: InspectionIn, photos: Sequence[Accepted], requirements: Requirements) -> str | None:
    """The reason kept for an unverified patrol (None when verified); refuses what proves too little."""
    if not photos and data.level.value in requirements.photo_levels:
        raise ValidationProblem("photos", f"a {data.level.value} ({LEVEL_LABELS[data.level.value]}) needs at least "
                                          "one photo taken on site")
    accuracy = data.position.accuracy_m if data.position else None
    if accuracy is not None and accuracy > requirements.max_accuracy_m and not data.accuracy_confirmed:
        raise ValidationProblem("position.accuracy_m",
                                f"{accuracy:.0f} m is worse than {requirements.max_accuracy_m:.0f} m: wait for a "
                                "better fix or confirm it (accuracy_confirmed)")
    geotagged = any(isinstance(p.facts, PhotoFacts) and p.facts.gps is not None for p in photos)
    if data.position is not None or geotagged:
        return None
    if not data.unverified_reason:
        raise ValidationProblem("unverified_reason", "required when there is neither the phone's position nor a "
                                                     "geotagged photo (e.g. no signal, GPS off)")
    return data.unverified_reason


def inspector_name(session: Session, actor: Actor) -> str:
    """The inspector's real name as the lists and the ledger print it (the login name if none is set)."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return (user.display_name if user is not None and user.display_name else actor.username)


def _local_month(moment: datetime) -> str:
    return moment.astimezone(clock.zone()).strftime("%Y-%m")


def _previous_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _performed_at(data: InspectionIn, now: datetime) -> datetime:
    moment = data.performed_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.zone())  # a phone's local time: the bureau's zone
    if moment > now + CLOCK_SKEW:
        raise ValidationProblem("performed_at", "is in the future")
    if moment < now - timedelta(days=400):
        raise ValidationProblem("performed_at", "is more than 400 days ago")
    return moment.astimezone(timezone.utc)


def _period(data: InspectionIn, performed_at: datetime) -> str:
    month = _local_month(performed_at)
    if data.period is None:
        return month
    if data.period not in (month, _previous_month(month)):
        raise ValidationProblem("period", f"must be the month of the visit ({month}) or, filed late, the one before")
    return data.period


def file_inspection(
    *,
    session: Session,
    actor: Actor,
    data: InspectionIn,
    photos: Sequence[Accepted],
    thresholds: Thresholds,
    requirements: Requirements = Requirements(),  # noqa: B008 (frozen)
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Inspection:
    """Record one visit with its photos; open defects for problems, close those it confirms fixed.

    Refused (422) when the answers contradict each other (a grade better than
    the problems imply, a safety problem below serious), a level that needs
    photos has none, the position is too inaccurate and not confirmed, or
    the patrol proves no location (no position, no geotagged photo) and
    gives no reason; such a patrol, with its reason, counts as unverified.
    """
    now = now or datetime.now(timezone.utc)
    try:
        facility = get_facility(session=session, facility_id=data.facility_id, actor=actor)
    except NotFound:
        raise ValidationProblem("facility_id", f"no facility {data.facility_id}") from None
    if facility.status not in STANDING_STATUSES:
        raise ValidationProblem("facility_id", f"{facility.name} is {facility.status}: it is no longer patrolled")
    performed_at = _performed_at(data, now)
    period = _period(data, performed_at)
    today = now.astimezone(clock.zone()).date()
    for key, entry in data.checklist.items():
        if entry.deadline is not None:
            check_deadline(entry.deadline, today=today, field=f"checklist.{key}.deadline")
    if len(data.photos) > len(photos):
        raise ValidationProblem("photos", f"metadata for {len(data.photos)} photos but {len(photos)} sent")
    _check_answers(data)
    unverified_reason = _check_proof(data, photos, requirements)
    stood = (phone_position(data.position.longitude, data.position.latitude, data.position.crs, field="position")
             if data.position else None)
    site = (facility.longitude, facility.latitude)
    earlier = _earlier_use(session, facility_id=facility.id, photos=photos)
    inspection = Inspection(
        facility_id=facility.id,
        division_code=facility.division_code,
        level=data.level.value,
        inspector_id=actor.user_id,
        inspector_name=inspector_name(session, actor),
        performed_at=performed_at,
        period=period,
        checklist={k: v.model_dump(mode="json", exclude_none=True) for k, v in data.checklist.items()},
        grade=data.grade.value,
        notes=data.notes,
        position_longitude=stood[0] if stood else None,
        position_latitude=stood[1] if stood else None,
        position_crs=data.position.crs if data.position else None,
        position_accuracy_m=data.position.accuracy_m if data.position else None,
        position_distance_m=prove(facility=site, gps=stood, device=None, thresholds=thresholds).distance_m,
        unverified_reason=unverified_reason,
        idempotency_key=idempotency_key,
    )
    session.add(inspection)
    session.flush()
    proofs = []
    for index, photo in enumerate(photos):
        meta = data.photos[index] if index < len(data.photos) else None
        device = stood
        if meta is not None and meta.position is not None:
            device = phone_position(meta.position.longitude, meta.position.latitude, meta.position.crs,
                                    field=f"photos[{index}].position")
        taken_at = photo.facts.taken_at if isinstance(photo.facts, PhotoFacts) else None
        gps = photo.facts.gps if isinstance(photo.facts, PhotoFacts) else None
        proofs.append(prove(facility=site, gps=gps, device=device, thresholds=thresholds,
                            reused=earlier.claim(photo.sha256, taken_at)))
    attach(session=session, owner_type=OWNER_TYPE, owner_id=inspection.id, accepted=photos, proofs=proofs)
    shown: dict[str, list[str]] = {}
    for index, meta in enumerate(data.photos):
        if meta.item is not None:
            shown.setdefault(meta.item, []).append(photos[index].sha256)
    if shown:
        inspection.checklist = {k: ({**v, "photos": shown[k]} if k in shown else v)
                                for k, v in inspection.checklist.items()}
    verified = sum(proof.verification == Verification.verified for proof in proofs)
    inspection.photo_count = len(photos)
    inspection.verified_count = verified
    _open_defects(session, actor, facility, inspection, data)
    _resolve_defects(session, actor, facility, inspection, data.resolves)
    session.flush()
    audit.record(session=session, actor=actor, entity="inspection", entity_id=inspection.id, action="create",
                 old=None, new={"facility_id": facility.id, "level": inspection.level, "period": period,
                                "grade": inspection.grade, "photos": inspection.photo_count,
                                "verified": verified, "unverified_reason": unverified_reason})
    return inspection


def _earlier_use(session: Session, *, facility_id: int, photos: Sequence[Accepted]) -> EarlierUse:
    """Which of these photos (by bytes or by capture time) already served an inspection of the facility.

    The facility's row is locked first (PostgreSQL; SQLite writers are serial
    already), so two submissions of one photo filed at once cannot both find
    it unused.
    """
    used = EarlierUse(hashes=set(), taken=set())
    if not photos:
        return used
    session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update())
    times = {p.facts.taken_at for p in photos if isinstance(p.facts, PhotoFacts) and p.facts.taken_at is not None}
    same = Attachment.sha256.in_({p.sha256 for p in photos})
    stmt = (select(Attachment.sha256, Attachment.taken_at)
            .join(Inspection, and_(Attachment.owner_type == OWNER_TYPE, Attachment.owner_id == Inspection.id))
            .where(Inspection.facility_id == facility_id,
                   or_(same, Attachment.taken_at.in_(times)) if times else same))
    for sha256, taken_at in session.execute(stmt):
        used.hashes.add(sha256)
        if taken_at is not None:
            used.taken.add(taken_at)
    return used


def _open_defects(session: Session, actor: Actor, facility: Facility, inspection: Inspection,
                  data: InspectionIn) -> None:
    open_items = set(session.scalars(select(Defect.item).where(Defect.facility_id == facility.id,
                                                                Defect.status == "open")))
    visit_day = inspection.performed_at.astimezone(clock.zone()).date()
    for key, entry in data.checklist.items():
        if entry.result != "problem" or key in open_items:
            continue
        severity = severity_for(key, data.grade.value, entry.severity.value if entry.severity else None)
        deadline = entry.deadline or visit_day + timedelta(days=DEADLINE_DAYS[severity])
        if deadline < visit_day:
            raise ValidationProblem(f"checklist.{key}.deadline", "is before the visit")
        defect = Defect(
            facility_id=facility.id, division_code=facility.division_code, opened_by_id=inspection.id, item=key,
            category=ITEMS[key].category, severity=severity,
            description=entry.note or ITEMS[key].problem,
            deadline=deadline, responsible_person=entry.responsible_person or facility.custodian_person,
        )
        session.add(defect)
        session.flush()
        audit.record(session=session, actor=actor, entity="defect", entity_id=defect.id, action="create",
                     old=None, new={"facility_id": facility.id, "item": key, "severity": severity,
                                    "deadline": deadline.isoformat(), "inspection_id": inspection.id})


def _resolve_defects(session: Session, actor: Actor, facility: Facility, inspection: Inspection,
                     ids: Sequence[int]) -> None:
    for defect_id in ids:
        defect = session.get(Defect, defect_id)
        if defect is None or defect.facility_id != facility.id:
            raise ValidationProblem("resolves", f"defect {defect_id} is not a defect of this facility")
        if defect.status != "open":
            raise ValidationProblem("resolves", f"defect {defect_id} is already resolved")
        defect.status = "resolved"
        defect.resolved_at = inspection.performed_at
        defect.resolved_by_id = inspection.id
        defect.resolution_note = f"第{inspection.id}号巡查确认已整改"
        defect.resolution_kind = "inspection"
        audit.record(session=session, actor=actor, entity="defect", entity_id=defect.id, action="status",
                     old={"status": "open"}, new={"status": "resolved", "inspection_id": inspection.id})


def get_inspection(*, session: Session, inspection_id: int, actor: Actor) -> Inspection:
    return get_or_404(session, Inspection, inspection_id, actor, entity="inspection")


@dataclass
class InspectionQuery:
    division: str | None = None
    facility_id: int | None = None
    level: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    inspector_id: int | None = None


def _inspection_conditions(query: InspectionQuery, actor: Actor) -> list[ColumnElement[bool]]:
    conditions = [scoped(Inspection.division_code, actor.scope)]
    if query.division:
        conditions.append(within(Inspection.division_code, query.division))
    if query.facility_id is not None:
        conditions.append(Inspection.facility_id == query.facility_id)
    if query.level:
        conditions.append(Inspection.level == query.level)
    if query.period_from:
        conditions.append(Inspection.period >= query.period_from)
    if query.period_to:
        conditions.append(Inspection.period <= query.period_to)
    if query.inspector_id is not None:
        conditions.append(Inspection.inspector_id == query.inspector_id)
    return conditions


def list_inspections(
    *, session: Session, actor: Actor, query: InspectionQuery, limit: int = 50, offset: int = 0
) -> tuple[list[Inspection], int]:
    conditions = _inspection_conditions(query, actor)
    total = session.scalar(select(func.count(Inspection.id)).where(*conditions)) or 0
    stmt = (select(Inspection).where(*conditions)
            .order_by(Inspection.performed_at.desc(), Inspection.id.desc()).limit(limit).offset(offset))
    return list(session.scalars(stmt)), total


# Shapes ---------------------------------------------------------------------


def inspection_out(
    *, session: Session, inspection: Inspection, urls: Callable[[str], PhotoUrls], today: date
) -> InspectionOut:
    opened = list(session.scalars(select(Defect).where(Defect.opened_by_id == inspection.id).order_by(Defect.id)))
    resolved = list(session.scalars(select(Defect.id).where(Defect.resolved_by_id == inspection.id)
                                    .order_by(Defect.id)))
    problems = [k for k, v in inspection.checklist.items() if v.get("result") == "problem"]
    opened_items = {d.item for d in opened}
    still_open = list(session.scalars(
        select(Defect.id).where(Defect.facility_id == inspection.facility_id, Defect.status == "open",
                                Defect.item.in_([p for p in problems if p not in opened_items]),
                                Defect.opened_by_id < inspection.id).order_by(Defect.id)
    )) if problems else []
    photos = [
        PhotoOut(
            sha256=p.sha256, filename=p.filename, taken_at=p.taken_at,
            gps=GpsOut(longitude=p.gps_longitude, latitude=p.gps_latitude) if p.gps_longitude is not None else None,
            distance_m=p.distance_m, verification=p.verification or Verification.no_gps,  # type: ignore[arg-type]
            device_position=(GpsOut(longitude=p.device_longitude, latitude=p.device_latitude)
                             if p.device_longitude is not None else None),
            device_gap_m=p.device_gap_m, gap_flagged=p.gap_flagged, width=p.width or 0, height=p.height or 0,
            urls=urls(p.sha256),
        )
        for p in inspection.photos
    ]
    return InspectionOut(
        id=inspection.id, facility_id=inspection.facility_id, facility_code=inspection.facility.code,
        facility_name=inspection.facility.name, division_code=inspection.division_code, level=inspection.level,
        inspector_id=inspection.inspector_id, inspector=inspection.inspector_name,
        performed_at=inspection.performed_at, period=inspection.period, checklist=inspection.checklist,
        grade=inspection.grade, notes=inspection.notes,
        position=(GpsOut(longitude=inspection.position_longitude, latitude=inspection.position_latitude)
                  if inspection.position_longitude is not None else None),
        position_distance_m=inspection.position_distance_m, photo_count=inspection.photo_count,
        verified_count=inspection.verified_count, verified=inspection.unverified_reason is None,
        unverified_reason=inspection.unverified_reason, photos=photos,
        defects_opened=[defect_out(d, today=today) for d in opened], defects_still_open=still_open,
        defects_resolved=resolved,
    )
