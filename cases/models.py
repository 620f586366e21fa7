"""Tables of case work: relocation cases (迁葬) and family-finding cases (为烈士寻亲).

Documents and photos of a case (signed consents, approval scans, exhumation
and reburial photos, verification files) are ``evidence`` attachments; the
owner types below say what each one is evidence of.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from memorials.db import Base
from memorials.models import utcnow

CONSENT_DOCUMENT = "relocation_consent"
"""A martyr's family decision (owner: ``RelocationMartyr``): the signed document, a scan, PDF or photo."""
CASE_DOCUMENT = "relocation_document"
"""A relocation case's approval or the receiving bureau's confirmation (owner: ``RelocationCase``)."""
EXHUMATION_PHOTO = "relocation_exhumation"
"""A photo of the exhumation, proved against the origin facilities (owner: ``RelocationCase``)."""
REBURIAL_PHOTO = "relocation_reburial"
"""A photo of the reburial, proved against the destination facility (owner: ``RelocationCase``)."""
SEARCH_EVIDENCE = "family_search_entry"
"""A document, testimony record or DNA report of a family search (owner: ``FamilySearchEntry``)."""


class RelocationCase(Base):
    """Moving martyrs' graves: into a central burial area here, or to another region."""

    __tablename__ = "relocation_cases"
    __table_args__ = (
        CheckConstraint("kind IN ('consolidation', 'cross_region')", name="kind"),
        CheckConstraint("status IN ('proposed', 'consulting_family', 'approved', 'exhumed', 'reburied', 'closed', "
                        "'withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    """``QZ421122-2026-003``: the sending county, the year, its order in that year."""
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(String(200), default="")
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    """The sending bureau's division (where the origin graves lie)."""
    destination_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    receiving_division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    receiving_bureau: Mapped[str] = mapped_column(String(200), default="")
    receiving_contact: Mapped[str] = mapped_column(String(200), default="")
    receiving_place: Mapped[str] = mapped_column(String(400), default="")
    approval_authority: Mapped[str] = mapped_column(String(200), default="")
    approval_document_no: Mapped[str] = mapped_column(String(100), default="")
    approval_date: Mapped[str | None] = mapped_column(String(10))
    exhumed_on: Mapped[str | None] = mapped_column(String(10))
    exhumation_present: Mapped[str] = mapped_column(Text, default="")
    reburied_on: Mapped[str | None] = mapped_column(String(10))
    reburial_present: Mapped[str] = mapped_column(Text, default="")
    confirmation_document_no: Mapped[str] = mapped_column(String(100), default="")
    confirmed_on: Mapped[str | None] = mapped_column(String(10))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    martyrs: Mapped[list[RelocationMartyr]] = relationship(back_populates="case", order_by="RelocationMartyr.id")


class RelocationMartyr(Base):
    """One martyr of a relocation case: where he lies, where he goes, what his family decided."""

    __tablename__ = "relocation_case_martyrs"
    __table_args__ = (
        UniqueConstraint("case_id", "martyr_id", name="uq_relocation_case_martyrs_case_martyr"),
        CheckConstraint("decision IN ('agree', 'disagree', 'pending', 'no_family_found')", name="decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("relocation_cases.id"), index=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    origin_burial_id: Mapped[int] = mapped_column(ForeignKey("burials.id"))
    origin_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    plot: Mapped[str] = mapped_column(String(60), default="")
    """The destination plot (consolidation)."""
    shared_grave: Mapped[bool] = mapped_column(Boolean, default=False)
    """The destination plot is a shared grave: martyrs may lie there together."""
    cemetery_reason: Mapped[str] = mapped_column(Text, default="")
    """Why a martyr already in a cemetery is moved (in principle he is not)."""
    decision: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    relation: Mapped[str] = mapped_column(String(40), default="")
    decided_on: Mapped[str | None] = mapped_column(String(10))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    """For ``no_family_found``: what was done to find the family, and when."""
    new_burial_id: Mapped[int | None] = mapped_column(ForeignKey("burials.id"))

    case: Mapped[RelocationCase] = relationship(back_populates="martyrs")


class FamilySearch(Base):
    """Finding the family of one martyr buried far from home."""

    __tablename__ = "family_searches"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'leads', 'verifying', 'found', 'closed_not_found')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    clues: Mapped[dict] = mapped_column(JSON, default=dict)
    """Name variants, hometown as written in old records, unit, date and place of death."""
    opened_on: Mapped[str] = mapped_column(String(10))
    closed_on: Mapped[str | None] = mapped_column(String(10))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entries: Mapped[list[FamilySearchEntry]] = relationship(order_by="FamilySearchEntry.id")


class FamilySearchEntry(Base):
    """A lead, a contact made, or a verification of a family search."""

    __tablename__ = "family_search_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('lead', 'contact', 'verification')", name="kind"),
        CheckConstraint("method IS NULL OR method IN ('document', 'testimony', 'dna')", name="method"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    search_id: Mapped[int] = mapped_column(ForeignKey("family_searches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(200), default="")
    given_by: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str | None] = mapped_column(String(20))
    lab: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[str] = mapped_column(String(20), default="")
    """Verification: ``confirmed``, ``excluded`` or ``inconclusive``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
