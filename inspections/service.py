"""Filing inspections, and finding them and their defects.

An inspection, its photos and the defects it opens or closes are written in
one transaction: all of it or none. Photo bytes go to the store before the
transaction (they are content-addressed, so a retry finds them there) and
stay there if it fails: the same bytes may belong to another submission
whose transaction has not committed yet. :func:`check_photo_store` finds the
files no row references, and removes them once older than a grace period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from evidence.location import EarlierUse, Thresholds, phone_position, prove
from evidence.photos import PhotoFacts, PhotoRejected, clean_filename, ingest, read_facts
from evidence.store import PhotoStore, StoredFile, original_key, screen_key, thumb_key
from inspections.checklist import DEADLINE_DAYS, ITEMS, default_severity
from inspections.defects import defect_out
from inspections.models import Defect, Inspection, InspectionPhoto
from inspections.schemas import GpsOut, InspectionIn, InspectionOut, PhotoOut, PhotoUrls
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import NotFound, ValidationProblem
from memorials.facilities import get_facility
from memorials.models import Facility

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CLOCK_SKEW = timedelta(minutes=10)
FILING_STATUSES = ("in_use", "under_repair")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    max_count: int


@dataclass(frozen=True)
class StoredPhotos:
    """One entry per upload, in order; an upload sent twice has the same facts twice."""

    facts: list[PhotoFacts]
    filenames: list[str]


def _photo_problem(index: int, upload: Upload, reason: str) -> ValidationProblem:
    name = clean_filename(upload.filename) if upload.filename else f"photo {index + 1}"
    return ValidationProblem(f"photos[{index}]", f"{name}: {reason}")


def check_photos(uploads: Sequence[Upload], limits: PhotoLimits) -> None:
    """Refuse the whole submission if any photo is bad, before anything is stored."""
    if len(uploads) > limits.max_count:
        raise ValidationProblem("photos", f"at most {limits.max_count} photos per inspection")
    checked: set[bytes] = set()
    for index, upload in enumerate(uploads):
        if upload.data in checked:
            continue
        try:
            read_facts(upload.data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
        except PhotoRejected as exc:
            raise _photo_problem(index, upload, exc.reason) from None
        checked.add(upload.data)


def store_photos(uploads: Sequence[Upload], *, store: PhotoStore, limits: PhotoLimits) -> StoredPhotos:
    """Keep the originals and make display sizes, once per distinct photo.

    Nothing is removed if this or a later step fails: what is stored may
    already be another submission's (see the module docstring).
    """
    done: dict[bytes, PhotoFacts] = {}
    result = StoredPhotos(facts=[], filenames=[])
    for index, upload in enumerate(uploads):
        facts = done.get(upload.data)
        if facts is None:
            try:
                facts = ingest(upload.data, store=store, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
            except PhotoRejected as exc:
                raise _photo_problem(index, upload, exc.reason) from None
            done[upload.data] = facts
        result.facts.append(facts)
        result.filenames.append(clean_filename(upload.filename))
    return result


def _keys(sha256: str) -> tuple[str, str, str]:
    return original_key(sha256), screen_key(sha256), thumb_key(sha256)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _local_month(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m")


def _previous_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _performed_at(data: InspectionIn, now: datetime) -> datetime:
    moment = data.performed_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)  # a phone's local time: the bureau's zone
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
    photos: StoredPhotos,
    thresholds: Thresholds,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Inspection:
    """Record one visit with its photos; open defects for problems, close those it confirms fixed."""
    now = now or datetime.now(timezone.utc)
    try:
        facility = get_facility(session=session, facility_id=data.facility_id, actor=actor)
    except NotFound:
        raise ValidationProblem("facility_id", f"no facility {data.facility_id}") from None
    if facility.status not in FILING_STATUSES:
        raise ValidationProblem("facility_id", f"{facility.name} is {facility.status}: it is no longer patrolled")
    performed_at = _performed_at(data, now)
    period = _period(data, performed_at)
    if len(data.photos) > len(photos.facts):
        raise ValidationProblem("photos", f"metadata for {len(data.photos)} photos but {len(photos.facts)} sent")
    stood = (phone_position(data.position.longitude, data.position.latitude, data.position.crs, field="position")
             if data.position else None)
    site = (facility.longitude, facility.latitude)
    earlier = _earlier_use(session, facility_id=facility.id, photos=photos.facts)
    inspection = Inspection(
        facility_id=facility.id,
        division_code=facility.division_code,
        level=data.level.value,
        inspector_id=actor.user_id,
        inspector_name=actor.username,
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
        idempotency_key=idempotency_key,
    )
    session.add(inspection)
    session.flush()
    verified = 0
    for index, facts in enumerate(photos.facts):
        meta = data.photos[index] if index < len(data.photos) else None
        device = stood
        if meta is not None and meta.position is not None:
            device = phone_position(meta.position.longitude, meta.position.latitude, meta.position.crs,
                                    field=f"photos[{index}].position")
        proof = prove(facility=site, gps=facts.gps, device=device, thresholds=thresholds,
                      reused=earlier.claim(facts.sha256, facts.taken_at))
        verified += proof.verification == "verified"
        session.add(InspectionPhoto(
            inspection_id=inspection.id, position=index, sha256=facts.sha256, filename=photos.filenames[index],
            format=facts.format, size_bytes=facts.size_bytes, width=facts.width, height=facts.height,
            taken_at=facts.taken_at, gps_longitude=facts.gps[0] if facts.gps else None,
            gps_latitude=facts.gps[1] if facts.gps else None, distance_m=proof.distance_m,
            verification=proof.verification, device_longitude=device[0] if device else None,
            device_latitude=device[1] if device else None, device_gap_m=proof.device_gap_m,
            gap_flagged=proof.gap_flagged,
        ))
    inspection.photo_count = len(photos.facts)
    inspection.verified_count = verified
    _open_defects(session, actor, facility, inspection, data)
    _resolve_defects(session, actor, facility, inspection, data.resolves)
    session.flush()
    audit.record(session=session, actor=actor, entity="inspection", entity_id=inspection.id, action="create",
                 old=None, new={"facility_id": facility.id, "level": inspection.level, "period": period,
                                "grade": inspection.grade, "photos": inspection.photo_count,
                                "verified": verified})
    return inspection


def _earlier_use(session: Session, *, facility_id: int, photos: Sequence[PhotoFacts]) -> EarlierUse:
    """Which of these photos (by bytes or by capture time) already served an inspection of the facility.

    The facility's row is locked first (PostgreSQL; SQLite writers are serial
    already), so two submissions of one photo filed at once cannot both find
    it unused.
    """
    used = EarlierUse(hashes=set(), taken=set())
    if not photos:
        return used
    session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update())
    times = {p.taken_at for p in photos if p.taken_at is not None}
    same = InspectionPhoto.sha256.in_({p.sha256 for p in photos})
    stmt = (select(InspectionPhoto.sha256, InspectionPhoto.taken_at)
            .join(Inspection, InspectionPhoto.inspection_id == Inspection.id)
            .where(Inspection.facility_id == facility_id,
                   or_(same, InspectionPhoto.taken_at.in_(times)) if times else same))
    for sha256, taken_at in session.execute(stmt):
        used.hashes.add(sha256)
        if taken_at is not None:
            used.taken.add(taken_at)
    return used


def _open_defects(session: Session, actor: Actor, facility: Facility, inspection: Inspection,
                  data: InspectionIn) -> None:
    open_items = set(session.scalars(select(Defect.item).where(Defect.facility_id == facility.id,
                                                                Defect.status == "open")))
    visit_day = inspection.performed_at.astimezone(LOCAL_TZ).date()
    for key, entry in data.checklist.items():
        if entry.result != "problem" or key in open_items:
            continue
        severity = (entry.severity.value if entry.severity else default_severity(data.grade.value))
        deadline = entry.deadline or visit_day + timedelta(days=DEADLINE_DAYS[severity])
        if deadline < visit_day:
            raise ValidationProblem(f"checklist.{key}.deadline", "is before the visit")
        defect = Defect(
            facility_id=facility.id, division_code=facility.division_code, opened_by_id=inspection.id, item=key,
            category=ITEMS[key].category, severity=severity,
            description=entry.note or ITEMS[key].label + "：存在问题",
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
        audit.record(session=session, actor=actor, entity="defect", entity_id=defect.id, action="status",
                     old={"status": "open"}, new={"status": "resolved", "inspection_id": inspection.id})


def get_inspection(*, session: Session, inspection_id: int, actor: Actor) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or not actor.covers(inspection.division_code):
        raise NotFound("inspection", inspection_id)
    return inspection


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


def photo_visible(*, session: Session, actor: Actor, sha256: str) -> bool:
    """Whether the actor may see a photo: it belongs to an inspection in their jurisdiction."""
    stmt = (select(Inspection.id).join(InspectionPhoto, InspectionPhoto.inspection_id == Inspection.id)
            .where(InspectionPhoto.sha256 == sha256, scoped(Inspection.division_code, actor.scope)).limit(1))
    return session.scalar(stmt) is not None


def photo_mime(*, session: Session, sha256: str) -> str:
    fmt = session.scalar(select(InspectionPhoto.format).where(InspectionPhoto.sha256 == sha256).limit(1))
    return {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}.get(fmt or "", "application/octet-stream")


@dataclass(frozen=True)
class PhotoStoreCheck:
    """What ``memorials fsck`` found: files no row references, rows whose files are gone."""

    files: int
    referenced: int
    orphans: list[StoredFile]
    missing: dict[str, list[str]]
    """SHA-256 of a photo rows point to → the keys the store lacks."""
    removed: list[StoredFile]


def check_photo_store(*, session: Session, store: PhotoStore, remove_before: datetime | None = None
                      ) -> PhotoStoreCheck:
    """Compare the store with the photo rows; remove orphans last written before ``remove_before``.

    The store is listed before the rows are read. A file that a submission
    still in flight is about to reference was written or freshened by it
    moments ago, so it is younger than any sensible grace period and stays;
    :meth:`PhotoStore.discard_stale` checks its age again as it removes it.
    """
    files = list(store.files())
    referenced = set(session.scalars(select(InspectionPhoto.sha256).distinct()))
    present = {f.key for f in files}
    orphans = sorted((f for f in files if f.sha256 not in referenced), key=lambda f: f.key)
    missing: dict[str, list[str]] = {}
    for sha256 in sorted(referenced):
        lacking = [k for k in _keys(sha256) if k not in present and not store.exists(k)]  # exists: written since
        if lacking:
            missing[sha256] = lacking
    removed = ([f for f in orphans if f.modified < remove_before and store.discard_stale(f.key, before=remove_before)]
               if remove_before is not None else [])
    return PhotoStoreCheck(files=len(files), referenced=len(referenced), orphans=orphans, missing=missing,
                           removed=removed)


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
            distance_m=p.distance_m, verification=p.verification,  # type: ignore[arg-type]
            device_position=(GpsOut(longitude=p.device_longitude, latitude=p.device_latitude)
                             if p.device_longitude is not None else None),
            device_gap_m=p.device_gap_m, gap_flagged=p.gap_flagged, width=p.width, height=p.height,
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
        verified_count=inspection.verified_count, photos=photos,
        defects_opened=[defect_out(d, today=today) for d in opened], defects_still_open=still_open,
        defects_resolved=resolved,
    )
