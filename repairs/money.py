"""A project's money: budget lines by funding source, approved adjustments, expenditures — exact to the fen.

Sums are SQL ``SUM`` over whole fen (``memorials.money.MoneyColumn``) on
both backends. Spending is checked against the approved total (budget lines
plus adjustments) with the project row locked (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's write transaction holds the database), so two payments
racing each other cannot together pass the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.money import Money
from repairs.models import Adjustment, BudgetLine, Expenditure, RepairProject
from repairs.schemas import AdjustmentIn, BudgetLineIn, ExpenditureIn
from repairs.vocab import State


@dataclass(frozen=True)
class Totals:
    budgeted: Money
    adjusted: Money
    spent: Money

    @property
    def approved(self) -> Money:
        return self.budgeted + self.adjusted


def totals(*, session: Session, project_id: int) -> Totals:
    def fen(model) -> Money:  # type: ignore[no-untyped-def]
        value = session.scalar(select(func.sum(model.amount)).where(model.project_id == project_id))
        return _money(value)

    return Totals(budgeted=fen(BudgetLine), adjusted=fen(Adjustment), spent=fen(Expenditure))


OPEN_FOR_MONEY = (State.proposed.value, State.approved.value, State.in_progress.value)


def add_budget_line(*, session: Session, actor: Actor, project: RepairProject, data: BudgetLineIn) -> BudgetLine:
    if project.status not in OPEN_FOR_MONEY:
        raise ValidationProblem("project", f"the project is {project.status}: its budget is closed")
    if data.amount <= Money(0):
        raise ValidationProblem("amount", "must be more than 0.00 yuan")
    line = BudgetLine(project_id=project.id, source=data.source.value, amount=data.amount,
                      document_no=data.document_no, year=data.year, created_by_id=actor.user_id)
    session.add(line)
    session.flush()
    audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="budget_line",
                 old=None, new={"id": line.id, "source": line.source, "amount": line.amount,
                                "document_no": line.document_no, "year": line.year})
    return line


def add_adjustment(*, session: Session, actor: Actor, project: RepairProject, data: AdjustmentIn, today: date
                   ) -> Adjustment:
    if project.status not in (State.approved.value, State.in_progress.value):
        raise ValidationProblem("project", f"the project is {project.status}: only an approved project or one "
                                           "under way can have its total adjusted")
    if data.amount <= Money(0):
        raise ValidationProblem("amount", "must be more than 0.00 yuan")
    if data.date > today:
        raise ValidationProblem("date", f"{data.date.isoformat()} is in the future (today is {today.isoformat()})")
    row = Adjustment(project_id=project.id, source=data.source.value, amount=data.amount, reason=data.reason,
                     document_no=data.document_no, approved_on=data.date, created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="adjustment",
                 old=None, new={"id": row.id, "source": row.source, "amount": row.amount, "reason": row.reason,
                                "document_no": row.document_no, "date": row.approved_on})
    return row


def add_expenditure(*, session: Session, actor: Actor, project: RepairProject, data: ExpenditureIn, today: date
                    ) -> Expenditure:
    """Record a payment; the project must be locked by the caller (``get_project(lock=True)``)."""
    if project.status not in (State.approved.value, State.in_progress.value, State.completed.value):
        raise ValidationProblem("project", f"the project is {project.status}: money is spent only on an approved "
                                           "project")
    if data.amount <= Money(0):
        raise ValidationProblem("amount", "must be more than 0.00 yuan")
    if data.date > today:
        raise ValidationProblem("date", f"{data.date.isoformat()} is in the future (today is {today.isoformat()})")
    if project.approval_date is not None and data.date < project.approval_date:
        raise ValidationProblem("date", f"{data.date.isoformat()} is before the project's approval "
                                        f"({project.approval_date.isoformat()})")
    facility_ids = [f.id for f in project.facilities]
    facility_id = data.facility_id
    if facility_id is None:
        if len(facility_ids) != 1:
            raise ValidationProblem("facility_id", "required: the project covers several facilities; "
                                                   "name the one this money went to")
        facility_id = facility_ids[0]
    elif facility_id not in facility_ids:
        raise ValidationProblem("facility_id", f"facility {facility_id} is not one of this project's facilities")
    current = totals(session=session, project_id=project.id)
    after = current.spent + data.amount
    if after > current.approved:
        raise ValidationProblem(
            "amount", f"spending would reach {after} yuan, beyond the approved total of {current.approved} yuan "
                      f"(by {after - current.approved}); an admin must first record an approved adjustment")
    row = Expenditure(project_id=project.id, facility_id=facility_id, paid_on=data.date, amount=data.amount,
                      payee=data.payee, invoice_no=data.invoice_no, purpose=data.purpose,
                      created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session=session, actor=actor, entity="repair", entity_id=project.id, action="expenditure",
                 old=None, new={"id": row.id, "date": row.paid_on, "amount": row.amount, "payee": row.payee,
                                "invoice_no": row.invoice_no, "purpose": row.purpose, "facility_id": facility_id})
    return row


def budget_lines(*, session: Session, project_id: int) -> list[BudgetLine]:
    return list(session.scalars(select(BudgetLine).where(BudgetLine.project_id == project_id)
                                .order_by(BudgetLine.id)))


def adjustments(*, session: Session, project_id: int) -> list[Adjustment]:
    return list(session.scalars(select(Adjustment).where(Adjustment.project_id == project_id)
                                .order_by(Adjustment.id)))


def expenditures(*, session: Session, project_id: int) -> list[Expenditure]:
    return list(session.scalars(select(Expenditure).where(Expenditure.project_id == project_id)
                                .order_by(Expenditure.paid_on, Expenditure.id)))


def by_source(*, session: Session, project_id: int) -> dict[str, Money]:
    """Approved money per funding source (budget lines and adjustments)."""
    out: dict[str, Money] = {}
    for model in (BudgetLine, Adjustment):
        for source, amount in session.execute(select(model.source, func.sum(model.amount))
                                              .where(model.project_id == project_id).group_by(model.source)):
            out[source] = out.get(source, Money(0)) + _money(amount)
    return out


def _money(value: object) -> Money:
    if isinstance(value, Money):
        return value
    return Money.from_fen(int(value or 0))  # type: ignore[call-overload]
