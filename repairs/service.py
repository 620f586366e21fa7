"""Repair projects: proposing, changing, taking workflow steps, and reading them back.

Services take the session and flush; the request or CLI command owns the
transaction. A project's division is the smallest division holding all its
facilities (jurisdiction); everything it names (facilities, defects) must
lie inside the actor's jurisdiction, or is answered as not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inspections.models import Defect
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import common_division, scoped, within
from memorials.errors import Forbidden, ValidationProblem
from memorials.models import Facility
from memorials.permissions import Role
from memorials.scoping import get_or_404
from memorials.vocab import CLOSED_STATUSES, FacilityStatus
from repairs import money as money_service
from repairs.models import RepairDefect, RepairProject
from repairs.schemas import (
    Acceptance,
    Approval,
    Contractor,
    FacilityRef,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    StepOut,
    TransitionIn,
)
from repairs.vocab import STATE_LABELS, State
from repairs.workflow import REPAIR_FLOW, TRANSITION_TO

AUDITED = ("title", "kind", "planned_start", "planned_end", "contractor_name", "contractor_credit_code", "description",
           "division_code")
@dataclass
class ProjectQuery:
    division: str | None = None
    status: str | None = None
    kind: str | None = None
    facility_id: int | None = None
    defect_id: int | None = None
    year: int | None = None
    q: str | None = None


def _facilities(session: Session, ids: list[int], actor: Actor) -> list[Facility]:
    out: list[Facility] = []
    for index, ident in enumerate(dict.fromkeys(ids)):
        facility = session.get(Facility, ident)
        if facility is None or not actor.covers(facility.division_code):
            raise ValidationProblem(f"facility_ids[{index}]", f"no facility {ident} in your jurisdiction")
        if facility.status in CLOSED_STATUSES:
            raise ValidationProblem(f"facility_ids[{index}]",
                                    f"facility {facility.code} is {facility.status}: it cannot be repaired")
        out.append(facility)
    return out


def _defects(session: Session, ids: list[int], actor: Actor, *, project_id: int | None = None) -> list[Defect]:
    out: list[Defect] = []
    for index, ident in enumerate(dict.fromkeys(ids)):
        defect = session.get(Defect, ident)
        if defect is None or not actor.covers(defect.division_code):
            raise ValidationProblem(f"defect_ids[{index}]", f"no defect {ident} in your jurisdiction")
        if defect.status != "open":
            raise ValidationProblem(f"defect_ids[{index}]", f"defect {ident} is already resolved")
        taken = session.scalar(
            select(RepairDefect.project_id).join(RepairProject, RepairProject.id == RepairDefect.project_id)
            .where(RepairDefect.defect_id == ident, RepairProject.status != State.cancelled.value,
                   RepairProject.id != (project_id or 0)))
        if taken is not None:
            raise ValidationProblem(f"defect_ids[{index}]", f"defect {ident} is already in repair project {taken}")
        out.append(defect)
    return out


def _place(session: Session, project: RepairProject, facility_ids: list[int], defect_ids: list[int],
           actor: Actor) -> None:
    """Set the project's facilities (those named, plus those of its defects), defects and division."""
    defects = _defects(session, defect_ids, actor, project_id=project.id)
    ids = list(dict.fromkeys([*facility_ids, *(d.facility_id for d in defects)]))
    facilities = _facilities(session, ids, actor)
    project.facilities = facilities
    project.defect_links = [RepairDefect(defect_id=d.id) for d in defects]
    project.division_code = common_division([f.division_code for f in facilities])


def create_project(*, session: Session, actor: Actor, data: ProjectIn, idempotency_key: str | None = None
                   ) -> RepairProject:
    project = RepairProject(
        title=data.title, kind=data.kind.value, planned_start=data.planned_start, planned_end=data.planned_end,
        contractor_name=data.contractor.name, contractor_credit_code=data.contractor.credit_code,
        description=data.description, status=State.proposed.value, created_by_id=actor.user_id,
        idempotency_key=idempotency_key, division_code="",
    )
    session.add(project)
    _place(session, project, data.facility_ids, data.defect_ids, actor)
    session.flush()
    audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="create", old=None,
                 new={**audit.snapshot(project, AUDITED), "facility_ids": [f.id for f in project.facilities],
                      "defect_ids": project.defect_ids})
    return project


def get_project(*, session: Session, project_id: int, actor: Actor, lock: bool = False) -> RepairProject:
    return get_or_404(session, RepairProject, project_id, actor, entity="repair", lock=lock)


def update_project(*, session: Session, actor: Actor, project: RepairProject, data: ProjectUpdate) -> RepairProject:
    given = data.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise ValidationProblem(name, "cannot be empty")
    if project.status in (State.completed.value, State.cancelled.value):
        raise ValidationProblem("status", f"the project is {project.status}: it can no longer be changed")
    changes = audit.Changes(project, AUDITED)
    before_links = ([f.id for f in project.facilities], project.defect_ids)
    if "facility_ids" in given or "defect_ids" in given:
        if project.status == State.in_progress.value and "facility_ids" in given:
            raise ValidationProblem("facility_ids", "the project is under way: its facilities are fixed")
        _place(session, project, given.get("facility_ids", [f.id for f in project.facilities]),
               given.get("defect_ids", project.defect_ids), actor)
    for name in ("title", "planned_start", "planned_end", "description"):
        if name in given:
            setattr(project, name, given[name])
    if "kind" in given:
        project.kind = data.kind.value  # type: ignore[union-attr]
    if data.contractor is not None:
        project.contractor_name = data.contractor.name
        project.contractor_credit_code = data.contractor.credit_code
    if project.planned_end < project.planned_start:
        raise ValidationProblem("planned_end", "is before planned_start")
    entry = changes.record(session=session, actor=actor, entity="repair")
    after_links = ([f.id for f in project.facilities], project.defect_ids)
    if after_links != before_links:
        audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="update",
                     old={"facility_ids": before_links[0], "defect_ids": before_links[1]},
                     new={"facility_ids": after_links[0], "defect_ids": after_links[1]})
    elif entry is None:
        session.flush()
    return project


def _set_facility_status(session: Session, actor: Actor, facility: Facility, status: str) -> None:
    if facility.status == status or facility.status in CLOSED_STATUSES:
        return
    old = facility.status
    facility.status = status
    session.flush()
    audit.record(session=session, actor=actor, entity="facility", entity_id=facility.id, action="status",
                 old={"status": old}, new={"status": status})


def take_step(*, session: Session, actor: Actor, project: RepairProject, data: TransitionIn, today: date
              ) -> RepairProject:
    """Move the project to ``data.to``, recording the evidence the step needs; refused in Chinese if it lacks any.

    Approving needs the admin role. Starting sets the facilities under repair;
    completing resolves the project's defects and puts its facilities back in use.
    """
    target = data.to.value
    name = TRANSITION_TO.get(target)
    if name is None:
        raise ValidationProblem("to", f"no step leads to {target}; possible: "
                                      f"{', '.join(t.target for t in REPAIR_FLOW.transitions)}")
    if name == "approve" and actor.role != Role.admin:
        raise Forbidden("only an admin may approve a repair project")
    when = data.date or today
    if when > today:
        raise ValidationProblem("date", f"{when.isoformat()} is in the future (today is {today.isoformat()})")
    note = ""
    if name == "approve":
        project.approval_authority = data.authority or ""
        project.approval_document_no = data.document_no or ""
        project.approval_date = data.date
        note = f"{project.approval_authority} {project.approval_document_no}"
    elif name == "start":
        if project.approval_date is not None and when < project.approval_date:
            raise ValidationProblem("date", f"work cannot start before the approval ({project.approval_date})")
        project.started_on = when
    elif name == "complete":
        project.acceptance_date = data.date
        project.acceptance_by = data.by or data.authority or ""
        project.acceptance_result = (data.result or "").strip()
        project.acceptance_document_no = data.document_no or ""
        if project.acceptance_date and project.started_on and project.acceptance_date < project.started_on:
            raise ValidationProblem("date", f"acceptance cannot precede the start of work ({project.started_on})")
        note = project.acceptance_result
    elif name == "cancel":
        project.cancel_reason = (data.reason or "").strip()
        project.cancelled_on = when
        note = project.cancel_reason
    REPAIR_FLOW.apply(session=session, obj=project, name=name, actor=actor, entity_id=project.id, note=note)
    if name == "start":
        for facility in project.facilities:
            _set_facility_status(session, actor, facility, FacilityStatus.under_repair.value)
    elif name == "complete":
        _resolve_defects(session, actor, project)
        for facility in project.facilities:
            _set_facility_status(session, actor, facility, FacilityStatus.in_use.value)
    elif name == "cancel" and project.started_on is not None:
        for facility in project.facilities:
            _set_facility_status(session, actor, facility, FacilityStatus.in_use.value)
    return project


def _resolve_defects(session: Session, actor: Actor, project: RepairProject) -> None:
    for link in project.defect_links:
        defect = session.get(Defect, link.defect_id)
        if defect is None or defect.status != "open":
            continue
        changes = audit.Changes(defect, ("status", "resolution_note", "resolution_kind", "resolution_ref"))
        defect.status = "resolved"
        defect.resolved_at = datetime.now(timezone.utc)
        defect.resolution_note = f"由修缮项目「{project.title}」（编号 {project.id}）完成整改，验收文号 " \
                                 f"{project.acceptance_document_no}"
        defect.resolution_kind = "repair"
        defect.resolution_ref = project.id
        changes.record(session=session, actor=actor, entity="defect", status_wins=True)


def list_projects(*, session: Session, actor: Actor, query: ProjectQuery, limit: int = 50, offset: int = 0
                  ) -> tuple[list[RepairProject], int]:
    conditions = [scoped(RepairProject.division_code, actor.scope)]
    if query.division:
        conditions.append(within(RepairProject.division_code, query.division))
    if query.status:
        conditions.append(RepairProject.status == query.status)
    if query.kind:
        conditions.append(RepairProject.kind == query.kind)
    if query.facility_id is not None:
        conditions.append(RepairProject.facilities.any(Facility.id == query.facility_id))
    if query.defect_id is not None:
        conditions.append(RepairProject.defect_links.any(RepairDefect.defect_id == query.defect_id))
    if query.year is not None:
        conditions.append(func.extract("year", RepairProject.planned_start) <= query.year)
        conditions.append(func.extract("year", RepairProject.planned_end) >= query.year)
    if query.q:
        conditions.append(RepairProject.title.contains(query.q, autoescape=True))
    total = session.scalar(select(func.count(RepairProject.id)).where(*conditions)) or 0
    stmt = (select(RepairProject).where(*conditions)
            .order_by(RepairProject.planned_start.desc(), RepairProject.id.desc()).limit(limit).offset(offset))
    return list(session.scalars(stmt)), total


def is_overdue(project: RepairProject, today: date) -> bool:
    if project.status == State.cancelled.value:
        return False
    finished = project.acceptance_date if project.status == State.completed.value else None
    return (finished or today) > project.planned_end


def project_out(*, session: Session, project: RepairProject, today: date) -> ProjectOut:
    totals = money_service.totals(session=session, project_id=project.id)
    return ProjectOut(
        id=project.id, title=project.title, kind=project.kind, division_code=project.division_code,
        facility_ids=[f.id for f in project.facilities],
        facilities=[FacilityRef(id=f.id, code=f.code, name=f.name, status=f.status, longitude=f.longitude,
                                latitude=f.latitude) for f in project.facilities],
        defect_ids=project.defect_ids, planned_start=project.planned_start, planned_end=project.planned_end,
        contractor=Contractor.model_construct(name=project.contractor_name, credit_code=project.contractor_credit_code),
        description=project.description, status=project.status,
        approval=Approval(authority=project.approval_authority, document_no=project.approval_document_no,
                          date=project.approval_date),
        started_on=project.started_on,
        acceptance=Acceptance(date=project.acceptance_date, by=project.acceptance_by,
                              result=project.acceptance_result, document_no=project.acceptance_document_no),
        cancel_reason=project.cancel_reason, budget_total=totals.approved, spent=totals.spent,
        remaining=totals.approved - totals.spent, overdue=is_overdue(project, today),
        next_steps=[StepOut(to=s.target, label=s.label, missing=list(s.missing))
                    for s in REPAIR_FLOW.next_steps(project)],
        created_at=project.created_at,
    )


def state_label(state: str) -> str:
    return STATE_LABELS[state]

