"""Request and response shapes of events, slots, bookings, proxy visits, trips and the tribute."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from commemoration.vocab import ACTS, EventKind, EventStatus, GroupKind, MessageStatus, ProxyState, TripStatus
from memorials.schemas import Code, Id, Input, Line

Text200 = Annotated[Line, Field(max_length=200)]
Name = Annotated[Line, Field(min_length=1, max_length=100)]
_PHONE = re.compile(r"^(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def check_phone(value: str) -> str:
    """A mainland mobile (11 digits from 13–19) or a landline with its area code."""
    value = value.strip().replace(" ", "")
    if value and not _PHONE.match(value):
        raise ValueError("must be a mobile number (11 digits) or a landline with its area code, e.g. 0713-5221234")
    return value


Phone = Annotated[str, Field(max_length=40), AfterValidator(check_phone)]
RequiredPhone = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(check_phone)]


class GroupIn(Input):
    kind: GroupKind
    name: Annotated[Line, Field(min_length=1, max_length=200)]
    headcount: Annotated[int, Field(ge=1, le=100_000)]
    contact_name: Annotated[Line, Field(max_length=100)] = ""
    contact_phone: Phone = ""


class GroupOut(BaseModel):
    id: int
    kind: str
    name: str
    headcount: int
    contact_name: str
    contact_phone: str


class EventIn(Input):
    name: Annotated[Line, Field(min_length=1, max_length=200)]
    kind: EventKind
    date: dt.date | None = None
    """Qingming: leave empty and the solar term's date is used."""
    end_date: dt.date | None = None
    organiser: Text200 = ""
    facility_ids: Annotated[list[Id], Field(max_length=100)] = []
    groups: Annotated[list[GroupIn], Field(max_length=200)] = []
    readiness_days: Annotated[int, Field(ge=1, le=365)] = 30
    notes: Annotated[str, Field(max_length=5000)] = ""
    division_code: Code | None = None
    """For an event without stops yet: whose event it is (default: your jurisdiction)."""


class EventUpdate(Input):
    name: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    date: dt.date | None = None
    end_date: dt.date | None = None
    organiser: Text200 | None = None
    facility_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    groups: Annotated[list[GroupIn], Field(max_length=200)] | None = None
    readiness_days: Annotated[int, Field(ge=1, le=365)] | None = None
    notes: Annotated[str, Field(max_length=5000)] | None = None
    status: EventStatus | None = None


class StopOut(BaseModel):
    facility_id: int
    name: str
    code: str
    position: int
    longitude: float
    latitude: float


class EventOut(BaseModel):
    id: int
    name: str
    kind: str
    date: dt.date
    end_date: dt.date
    organiser: str
    division_code: str
    facility_ids: list[int]
    stops: list[StopOut]
    groups: list[GroupOut]
    readiness_days: int
    notes: str
    status: str
    people: int
    """Headcount of every group."""


class SlotIn(Input):
    facility_id: Id
    date: dt.date
    start: time
    end: time
    capacity: Annotated[int, Field(ge=1, le=100_000)]

    @model_validator(mode="after")
    def _span(self) -> SlotIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class SlotOut(BaseModel):
    id: int
    event_id: int
    facility_id: int
    facility_name: str
    date: dt.date
    start: time
    end: time
    capacity: int
    booked: int
    remaining: int


class BookingIn(Input):
    slot_id: Id
    group_name: Annotated[Line, Field(min_length=1, max_length=200)]
    people: Annotated[int, Field(ge=1, le=100_000)]
    contact_name: Annotated[Line, Field(max_length=100)] = ""
    contact_phone: Phone = ""


class BookingOut(BaseModel):
    id: int
    slot_id: int
    facility_id: int
    date: dt.date
    start: time
    end: time
    group_name: str
    people: int
    contact_name: str
    contact_phone: str
    status: str
    remaining: int
    """Places left in the slot after this booking (or its cancellation)."""


class ProxyRequestIn(Input):
    martyr_id: Id
    requester_name: Name
    requester_phone: RequiredPhone
    relation: Annotated[Line, Field(min_length=1, max_length=40)]
    message: Annotated[str, Field(max_length=500)] = ""


class ProxyTransitionIn(Input):
    to: ProxyState
    assignee_id: Id | None = None
    date: dt.date | None = None
    acts: Annotated[list[str], Field(max_length=4)] | None = None
    call_note: Annotated[str, Field(max_length=1000)] = ""
    reason: Annotated[str, Field(max_length=1000)] = ""
    link_days: Annotated[int, Field(ge=1, le=365)] = 90

    @model_validator(mode="after")
    def _acts(self) -> ProxyTransitionIn:
        for act in self.acts or []:
            if act not in ACTS:
                raise ValueError(f"acts: unknown act {act!r} (known: {', '.join(ACTS)})")
        return self


class PhotoOut(BaseModel):
    sha256: str
    taken_at: datetime | None
    distance_m: float | None
    verification: str
    url: str
    thumb: str


class ProxyVisitOut(BaseModel):
    id: int
    martyr_id: int
    martyr_name: str
    facility_id: int
    facility_name: str
    requester_name: str
    requester_phone: str
    relation: str
    message: str
    status: str
    assignee_id: int | None
    visited_on: dt.date | None
    acts: list[str]
    call_note: str
    photos: list[PhotoOut]
    created_at: datetime
    family_link: str | None = None
    """Given once, when the family is notified: the private page's address."""
    link_expires_at: datetime | None


class PersonIn(Input):
    name: Name
    relation: Annotated[Line, Field(min_length=1, max_length=40)]


def _numbered(value: object) -> object:
    """Form rows sent as ``{"0": {...}, "1": {...}}`` (``people.0.name`` fields) become a list, in order."""
    if isinstance(value, dict) and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=lambda k: int(k))]
    return value


class TripIn(Input):
    event_id: Id | None = None
    martyr_id: Id | None = None
    martyr_name: Annotated[Line, Field(max_length=100)] = ""
    destination_facility_id: Id | None = None
    destination_name: Text200 = ""
    destination_place: Annotated[Line, Field(max_length=300)] = ""
    receiving_bureau: Annotated[Line, Field(min_length=1, max_length=200)]
    receiving_division_code: Code | None = None
    receiving_contact: Text200 = ""
    people: Annotated[list[PersonIn], Field(min_length=1, max_length=100), BeforeValidator(_numbered)]
    depart_on: dt.date
    return_on: dt.date
    division_code: Code | None = None

    @model_validator(mode="after")
    def _check(self) -> TripIn:
        if self.return_on < self.depart_on:
            raise ValueError("return_on is before depart_on")
        if self.martyr_id is None and not self.martyr_name:
            raise ValueError("martyr_id or martyr_name: name the martyr whose grave is visited")
        if self.destination_facility_id is None and not self.destination_name:
            raise ValueError("destination_facility_id or destination_name: name the destination")
        return self


class TripUpdate(Input):
    status: TripStatus | None = None
    outcome: Annotated[str, Field(max_length=5000)] | None = None
    depart_on: dt.date | None = None
    return_on: dt.date | None = None


class TripOut(BaseModel):
    id: int
    event_id: int | None
    division_code: str
    martyr_id: int | None
    martyr_name: str
    destination_facility_id: int | None
    destination_name: str
    destination_place: str
    receiving_bureau: str
    receiving_division_code: str
    receiving_contact: str
    people: list[dict[str, str]]
    depart_on: dt.date
    return_on: dt.date
    status: str
    outcome: str
    issuing_bureau: str
    letter_no: str
    issued_on: dt.date


class MessageIn(Input):
    text: Annotated[str, Field(min_length=1, max_length=300)]
    author: Annotated[Line, Field(max_length=40)] = ""


class MessageOut(BaseModel):
    id: int
    martyr_id: int
    text: str
    author: str
    status: str
    created_at: datetime


class ModerationIn(Input):
    status: MessageStatus

    @model_validator(mode="after")
    def _decided(self) -> ModerationIn:
        if self.status == MessageStatus.pending:
            raise ValueError("status: approve or reject (approved, rejected)")
        return self


class CalendarOut(BaseModel):
    year: int
    date: date
    name: str
