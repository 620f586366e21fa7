"""Tables of repairs: projects, their facilities and defects, budget lines, adjustments, expenditures, evidence."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models import Attachment
from memorials.db import Base, one_of
from memorials.models import Facility, utcnow
from memorials.money import Money, MoneyColumn
from repairs.vocab import Phase, RepairKind, Source, State

OWNER_TYPE = "repair"
"""How a project's photos and documents name their owner (``evidence.models.Attachment.owner_type``)."""


class RepairProject(Base):
    """One repair project: what, where, who builds it, its approval, acceptance or cancellation."""

    __tablename__ = "repair_projects"
    __table_args__ = (
        CheckConstraint(one_of("kind", RepairKind), name="kind"),
        CheckConstraint(one_of("status", State), name="status"),
        CheckConstraint("planned_end >= planned_start", name="planned_span"),
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_repair_projects_creator_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    """The smallest division holding every facility of the project (jurisdiction)."""
    status: Mapped[str] = mapped_column(String(20), default=State.proposed.value, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    contractor_name: Mapped[str] = mapped_column(String(200), default="")
    contractor_credit_code: Mapped[str] = mapped_column(String(18), default="")
    approval_authority: Mapped[str] = mapped_column(String(200), default="")
    approval_document_no: Mapped[str] = mapped_column(String(100), default="")
    approval_date: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    acceptance_date: Mapped[date | None] = mapped_column(Date)
    acceptance_by: Mapped[str] = mapped_column(String(200), default="")
    acceptance_result: Mapped[str] = mapped_column(Text, default="")
    acceptance_document_no: Mapped[str] = mapped_column(String(100), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    facilities: Mapped[list[Facility]] = relationship(secondary="repair_facilities", order_by=Facility.code)
    defect_links: Mapped[list[RepairDefect]] = relationship(order_by="RepairDefect.defect_id",
                                                            cascade="all, delete-orphan")
    evidence: Mapped[list[RepairEvidence]] = relationship(order_by="RepairEvidence.attachment_id", viewonly=True)
    budget_lines: Mapped[list[BudgetLine]] = relationship(order_by="BudgetLine.id", viewonly=True)
    adjustments: Mapped[list[Adjustment]] = relationship(order_by="Adjustment.id", viewonly=True)

    @property
    def defect_ids(self) -> list[int]:
        return [link.defect_id for link in self.defect_links]


class RepairFacility(Base):
    __tablename__ = "repair_facilities"

    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True, index=True)


class RepairDefect(Base):
    """A defect the project is meant to fix (resolved when the project is completed)."""

    __tablename__ = "repair_defects"

    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("defects.id"), primary_key=True, index=True)


class BudgetLine(Base):
    """Money approved for the project from one funding source."""

    __tablename__ = "repair_budget_lines"
    __table_args__ = (
        CheckConstraint(one_of("source", Source), name="source"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Money] = mapped_column(MoneyColumn())
    document_no: Mapped[str] = mapped_column(String(100), default="")
    year: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Adjustment(Base):
    """An approved raise of the project's total, recorded by an admin with its reason and document."""

    __tablename__ = "repair_adjustments"
    __table_args__ = (
        CheckConstraint(one_of("source", Source), name="source"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Money] = mapped_column(MoneyColumn())
    reason: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Expenditure(Base):
    """Money paid out for the project: to whom, for what, against which invoice."""

    __tablename__ = "repair_expenditures"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Money] = mapped_column(MoneyColumn())
    payee: Mapped[str] = mapped_column(String(200))
    invoice_no: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship(lazy="joined", innerjoin=True)
    evidence: Mapped[list[RepairEvidence]] = relationship(order_by="RepairEvidence.attachment_id", viewonly=True)


class RepairEvidence(Base):
    """What one attachment of a project is: its phase, the facility it shows, the expenditure it proves."""

    __tablename__ = "repair_evidence"
    __table_args__ = (CheckConstraint(one_of("phase", Phase), name="phase"),)

    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("repair_projects.id"), index=True)
    phase: Mapped[str] = mapped_column(String(20))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    expenditure_id: Mapped[int | None] = mapped_column(ForeignKey("repair_expenditures.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    attachment: Mapped[Attachment] = relationship(lazy="joined", innerjoin=True)

