"""Tables of the commemoration: events with stops, groups and slots; bookings; proxy visits; trips; tribute."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from commemoration.vocab import BookingStatus, EventKind, EventStatus, GroupKind, MessageStatus, ProxyState, TripStatus
from evidence.models import Attachment
from memorials.db import Base, one_of
from memorials.models import Facility, Martyr, utcnow

PROXY_OWNER = "proxy_visit"
"""How a proxy visit's photos name their owner (``evidence.models.Attachment.owner_type``)."""


class Event(Base):
    """A commemoration: Qingming, an anniversary (9·30), a cross-region visit; its stops, groups and slots."""

    __tablename__ = "commemoration_events"
    __table_args__ = (
        CheckConstraint(one_of("kind", EventKind), name="kind"),
        CheckConstraint(one_of("status", EventStatus), name="status"),
        CheckConstraint("end_date >= date", name="span"),
        CheckConstraint("readiness_days BETWEEN 1 AND 365", name="readiness_days"),
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_commemoration_events_creator_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date] = mapped_column(Date)
    organiser: Mapped[str] = mapped_column(String(200), default="")
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.planned.value)
    readiness_days: Mapped[int] = mapped_column(Integer, default=30)
    """A stop counts as inspected if inspected within this many days before the event."""
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    stops: Mapped[list[EventStop]] = relationship(order_by="EventStop.position", cascade="all, delete-orphan")
    groups: Mapped[list[EventGroup]] = relationship(order_by="EventGroup.id", cascade="all, delete-orphan")

    @property
    def facility_ids(self) -> list[int]:
        return [s.facility_id for s in self.stops]


class EventStop(Base):
    __tablename__ = "commemoration_event_stops"

    event_id: Mapped[int] = mapped_column(ForeignKey("commemoration_events.id"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    minutes_on_site: Mapped[int] = mapped_column(Integer, default=45)

    facility: Mapped[Facility] = relationship(lazy="joined")


class EventGroup(Base):
    """A school, unit or family group taking part, with its headcount and a contact."""

    __tablename__ = "commemoration_event_groups"
    __table_args__ = (CheckConstraint(one_of("kind", GroupKind), name="kind"),
                      CheckConstraint("headcount > 0", name="headcount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("commemoration_events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int] = mapped_column(Integer)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")


class Slot(Base):
    """A time slot at one facility on one day, with a capacity in people; ``booked`` is kept by SQL."""

    __tablename__ = "commemoration_slots"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
        CheckConstraint("end_time > start_time", name="span"),
        UniqueConstraint("event_id", "facility_id", "date", "start_time", name="uq_commemoration_slots_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("commemoration_events.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    facility: Mapped[Facility] = relationship(lazy="joined")

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


class Booking(Base):
    """A group's places in a slot; a cancellation is a status change, kept."""

    __tablename__ = "commemoration_bookings"
    __table_args__ = (
        CheckConstraint(one_of("status", BookingStatus), name="status"),
        CheckConstraint("people > 0", name="people"),
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_commemoration_bookings_creator_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("commemoration_slots.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(200))
    people: Mapped[int] = mapped_column(Integer)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.booked.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    slot: Mapped[Slot] = relationship(lazy="joined")


class ProxyVisit(Base):
    """代祭扫: a family far away asks the bureau to visit a martyr's grave for them."""

    __tablename__ = "commemoration_proxy_visits"
    __table_args__ = (CheckConstraint(one_of("status", ProxyState), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    requester_name: Mapped[str] = mapped_column(String(100))
    requester_phone: Mapped[str] = mapped_column(String(40))
    relation: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ProxyState.requested.value, index=True)
    source: Mapped[str] = mapped_column(String(20), default="public")
    """``public`` (the family's form) or ``office`` (taken by phone)."""
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visited_on: Mapped[date | None] = mapped_column(Date)
    acts: Mapped[list[str]] = mapped_column(JSON, default=list)
    call_note: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    martyr: Mapped[Martyr] = relationship(lazy="joined")
    facility: Mapped[Facility] = relationship(lazy="joined")
    photos: Mapped[list[Attachment]] = relationship(
        primaryjoin=lambda: and_(foreign(Attachment.owner_id) == ProxyVisit.id, Attachment.owner_type == PROXY_OWNER),
        order_by=lambda: Attachment.position, viewonly=True)
    """Its photos, in order, with what each proves (``evidence`` attachments of owner type ``proxy_visit``)."""


class Trip(Base):
    """异地祭扫: families travelling to a grave in another province, with a letter of introduction."""

    __tablename__ = "commemoration_trips"
    __table_args__ = (
        CheckConstraint(one_of("status", TripStatus), name="status"),
        CheckConstraint("return_on >= depart_on", name="span"),
        UniqueConstraint("division_code", "letter_no", name="uq_commemoration_trips_letter_no"),
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_commemoration_trips_creator_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("commemoration_events.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    """The sending bureau's division (jurisdiction)."""
    martyr_id: Mapped[int | None] = mapped_column(ForeignKey("martyrs.id"), index=True)
    martyr_name: Mapped[str] = mapped_column(String(100))
    destination_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    destination_name: Mapped[str] = mapped_column(String(200))
    destination_place: Mapped[str] = mapped_column(String(300), default="")
    receiving_bureau: Mapped[str] = mapped_column(String(200))
    receiving_division_code: Mapped[str] = mapped_column(String(12), default="")
    receiving_contact: Mapped[str] = mapped_column(String(200), default="")
    people: Mapped[list[dict]] = mapped_column(JSON, default=list)
    """``[{"name", "relation"}]``: who travels."""
    depart_on: Mapped[date] = mapped_column(Date)
    return_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=TripStatus.planned.value)
    outcome: Mapped[str] = mapped_column(Text, default="")
    issuing_bureau: Mapped[str] = mapped_column(String(200))
    letter_no: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TributePage(Base):
    """A martyr's public page (网上祭扫): shown only when ``public``; the flowers laid there."""

    __tablename__ = "tribute_pages"

    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    initials: Mapped[str] = mapped_column(String(40), default="", index=True)
    """Pinyin initials of the name and its variants, ``|``-joined (张德胜: ``zds``), for the public search."""
    flowers: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    martyr: Mapped[Martyr] = relationship(lazy="joined")


class TributeMessage(Base):
    """A message left on a martyr's page: shown only once an organiser approves it."""

    __tablename__ = "tribute_messages"
    __table_args__ = (CheckConstraint(one_of("status", MessageStatus), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    """Where the martyr lies: whose organisers moderate it."""
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.pending.value, index=True)
    client: Mapped[str] = mapped_column(String(64), default="")
    """A keyed hash of the sender's address (never the address itself)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column()
