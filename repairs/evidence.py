"""Photos and documents of a project: before, during and after photos per facility, invoices, acceptance papers.

Photos get the same location proof as patrol photos (``evidence.location``):
measured against the facility they show; a photo already used as proof for
this facility by a repair (same bytes or same capture time) is ``reused``.
Documents (PDF) prove nothing about a place; an invoice scan may also be a
photo. The bytes are checked and stored before the transaction
(``evidence.uploads.accept``); the rows are written in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from evidence.location import EarlierUse, PhotoProof, Thresholds, phone_position, prove
from evidence.models import Attachment
from evidence.photos import PhotoFacts
from evidence.service import attach
from evidence.uploads import Accepted
from memorials import audit
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.models import Facility
from repairs.models import OWNER_TYPE, Expenditure, RepairEvidence, RepairProject
from repairs.vocab import PHOTO_PHASES, Phase, State


def _earlier(session: Session, facility_id: int, files: Sequence[Accepted]) -> EarlierUse:
    used = EarlierUse(hashes=set(), taken=set())
    session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update())
    times = {f.facts.taken_at for f in files if isinstance(f.facts, PhotoFacts) and f.facts.taken_at is not None}
    same = Attachment.sha256.in_({f.sha256 for f in files})
    stmt = (select(Attachment.sha256, Attachment.taken_at)
            .join(RepairEvidence, RepairEvidence.attachment_id == Attachment.id)
            .where(RepairEvidence.facility_id == facility_id, Attachment.kind == "photo",
                   or_(same, Attachment.taken_at.in_(times)) if times else same))
    for sha256, taken_at in session.execute(stmt):
        used.hashes.add(sha256)
        if taken_at is not None:
            used.taken.add(taken_at)
    return used


def add_evidence(
    *, session: Session, actor: Actor, project: RepairProject, phase: Phase, files: Sequence[Accepted],
    facility_id: int | None, expenditure_id: int | None, note: str, device: tuple[float, float, str] | None,
    thresholds: Thresholds,
) -> list[RepairEvidence]:
    """Attach checked files to the project with what they show; photos are proven against their facility."""
    if project.status == State.cancelled.value:
        raise ValidationProblem("project", "the project is cancelled")
    if not files:
        raise ValidationProblem("files", "send at least one file")
    facilities = {f.id: f for f in project.facilities}
    if facility_id is None and phase.value in PHOTO_PHASES:
        if len(facilities) != 1:
            raise ValidationProblem("facility_id", "required: the project covers several facilities; name the one "
                                                   "these photos show")
        facility_id = next(iter(facilities))
    if facility_id is not None and facility_id not in facilities:
        raise ValidationProblem("facility_id", f"facility {facility_id} is not one of this project's facilities")
    if expenditure_id is not None:
        spent = session.get(Expenditure, expenditure_id)
        if spent is None or spent.project_id != project.id:
            raise ValidationProblem("expenditure_id", f"no expenditure {expenditure_id} in this project")
    elif phase == Phase.invoice:
        raise ValidationProblem("expenditure_id", "required for an invoice: name the expenditure it proves")
    if phase.value in PHOTO_PHASES:
        for index, item in enumerate(files):
            if not isinstance(item.facts, PhotoFacts):
                raise ValidationProblem(f"files[{index}]", f"{phase.value} evidence must be a photo, not a document")
    proofs: list[PhotoProof | None] = []
    if facility_id is not None:
        facility = facilities[facility_id]
        site = (facility.longitude, facility.latitude)
        phone = phone_position(device[0], device[1], device[2], field="position") if device else None
        earlier = _earlier(session, facility_id, files)
        for item in files:
            facts = item.facts
            if isinstance(facts, PhotoFacts):
                proofs.append(prove(facility=site, gps=facts.gps, device=phone, thresholds=thresholds,
                                    reused=earlier.claim(item.sha256, facts.taken_at)))
            else:
                proofs.append(None)
    rows = attach(session=session, owner_type=OWNER_TYPE, owner_id=project.id, accepted=files, proofs=proofs)
    out = []
    for row in rows:
        link = RepairEvidence(attachment_id=row.id, project_id=project.id, phase=phase.value, facility_id=facility_id,
                              expenditure_id=expenditure_id, note=note)
        session.add(link)
        out.append(link)
    session.flush()
    for link in out:
        session.refresh(link)
    session.expire(project, ["evidence"])
    audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="evidence", old=None,
                 new={"phase": phase.value, "facility_id": facility_id, "expenditure_id": expenditure_id,
                      "files": [r.sha256 for r in rows],
                      "verification": [r.verification for r in rows]})
    return out


def by_project(*, session: Session, project_id: int) -> list[RepairEvidence]:
    return list(session.scalars(select(RepairEvidence).join(Attachment, Attachment.id == RepairEvidence.attachment_id)
                                .where(and_(RepairEvidence.project_id == project_id))
                                .order_by(Attachment.position)))
