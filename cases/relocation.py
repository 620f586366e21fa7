"""Relocation cases: moving martyrs' graves with their families' consent, and the registry following.

A case walks ``proposed`` → ``consulting_family`` → ``approved`` → ``exhumed``
→ ``reburied`` → ``closed`` (or ``withdrawn``) through :data:`cases.workflows.RELOCATION`.
Reburial, in one transaction:

1. lock the destination facility's row (two cases filling one cemetery take turns);
2. end each martyr's origin burial on the reburial date (``until``; a
   cross-region move names the receiving place in its note);
3. start the new burial in the destination plot, refusing a plot already
   taken unless it is marked as a shared grave;
4. mark each origin facility that now holds nobody ``relocated``, linked to
   the destination.

Every step is audited; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from cases.models import (
    CASE_DOCUMENT,
    CONSENT_DOCUMENT,
    EXHUMATION_PHOTO,
    REBURIAL_PHOTO,
    RelocationCase,
    RelocationMartyr,
)
from cases.numbers import next_number
from cases.schemas import ConsentIn, RelocationCreate, RelocationUpdate, TransitionIn
from cases.workflows import RELOCATION, Subject, transition_to
from evidence.location import PhotoProof, Thresholds, prove
from evidence.models import Attachment, Kind
from evidence.photos import PhotoFacts
from evidence.service import attach
from evidence.uploads import Accepted
from memorials import audit, clock
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.errors import Conflict, NotFound, ValidationProblem
from memorials.models import Burial, Division, Facility, Martyr
from memorials.vocab import CLOSED_STATUSES, FacilityStatus

AUDITED = ("title", "destination_facility_id", "receiving_division_code", "receiving_bureau", "receiving_contact",
           "receiving_place", "approval_authority", "approval_document_no", "approval_date", "exhumed_on",
           "exhumation_present", "reburied_on", "reburial_present", "confirmation_document_no", "confirmed_on",
           "withdrawn_reason", "note")
MARTYR_AUDITED = ("plot", "shared_grave", "cemetery_reason", "decision", "decided_by", "relation", "decided_on",
                  "decision_note")
PURPOSES = {"consent": CONSENT_DOCUMENT, "document": CASE_DOCUMENT, "exhumation": EXHUMATION_PHOTO,
            "reburial": REBURIAL_PHOTO}
OPEN_STATES = ("proposed", "consulting_family", "approved", "exhumed")


def visible(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor may see: sent from or received in the jurisdiction."""
    return or_(scoped(RelocationCase.division_code, actor.scope),
               scoped(func.coalesce(RelocationCase.receiving_division_code, "-"), actor.scope))


def case_ids(actor: Actor) -> Select[tuple[int]]:
    return select(RelocationCase.id).where(visible(actor))


def consent_ids(actor: Actor) -> Select[tuple[int]]:
    return select(RelocationMartyr.id).join(RelocationCase).where(visible(actor))


def get_relocation(*, session: Session, case_id: int, actor: Actor, for_update: bool = False) -> RelocationCase:
    case = session.get(RelocationCase, case_id, with_for_update=for_update or None)
    if case is None or not (actor.covers(case.division_code)
                            or (case.receiving_division_code and actor.covers(case.receiving_division_code))):
        raise NotFound("relocation case", case_id)
    return case


def _sender(actor: Actor, case: RelocationCase) -> None:
    """Only the sending bureau runs the case; the receiving one follows it."""
    if not actor.covers(case.division_code):
        raise NotFound("relocation case", case.id)


def _facility(session: Session, facility_id: int, actor: Actor, field: str) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None or not actor.covers(facility.division_code):
        raise ValidationProblem(field, f"no facility {facility_id}")
    if facility.status in CLOSED_STATUSES:
        raise ValidationProblem(field, f"{facility.name} is {facility.status}; no one can be buried there now")
    return facility


def _keyed(values: dict[str, object], martyr_ids: Sequence[int], field: str) -> dict[int, object]:
    out = {}
    for key, value in values.items():
        if not key.isdigit() or int(key) not in martyr_ids:
            raise ValidationProblem(f"{field}.{key}", "is not a martyr of this case")
        out[int(key)] = value
    return out


def create_relocation(*, session: Session, data: RelocationCreate, actor: Actor) -> RelocationCase:
    if len(set(data.martyr_ids)) != len(data.martyr_ids):
        raise ValidationProblem("martyr_ids", "lists a martyr twice")
    rows = []
    for i, martyr_id in enumerate(data.martyr_ids):
        martyr = session.get(Martyr, martyr_id)
        current = session.scalar(select(Burial).where(Burial.martyr_id == martyr_id, Burial.until.is_(None)))
        origin = session.get(Facility, current.facility_id) if current else None
        if martyr is None or not actor.covers(martyr.division_code):
            raise ValidationProblem(f"martyr_ids[{i}]", f"no martyr {martyr_id}")
        if origin is None or not actor.covers(origin.division_code):
            raise ValidationProblem(f"martyr_ids[{i}]", f"{martyr.name} has no current burial in your jurisdiction")
        busy = session.scalar(select(RelocationCase.number).join(RelocationMartyr).where(
            RelocationMartyr.martyr_id == martyr_id, RelocationCase.status.in_(OPEN_STATES)))
        if busy:
            raise Conflict(f"martyr_ids[{i}]: {martyr.name} is already in relocation case {busy}")
        rows.append((martyr, current, origin))
    if data.kind == "consolidation":
        if data.destination_facility_id is None:
            raise ValidationProblem("destination_facility_id", "a consolidation needs a destination facility")
        dest = _facility(session, data.destination_facility_id, actor, "destination_facility_id")
        if any(origin.id == dest.id for _, _, origin in rows):
            raise ValidationProblem("destination_facility_id", "is where a martyr of this case already lies")
        if data.receiving_division_code:
            raise ValidationProblem("receiving_division_code", "is for cross-region cases only")
    else:
        if data.destination_facility_id is not None:
            raise ValidationProblem("destination_facility_id", "a cross-region case goes to a receiving bureau, "
                                                               "not a facility of ours")
        if not data.receiving_division_code:
            raise ValidationProblem("receiving_division_code", "a cross-region case needs the receiving division")
        if session.get(Division, data.receiving_division_code) is None:
            raise ValidationProblem("receiving_division_code", f"unknown division {data.receiving_division_code}")
    ids = list(data.martyr_ids)
    plots = _keyed(data.plots, ids, "plots")
    reasons = _keyed(data.cemetery_reasons, ids, "cemetery_reasons")
    shared = set(data.shared_graves)
    if shared - set(ids):
        raise ValidationProblem("shared_graves", "names a martyr not in this case")
    division = rows[0][2].division_code[:6]
    case = RelocationCase(
        number=next_number(session, RelocationCase.number, prefix="QZ", division_code=division,
                           year=clock.today().year),
        kind=data.kind, status="proposed", status_since=datetime.now(timezone.utc), title=data.title,
        division_code=division, destination_facility_id=data.destination_facility_id,
        receiving_division_code=data.receiving_division_code, receiving_bureau=data.receiving_bureau,
        receiving_contact=data.receiving_contact, receiving_place=data.receiving_place, note=data.note,
        created_by=actor.username)
    session.add(case)
    session.flush()
    for martyr, burial, origin in rows:
        session.add(RelocationMartyr(case_id=case.id, martyr_id=martyr.id, origin_burial_id=burial.id,
                                     origin_facility_id=origin.id, plot=str(plots.get(martyr.id, "")),
                                     shared_grave=martyr.id in shared,
                                     cemetery_reason=str(reasons.get(martyr.id, "")), decision="pending"))
    session.flush()
    session.refresh(case)
    audit.record(session=session, actor=actor, entity="relocation_case", entity_id=case.id, action="create",
                 old=None, new={"number": case.number, "kind": case.kind, "martyr_ids": ids,
                                **audit.snapshot(case, AUDITED)})
    return case


def update_relocation(*, session: Session, case: RelocationCase, data: RelocationUpdate,
                      actor: Actor) -> RelocationCase:
    _sender(actor, case)
    if case.status not in ("proposed", "consulting_family"):
        raise Conflict(f"status: the case is {RELOCATION.label(case.status)}; its plan can no longer change")
    values = data.model_dump(exclude_unset=True)
    changes = audit.Changes(case, AUDITED)
    ids = [m.martyr_id for m in case.martyrs]
    if values.get("destination_facility_id") is not None:
        if case.kind != "consolidation":
            raise ValidationProblem("destination_facility_id", "is for consolidation cases only")
        _facility(session, values["destination_facility_id"], actor, "destination_facility_id")
    for name in ("title", "destination_facility_id", "receiving_bureau", "receiving_contact", "receiving_place",
                 "note"):
        if name in values and values[name] is not None:
            setattr(case, name, values[name])
    plots = _keyed(values.get("plots") or {}, ids, "plots")
    reasons = _keyed(values.get("cemetery_reasons") or {}, ids, "cemetery_reasons")
    shared = values.get("shared_graves")
    for m in case.martyrs:
        row = audit.Changes(m, MARTYR_AUDITED)
        if m.martyr_id in plots:
            m.plot = str(plots[m.martyr_id])
        if m.martyr_id in reasons:
            m.cemetery_reason = str(reasons[m.martyr_id])
        if shared is not None:
            m.shared_grave = m.martyr_id in shared
        row.record(session=session, actor=actor, entity="relocation_case_martyr")
    changes.record(session=session, actor=actor, entity="relocation_case")
    return case


def _row(case: RelocationCase, martyr_id: int, field: str = "martyr_id") -> RelocationMartyr:
    for m in case.martyrs:
        if m.martyr_id == martyr_id:
            return m
    raise ValidationProblem(field, f"martyr {martyr_id} is not in case {case.number}")


def record_consent(*, session: Session, case: RelocationCase, data: ConsentIn, actor: Actor) -> RelocationMartyr:
    """A family decision (or the record of a search that found no family) for one martyr."""
    _sender(actor, case)
    if case.status not in ("proposed", "consulting_family"):
        raise Conflict(f"status: the case is {RELOCATION.label(case.status)}; decisions are recorded before approval")
    row = _row(case, data.martyr_id)
    if data.decision in ("agree", "disagree") and not (data.decided_by and data.relation):
        raise ValidationProblem("decided_by", "a family decision names who decided and their relation")
    if data.decision == "no_family_found" and not data.note.strip():
        raise ValidationProblem("note", "say what was done to find the family (and when, in date)")
    if data.decision != "pending" and not data.date:
        raise ValidationProblem("date", "when the decision was made (or the search done)")
    changes = audit.Changes(row, MARTYR_AUDITED)
    row.decision, row.decided_by, row.relation = data.decision, data.decided_by, data.relation
    row.decided_on, row.decision_note = data.date, data.note
    changes.record(session=session, actor=actor, entity="relocation_case_martyr", status_field="decision")
    audit.record(session=session, actor=actor, entity="relocation_case", entity_id=case.id, action="consent",
                 old=None, new={"martyr_id": row.martyr_id, "decision": row.decision, "decided_by": row.decided_by,
                                "relation": row.relation, "date": row.decided_on})
    return row


def attach_evidence(*, session: Session, case: RelocationCase, purpose: str, accepted: Sequence[Accepted],
                    martyr_id: int | None, thresholds: Thresholds, actor: Actor) -> list[Attachment]:
    """Signed consents (per martyr), approval/confirmation documents, exhumation and reburial photos.

    Photos of the exhumation are proved against the nearest origin facility,
    those of the reburial against the destination facility.
    """
    _sender(actor, case)
    if purpose not in PURPOSES:
        raise ValidationProblem("purpose", f"one of {', '.join(PURPOSES)}")
    owner_type = PURPOSES[purpose]
    if purpose == "consent":
        if martyr_id is None:
            raise ValidationProblem("martyr_id", "a consent document belongs to one martyr of the case")
        owner_id = _row(case, martyr_id).id
    else:
        owner_id = case.id
    if purpose in ("exhumation", "reburial") and any(a.kind != Kind.photo for a in accepted):
        raise ValidationProblem("files", "exhumation and reburial evidence are photos (JPEG, PNG, HEIC)")
    sites: list[Facility] = []
    if purpose == "exhumation":
        sites = [session.get(Facility, m.origin_facility_id) for m in case.martyrs]
    elif purpose == "reburial" and case.destination_facility_id:
        sites = [session.get(Facility, case.destination_facility_id)]
    proofs: list[PhotoProof | None] = []
    for item in accepted:
        facts = item.facts
        if not sites or not isinstance(facts, PhotoFacts):
            proofs.append(None)
            continue
        candidates = [prove(facility=(f.longitude, f.latitude), gps=facts.gps, device=None, thresholds=thresholds)
                      for f in sites if f is not None]
        proofs.append(min(candidates, key=lambda p: p.distance_m if p.distance_m is not None else 1e12))
    rows = attach(session=session, owner_type=owner_type, owner_id=owner_id, accepted=accepted, proofs=proofs)
    audit.record(session=session, actor=actor, entity="relocation_case", entity_id=case.id, action="evidence",
                 old=None, new={"purpose": purpose, "martyr_id": martyr_id,
                                "files": [{"sha256": r.sha256, "verification": r.verification} for r in rows]})
    return rows


def transition(*, session: Session, case: RelocationCase, data: TransitionIn, actor: Actor) -> RelocationCase:
    _sender(actor, case)
    name = transition_to(RELOCATION, case.status, data.to)
    values = {"authority": data.authority, "document_no": data.document_no, "date": data.date,
              "present": data.present, "reason": data.reason, "note": data.note, "role": actor.role}
    subject = Subject(case, session, values)
    RELOCATION.check(subject, name)
    changes = audit.Changes(case, AUDITED)
    if name == "approve":
        case.approval_authority, case.approval_document_no, case.approval_date = (data.authority, data.document_no,
                                                                                  data.date)
    elif name == "exhume":
        case.exhumed_on, case.exhumation_present = data.date, data.present
    elif name == "rebury":
        case.reburied_on, case.reburial_present = data.date, data.present
        if case.kind == "cross_region":
            case.confirmation_document_no = data.document_no or case.confirmation_document_no
            case.confirmed_on = data.date
        _follow_registry(session=session, case=case, actor=actor)
    elif name == "withdraw":
        case.withdrawn_reason = data.reason
    changes.record(session=session, actor=actor, entity="relocation_case")
    RELOCATION.apply(session=session, obj=subject, name=name, actor=actor, entity_id=case.id, note=data.note)
    case.status_since = datetime.now(timezone.utc)
    session.flush()
    return case


def _follow_registry(*, session: Session, case: RelocationCase, actor: Actor) -> None:
    """End each origin burial, start the destination one, mark emptied facilities ``relocated``."""
    date = case.reburied_on
    dest: Facility | None = None
    if case.kind == "consolidation":
        dest = session.get(Facility, case.destination_facility_id, with_for_update=True)
        if dest is None or dest.status in CLOSED_STATUSES:
            raise Conflict("destination_facility_id: the destination can no longer take burials")
    names = dict(session.execute(select(Martyr.id, Martyr.name).where(
        Martyr.id.in_([m.martyr_id for m in case.martyrs]))).all())
    for m in case.martyrs:
        origin = session.get(Burial, m.origin_burial_id)
        if origin is None or origin.until is not None:
            raise Conflict(f"martyr_ids: {names[m.martyr_id]}'s burial changed since the case began")
        changes = audit.Changes(origin, ("until", "note"))
        origin.until = date
        where = dest.name if dest else f"{case.receiving_bureau}（{case.receiving_place}）"
        origin.note = f"迁葬案件{case.number}：迁往{where}"
        session.flush()
        changes.record(session=session, actor=actor, entity="burial")
        if dest is None:
            continue
        taken = session.scalar(select(Burial.martyr_id).where(Burial.facility_id == dest.id, Burial.plot == m.plot,
                                                              Burial.until.is_(None)))
        if taken is not None and not m.shared_grave:
            raise Conflict(f"plots.{m.martyr_id}: {dest.name} {m.plot} is taken by {names.get(taken, taken)}; "
                           "mark it a shared grave or choose another plot")
        burial = Burial(facility_id=dest.id, martyr_id=m.martyr_id, plot=m.plot, since=date,
                        note=f"迁葬案件{case.number}迁入" + ("（合葬墓）" if m.shared_grave else ""))
        session.add(burial)
        session.flush()
        m.new_burial_id = burial.id
        audit.record(session=session, actor=actor, entity="burial", entity_id=burial.id, action="create", old=None,
                     new=audit.snapshot(burial, ("facility_id", "martyr_id", "plot", "since", "note")))
    for facility_id in sorted({m.origin_facility_id for m in case.martyrs}):
        remaining = session.scalar(select(func.count(Burial.id)).where(Burial.facility_id == facility_id,
                                                                       Burial.until.is_(None)))
        facility = session.get(Facility, facility_id)
        if remaining or facility is None or facility.kind == "cemetery":
            continue
        changes = audit.Changes(facility, ("status", "relocated_to_id"))
        facility.status = FacilityStatus.relocated.value
        facility.relocated_to_id = dest.id if dest else None
        session.flush()
        changes.record(session=session, actor=actor, entity="facility", status_wins=True)


def days_in_stage(case: RelocationCase | object) -> int:
    since = getattr(case, "status_since")
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return max(0, (datetime.now(timezone.utc) - since).days)


def list_relocations(*, session: Session, actor: Actor, division: str | None = None, status: str | None = None,
                     kind: str | None = None, martyr_id: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[RelocationCase], int]:
    stmt = select(RelocationCase).where(visible(actor))
    if division:
        stmt = stmt.where(or_(scoped(RelocationCase.division_code, division),
                              scoped(func.coalesce(RelocationCase.receiving_division_code, "-"), division)))
    if status:
        stmt = stmt.where(RelocationCase.status == status)
    if kind:
        stmt = stmt.where(RelocationCase.kind == kind)
    if martyr_id:
        stmt = stmt.where(RelocationCase.id.in_(select(RelocationMartyr.case_id)
                                                .where(RelocationMartyr.martyr_id == martyr_id)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(RelocationCase.id.desc()).limit(limit).offset(offset))
    return list(rows), total
