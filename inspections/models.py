"""Tables of patrols: inspections, defects, interval rules (photos are ``evidence`` attachments)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from evidence.models import Attachment
from inspections.checklist import DefectCategory, Grade, Level, PeriodicLevel, Severity
from memorials.db import Base, one_of
from memorials.models import Facility, utcnow

OWNER_TYPE = "inspection"
"""How an inspection's photos name their owner (``evidence.models.Attachment.owner_type``)."""
DEFECT_OWNER_TYPE = "defect"
"""How the "after" photos of a defect marked fixed name their owner."""


class Inspection(Base):
    """One visit to one facility: checklist, grade, photos, where the inspector stood."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(one_of("level", Level), name="level"),
        CheckConstraint(one_of("grade", Grade), name="grade"),
        UniqueConstraint("inspector_id", "idempotency_key", name="uq_inspections_inspector_key"),
        Index("ix_inspections_facility_period", "facility_id", "period"),
        # A division's months of one level (compliance, its counts, the last patrols): one range per month.
        Index("ix_inspections_level_period_division", "level", "period", "division_code",
              postgresql_include=["facility_id", "performed_at", "unverified_reason"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    """The facility's division when filed: lets jurisdiction filters skip a join."""
    level: Mapped[str] = mapped_column(String(20))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    inspector_name: Mapped[str] = mapped_column(String(100))
    performed_at: Mapped[datetime] = mapped_column(index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    """The month it counts for, ``YYYY-MM``."""
    checklist: Mapped[dict] = mapped_column(JSON)
    grade: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    position_longitude: Mapped[float | None] = mapped_column(Float)
    position_latitude: Mapped[float | None] = mapped_column(Float)
    position_crs: Mapped[str | None] = mapped_column(String(10))
    """The system the phone sent its position in (stored converted to WGS84)."""
    position_accuracy_m: Mapped[float | None] = mapped_column(Float)
    position_distance_m: Mapped[float | None] = mapped_column(Float)
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    verified_count: Mapped[int] = mapped_column(Integer, default=0)
    unverified_reason: Mapped[str | None] = mapped_column(String(200))
    """Set (and required) when the patrol had neither the phone's position nor a geotagged photo."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship(lazy="joined", innerjoin=True)
    photos: Mapped[list[Attachment]] = relationship(
        primaryjoin=lambda: and_(foreign(Attachment.owner_id) == Inspection.id,
                                 Attachment.owner_type == OWNER_TYPE),
        order_by=lambda: Attachment.position, viewonly=True)
    """Its photos, in order, with what each proves (``evidence`` attachments of owner type ``inspection``)."""


class Defect(Base):
    """A problem found, as it goes to the custodian: deadline and responsible person."""

    __tablename__ = "defects"
    __table_args__ = (
        CheckConstraint(one_of("category", DefectCategory), name="category"),
        CheckConstraint(one_of("severity", Severity), name="severity"),
        CheckConstraint("status IN ('open', 'resolved')", name="status"),
        Index("ix_defects_facility_status", "facility_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    item: Mapped[str] = mapped_column(String(30))
    """The checklist item that found it."""
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    responsible_person: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolution_kind: Mapped[str | None] = mapped_column(String(20))
    """How it was put right: ``inspection``, ``note``, ``photo`` (an after photo at the site) or ``repair``."""
    resolution_ref: Mapped[int | None] = mapped_column(Integer)
    """The repair project that put it right (``resolution_kind == "repair"``)."""
    original_deadline: Mapped[date | None] = mapped_column(Date)
    """The first deadline, once it has been extended (each extension and its reason are audited)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship(lazy="joined", innerjoin=True)
    after_photos: Mapped[list[Attachment]] = relationship(
        primaryjoin=lambda: and_(foreign(Attachment.owner_id) == Defect.id,
                                 Attachment.owner_type == DEFECT_OWNER_TYPE),
        order_by=lambda: Attachment.position, viewonly=True, lazy="selectin")
    """Photos of the put-right site (``evidence`` attachments of owner type ``defect``)."""


class IntervalRule(Base):
    """How often a level is due, for a kind of facility or one facility.

    The patrol interval of one facility is its ``patrol_interval_days``;
    rules cover kinds (every level) and single facilities (county and city
    checks). A facility rule beats a kind rule, which beats the default.
    """

    __tablename__ = "interval_rules"
    __table_args__ = (
        CheckConstraint(one_of("level", PeriodicLevel), name="level"),
        CheckConstraint("days > 0", name="days"),
        CheckConstraint("(kind IS NULL) <> (facility_id IS NULL)", name="target"),
        Index("uq_interval_rules_kind", "level", "kind", unique=True,
              sqlite_where=text("kind IS NOT NULL"), postgresql_where=text("kind IS NOT NULL")),
        Index("uq_interval_rules_facility", "level", "facility_id", unique=True,
              sqlite_where=text("facility_id IS NOT NULL"), postgresql_where=text("facility_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(30))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
