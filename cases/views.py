"""Cases as the API and pages show them: stages, days in stage, documents, next steps, timeline."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.models import CASE_DOCUMENT, CONSENT_DOCUMENT, EXHUMATION_PHOTO, REBURIAL_PHOTO, RelocationCase
from cases.relocation import days_in_stage
from cases.schemas import AttachmentOut, CaseMartyrOut, RelocationOut, RelocationSummary, StepOut, TimelineOut
from cases.workflows import RELOCATION, Subject
from evidence.models import Attachment
from memorials.models import AuditEntry, Burial, Facility, Martyr
from memorials.relatives import masked_values

Url = Callable[[str], str]
PURPOSE_LABELS = {CONSENT_DOCUMENT: "亲属意愿书", CASE_DOCUMENT: "审批/确认文书", EXHUMATION_PHOTO: "起迁照片",
                  REBURIAL_PHOTO: "安葬照片"}


def attachments_of(session: Session, owner_type: str, owner_id: int, url: Url) -> list[AttachmentOut]:
    rows = session.scalars(select(Attachment).where(Attachment.owner_type == owner_type,
                                                    Attachment.owner_id == owner_id).order_by(Attachment.position))
    return [AttachmentOut(sha256=a.sha256, kind=a.kind, filename=a.filename, url=url(a.sha256),
                          purpose=PURPOSE_LABELS.get(owner_type, owner_type), verification=a.verification,
                          distance_m=a.distance_m) for a in rows]


def steps(session: Session, case: RelocationCase) -> list[StepOut]:
    """Next steps with what each still lacks (request values unknown: the approval's own fields are listed)."""
    return [StepOut(to=s.target, label=s.label, missing=list(s.missing))
            for s in RELOCATION.next_steps(Subject(case, session, {"role": "admin"}))]


def summary(case: RelocationCase) -> RelocationSummary:
    return RelocationSummary(id=case.id, number=case.number, kind=case.kind, status=case.status,
                             status_label=RELOCATION.label(case.status), days_in_stage=days_in_stage(case),
                             title=case.title, division_code=case.division_code,
                             receiving_division_code=case.receiving_division_code,
                             martyr_ids=[m.martyr_id for m in case.martyrs],
                             destination_facility_id=case.destination_facility_id)


def relocation_out(*, session: Session, case: RelocationCase, url: Url, contacts: bool) -> RelocationOut:
    """The case; the receiving bureau's contact is personal data, masked unless ``contacts``."""
    names = dict(session.execute(select(Martyr.id, Martyr.name).where(
        Martyr.id.in_([m.martyr_id for m in case.martyrs]))).all())
    martyrs = []
    for m in case.martyrs:
        origin = session.get(Facility, m.origin_facility_id)
        burial = session.get(Burial, m.origin_burial_id)
        martyrs.append(CaseMartyrOut(
            martyr_id=m.martyr_id, name=names.get(m.martyr_id, ""), origin_facility_id=m.origin_facility_id,
            origin_facility_name=origin.name if origin else "", origin_plot=burial.plot if burial else "",
            plot=m.plot, shared_grave=m.shared_grave, cemetery_reason=m.cemetery_reason, decision=m.decision,
            decided_by=m.decided_by, relation=m.relation, date=m.decided_on, note=m.decision_note,
            documents=attachments_of(session, CONSENT_DOCUMENT, m.id, url)))
    dest = session.get(Facility, case.destination_facility_id) if case.destination_facility_id else None
    documents = [d for owner in (CASE_DOCUMENT, EXHUMATION_PHOTO, REBURIAL_PHOTO)
                 for d in attachments_of(session, owner, case.id, url)]
    contact = case.receiving_contact if contacts else str(masked_values({"phone": case.receiving_contact})["phone"])
    plots = {str(m.martyr_id): m.plot for m in case.martyrs}
    base = summary(case).model_dump(exclude={"martyr_ids", "destination_facility_id"})
    return RelocationOut(
        **base, martyr_ids=[m.martyr_id for m in case.martyrs],
        destination_facility_id=case.destination_facility_id, destination_facility_name=dest.name if dest else None,
        destination_plot=plots, plots=plots, receiving_bureau=case.receiving_bureau, receiving_contact=contact,
        receiving_place=case.receiving_place, approval_authority=case.approval_authority,
        approval_document_no=case.approval_document_no, approval_date=case.approval_date, exhumed_on=case.exhumed_on,
        exhumation_present=case.exhumation_present, reburied_on=case.reburied_on,
        reburial_present=case.reburial_present, confirmation_document_no=case.confirmation_document_no,
        confirmed_on=case.confirmed_on, withdrawn_reason=case.withdrawn_reason, note=case.note, martyrs=martyrs,
        documents=documents, next_steps=steps(session, case) if case.status not in ("closed", "withdrawn") else [])


def timeline(*, session: Session, entity: str, entity_id: int, extra: tuple[str, list[int]] | None = None,
             contacts: bool = False) -> list[TimelineOut]:
    """Every audited step of a case, oldest first (personal fields masked unless ``contacts``)."""
    cond = (AuditEntry.entity == entity) & (AuditEntry.entity_id == str(entity_id))
    if extra and extra[1]:
        cond = or_(cond, (AuditEntry.entity == extra[0]) & AuditEntry.entity_id.in_([str(i) for i in extra[1]]))
    rows = session.scalars(select(AuditEntry).where(cond).order_by(AuditEntry.at, AuditEntry.id))
    out = []
    for e in rows:
        old, new = e.old, e.new
        if not contacts:
            old = masked_values(old) if old else old
            new = masked_values(new) if new else new
        out.append(TimelineOut(at=e.at, username=e.username, action=e.action, old=old, new=new))
    return out


