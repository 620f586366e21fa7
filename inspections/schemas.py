"""Request and response shapes of inspections, photos, defects and compliance."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from gis.coords import Crs
from inspections.checklist import ITEMS, Grade, Level, PeriodicLevel, Severity
from memorials.schemas import Id, Input, Line

_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Years a patrol month may fall in: the registry has no patrols before 2000, and none far ahead."""


def check_period(value: str) -> str:
    """A month ``YYYY-MM`` (ASCII digits) in the years the registry covers; ``ValueError`` with the reason."""
    if not _PERIOD.match(value):
        raise ValueError(f"{value!r} is not a month: use YYYY-MM")
    if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        raise ValueError(f"{value} is not a month the registry covers ({FIRST_YEAR}-01 to {LAST_YEAR}-12)")
    return value


Period = Annotated[str, AfterValidator(check_period)]


class Position(Input):
    """Where a phone was, in the coordinate system it reports (phones in China often give GCJ-02)."""

    longitude: float
    latitude: float
    crs: Crs = "wgs84"
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None


class ChecklistEntry(Input):
    result: Literal["ok", "problem"]
    note: Annotated[Line, Field(max_length=1000)] = ""
    severity: Severity | None = None
    deadline: date | None = None
    responsible_person: Annotated[Line, Field(max_length=100)] | None = None


class PhotoMeta(Input):
    """What the page knows of one uploaded photo, in upload order."""

    position: Position | None = None
    captured_at: datetime | None = None
    item: Annotated[str, Field(max_length=30)] | None = None
    """The checklist problem this photo shows (a key of the checklist answered ``problem``)."""


class InspectionIn(Input):
    facility_id: Id
    level: Level = Level.patrol
    performed_at: datetime
    period: Period | None = None
    checklist: dict[str, ChecklistEntry]
    grade: Grade
    notes: Annotated[str, Field(max_length=5000)] = ""
    position: Position | None = None
    photos: Annotated[list[PhotoMeta], Field(max_length=50)] = []
    resolves: Annotated[list[Id], Field(max_length=100)] = []
    """Open defects of this facility that this visit found put right."""
    accuracy_confirmed: bool = False
    """The inspector confirmed a position less accurate than ``max_position_accuracy_m``."""
    unverified_reason: Annotated[Line, Field(max_length=200)] | None = None
    """Why there is neither a phone position nor a geotagged photo (e.g. 无信号, GPS 未开): required then."""

    @field_validator("checklist")
    @classmethod
    def _every_item_answered(cls, value: dict[str, ChecklistEntry]) -> dict[str, ChecklistEntry]:
        unknown = sorted(set(value) - set(ITEMS))
        if unknown:
            raise ValueError(f"unknown checklist items {unknown}; known: {', '.join(ITEMS)}")
        missing = [key for key in ITEMS if key not in value]
        if missing:
            named = ", ".join(f"{key} ({ITEMS[key].label})" for key in missing)
            raise ValueError(f"every item must be answered (ok or problem); not answered: {named}")
        return value


class GpsOut(BaseModel):
    longitude: float
    latitude: float


class PhotoUrls(BaseModel):
    original: str
    thumb: str
    screen: str


class PhotoOut(BaseModel):
    sha256: str
    filename: str
    taken_at: datetime | None
    gps: GpsOut | None
    distance_m: float | None
    verification: Literal["verified", "far", "no_gps", "reused"]
    device_position: GpsOut | None
    device_gap_m: float | None
    gap_flagged: bool
    width: int
    height: int
    urls: PhotoUrls


class DefectOut(BaseModel):
    id: int
    facility_id: int
    facility_code: str
    facility_name: str
    division_code: str
    item: str
    category: str
    severity: str
    description: str
    deadline: date
    responsible_person: str
    status: str
    overdue: bool
    opened_by: int
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None
    resolution_note: str
    resolution_kind: str | None = None
    """``inspection``, ``note``, ``photo`` or ``repair``."""
    resolution_ref: int | None = None
    """The repair project that put it right."""
    original_deadline: date | None = None
    after_photos: list[str] = []
    """SHA-256 of the photos of the put-right site (``/api/v1/photos/{sha256}/…``)."""


class DefectUpdate(Input):
    severity: Severity | None = None
    deadline: date | None = None
    deadline_reason: Annotated[Line, Field(max_length=500)] | None = None
    """Why the deadline is extended (required for a later deadline)."""
    responsible_person: Annotated[Line, Field(max_length=100)] | None = None
    status: Literal["resolved"] | None = None
    resolution_note: Annotated[str, Field(max_length=2000)] | None = None


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    facility_id: int
    facility_code: str
    facility_name: str
    division_code: str
    level: str
    inspector_id: int
    inspector: str
    performed_at: datetime
    period: str
    checklist: dict[str, dict[str, object]]
    grade: str
    notes: str
    position: GpsOut | None
    position_distance_m: float | None
    photo_count: int
    verified_count: int
    verified: bool
    """False when the patrol had neither the phone's position nor a geotagged photo."""
    unverified_reason: str | None
    photos: list[PhotoOut]
    defects_opened: list[DefectOut]
    defects_still_open: list[int]
    defects_resolved: list[int]


class FacilityCompliance(BaseModel):
    id: int
    code: str
    name: str
    division_code: str
    interval_days: int
    due: int
    done: int
    done_unverified: int
    """Of ``done``, the cycles whose only patrols were unverified (no position, no geotagged photo)."""
    overdue_days: int
    last_inspected: date | None


class DivisionCompliance(BaseModel):
    code: str
    name: str
    facilities: int
    due: int
    done: int
    rate: float | None


class ComplianceOut(BaseModel):
    division: str
    level: str
    from_: str = Field(serialization_alias="from")
    to: str
    due: int
    done: int
    rate: float | None
    inspections: int
    unverified_inspections: int
    """Of ``inspections``, those without the phone's position or any geotagged photo."""
    done_unverified: int
    """Of ``done``, the facility-cycles done by unverified patrols only."""
    facilities_complete: int
    facility_count: int = 0
    """Standing facilities counted (listed in ``facilities`` unless ``detail=divisions``)."""
    facilities_due: int = 0
    """Of them, those with a cycle due in the span."""
    facilities_overdue: int = 0
    """Of them, those past their interval since their last inspection."""
    facilities: list[FacilityCompliance]
    """Every facility (``detail=facilities``, the default); empty with ``detail=divisions``."""
    divisions: list[DivisionCompliance]
    """The totals per division one level down: the drill-down (national → provinces → … → townships)."""
    detail: Literal["facilities", "divisions"] = "facilities"


class IntervalRuleIn(Input):
    level: PeriodicLevel
    kind: Annotated[str, Field(max_length=30)] | None = None
    facility_id: Id | None = None
    days: Annotated[int, Field(ge=1, le=3660)]


class IntervalRuleOut(BaseModel):
    level: str
    kind: str | None
    facility_id: int | None
    days: int


class PackDefect(BaseModel):
    id: int
    item: str
    description: str
    severity: str
    deadline: date


class PackFacility(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    longitude: float
    latitude: float
    interval_days: int
    last_patrol: date | None
    patrolled_this_month: bool
    open_defects: list[PackDefect]


class PackChecklistItem(BaseModel):
    key: str
    label: str
    group: str
    answers: list[str]
    """The page's labels for ``ok`` and ``problem``."""
    min_severity: str


class PatrolPack(BaseModel):
    """What the inspector's phone keeps to patrol without signal (``GET /api/v1/patrol-pack``)."""

    generated_at: datetime
    period: str
    checklist: list[PackChecklistItem]
    grades: list[dict[str, str]]
    levels: list[dict[str, str]]
    severity_labels: dict[str, str]
    facilities: list[PackFacility]
