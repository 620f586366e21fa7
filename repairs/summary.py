"""The figures the bureaus publish for a year: money by kind and by source, projects, facilities, defects.

Every sum is SQL ``GROUP BY`` over whole fen; the page and the XLSX ledger
are drawn from the same ``SummaryOut``, so the three agree to the fen.

* ``by_kind``: money **spent** in the year (expenditures dated in it), by
  the kind of project; ``total`` is their sum.
* ``by_source``: money **approved** in the year (budget lines of the year
  and adjustments dated in it), by funding source; ``budget_total`` is
  their sum, ``higher_level`` the central, provincial and city part.
* ``facilities_repaired`` / ``projects_completed``: projects accepted in
  the year, and their distinct facilities.
* ``projects_overdue``: projects due to end by the year's end (or today, if
  sooner) that finished late or are still open past their planned end.
* ``defects_without_project``: open defects that no live project names.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from inspections.models import Defect
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import ValidationProblem
from memorials.models import Facility
from memorials.money import Money
from repairs.models import Adjustment, BudgetLine, Expenditure, RepairDefect, RepairFacility, RepairProject
from repairs.schemas import SummaryFacility, SummaryOut
from repairs.vocab import HIGHER_LEVEL, RepairKind, Source, State


def check_year(year: int, *, today: date, field: str = "year") -> int:
    if not 2000 <= year <= today.year + 1:
        raise ValidationProblem(field, f"{year} is not a year the registry covers (2000 to {today.year + 1})")
    return year


def _fen(value: object) -> Money:
    if isinstance(value, Money):
        return value
    return Money.from_fen(int(value or 0))  # type: ignore[call-overload]


def project_places(actor: Actor, division: str):  # type: ignore[no-untyped-def]
    out = [scoped(RepairProject.division_code, actor.scope)]
    if division:
        out.append(within(RepairProject.division_code, division))
    return out


def summary(*, session: Session, actor: Actor, division: str, year: int, today: date) -> SummaryOut:
    first, last = date(year, 1, 1), date(year, 12, 31)
    places = project_places(actor, division)
    by_kind = {k.value: Money(0) for k in RepairKind}
    for kind, amount in session.execute(
            select(RepairProject.kind, func.sum(Expenditure.amount))
            .join(RepairProject, RepairProject.id == Expenditure.project_id)
            .where(*places, Expenditure.paid_on.between(first, last)).group_by(RepairProject.kind)):
        by_kind[kind] = _fen(amount)
    by_source = {s.value: Money(0) for s in Source}
    for model, in_year in ((BudgetLine, BudgetLine.year == year),
                           (Adjustment, Adjustment.approved_on.between(first, last))):
        for source, amount in session.execute(
                select(model.source, func.sum(model.amount)).join(RepairProject, RepairProject.id == model.project_id)
                .where(*places, in_year, RepairProject.status != State.cancelled.value).group_by(model.source)):
            by_source[source] = by_source[source] + _fen(amount)
    completed = and_(RepairProject.status == State.completed.value,
                     RepairProject.acceptance_date.between(first, last))
    projects_completed = session.scalar(select(func.count(RepairProject.id)).where(*places, completed)) or 0
    facilities_repaired = session.scalar(
        select(func.count(func.distinct(RepairFacility.facility_id)))
        .join(RepairProject, RepairProject.id == RepairFacility.project_id).where(*places, completed)) or 0
    horizon = min(last, today)
    late = ((RepairProject.status == State.completed.value) & (RepairProject.acceptance_date > RepairProject.planned_end)) | \
        (RepairProject.status.in_([State.proposed.value, State.approved.value, State.in_progress.value])
         & (RepairProject.planned_end < today))
    projects_overdue = session.scalar(select(func.count(RepairProject.id)).where(
        *places, RepairProject.planned_end.between(first, horizon), late)) or 0
    live = (select(RepairDefect.defect_id).join(RepairProject, RepairProject.id == RepairDefect.project_id)
            .where(RepairProject.status != State.cancelled.value))
    defect_places = [scoped(Defect.division_code, actor.scope)]
    if division:
        defect_places.append(within(Defect.division_code, division))
    defects_without_project = session.scalar(select(func.count(Defect.id)).where(
        *defect_places, Defect.status == "open", Defect.id.not_in(live))) or 0
    per_facility = [
        SummaryFacility(id=fid, code=code, name=name, spent=_fen(amount))
        for fid, code, name, amount in session.execute(
            select(Facility.id, Facility.code, Facility.name, func.sum(Expenditure.amount))
            .join(Expenditure, Expenditure.facility_id == Facility.id)
            .join(RepairProject, RepairProject.id == Expenditure.project_id)
            .where(*places, Expenditure.paid_on.between(first, last))
            .group_by(Facility.id, Facility.code, Facility.name).order_by(Facility.code))
    ]
    total = Money.sum(by_kind.values())
    budget_total = Money.sum(by_source.values())
    return SummaryOut(
        division=division, year=year, by_kind=by_kind, by_source=by_source, total=total, budget_total=budget_total,
        higher_level=Money.sum(v for k, v in by_source.items() if k in HIGHER_LEVEL),
        facilities_repaired=facilities_repaired, projects_completed=projects_completed,
        projects_overdue=projects_overdue, defects_without_project=defects_without_project,
        per_facility=per_facility,
    )
