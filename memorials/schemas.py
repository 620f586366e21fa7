"""Request and response shapes of the registry core (Pydantic).

Field-level cleaning happens here, with the domain's own functions: names
are normalised, partial dates checked, vocabularies accept the code or the
Chinese label. Checks that need the database or several fields (division
exists, coordinates with their CRS) happen in the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from gis.coords import Crs
from memorials import vocab
from memorials.dates import parse_partial_date
from memorials.text import clean_text, normalize_person_name, normalize_place_name, unstorable

T = TypeVar("T")


def _vocab(parser: Any, what: str) -> Any:
    def parse(value: object) -> object:
        if isinstance(value, str):
            parsed = parser(value)
            if parsed is None:
                raise ValueError(f"unknown {what} {value!r}")
            return parsed
        return value

    return BeforeValidator(parse)


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _clean(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


def _person_names(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        name = normalize_person_name(v)
        if name not in out:
            out.append(name)
    return out


def _split_variants(value: object) -> object:
    if isinstance(value, str):
        return [v for v in value.replace("；", ";").replace("，", ";").replace(",", ";").split(";") if v.strip()]
    return value


Kind = Annotated[vocab.FacilityKind, _vocab(vocab.parse_kind, "facility kind")]
Level = Annotated[vocab.ProtectionLevel, _vocab(vocab.parse_level, "protection level")]
Status = Annotated[vocab.FacilityStatus, _vocab(vocab.parse_status, "status")]
Gender = Annotated[vocab.Gender, _vocab(vocab.parse_gender, "gender")]
PlaceName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(normalize_place_name)]
PersonName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(normalize_person_name)]
PartialDate = Annotated[str | None, BeforeValidator(_blank_to_none),
                        AfterValidator(lambda v: None if v is None else parse_partial_date(v))]
Line = Annotated[str, BeforeValidator(_clean)]
MAX_ID = 2_147_483_647
"""Identifiers are 32-bit on PostgreSQL; larger numbers are refused at the door."""
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def short_code(max_length: int) -> Any:
    """An optional short code (registry code, certificate number): blank means none."""
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, BeforeValidator(_blank_to_none),
                     BeforeValidator(_clean)]


Code = short_code(12)


def _unstorable_text(data: object) -> list[InitErrorDetails]:
    """Every string in ``data`` (values, list items, keys) that cannot be stored, with where it is."""
    problems: list[InitErrorDetails] = []
    stack: list[tuple[tuple[str | int, ...], object]] = [((), data)]
    while stack and len(problems) < 20:
        loc, value = stack.pop()
        if isinstance(value, str):
            reason = unstorable(value)
            if reason:
                problems.append(InitErrorDetails(type=PydanticCustomError("unstorable_text", "{reason}",
                                                                          {"reason": reason}),
                                                 loc=loc, input=value))
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append(((*loc, str(key)), key))
                stack.append(((*loc, str(key)), item))
        elif isinstance(value, list | tuple):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))
    return sorted(problems, key=lambda p: [str(part) for part in p["loc"]])


class Input(BaseModel):
    """Base of every request body (API, pages, imports).

    Whatever the field, text with NUL or another control character (tab,
    newline and carriage return excepted; one-line fields turn those into
    spaces) is refused, naming where it is: PostgreSQL cannot store NUL,
    and no register needs the others. Checked once here, before any field,
    so no schema can forget it.
    """

    model_config = ConfigDict(extra="forbid", str_max_length=20_000)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        problems = _unstorable_text(data)
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data


class FacilityCreate(Input):
    code: short_code(40) = None
    name: PlaceName
    kind: Kind
    protection_level: Level = vocab.ProtectionLevel.unrated
    status: Status = vocab.FacilityStatus.in_use
    division_code: Annotated[str, Field(max_length=12)]
    address: Annotated[Line, Field(max_length=400)] = ""
    longitude: float
    latitude: float
    crs: Crs = "wgs84"
    custodian: Annotated[Line, Field(max_length=200)] = ""
    custodian_person: Annotated[Line, Field(max_length=100)] = ""
    patrol_interval_days: Annotated[int, Field(ge=1, le=3660)] = 30
    description: Annotated[str, Field(max_length=10_000)] = ""


class FacilityUpdate(Input):
    name: PlaceName | None = None
    kind: Kind | None = None
    protection_level: Level | None = None
    status: Status | None = None
    division_code: Annotated[str, Field(max_length=12)] | None = None
    address: Annotated[Line, Field(max_length=400)] | None = None
    longitude: float | None = None
    latitude: float | None = None
    crs: Crs = "wgs84"
    custodian: Annotated[Line, Field(max_length=200)] | None = None
    custodian_person: Annotated[Line, Field(max_length=100)] | None = None
    patrol_interval_days: Annotated[int, Field(ge=1, le=3660)] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    relocated_to_id: Id | None = None


class FacilityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    protection_level: str
    status: str
    division_code: Annotated[str, Field(max_length=12)]
    address: str
    longitude: float
    latitude: float
    custodian: str
    custodian_person: str
    patrol_interval_days: int
    description: str
    relocated_to_id: int | None
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = None


class MartyrCreate(Input):
    name: PersonName
    name_variants: Annotated[list[str], BeforeValidator(_split_variants), AfterValidator(_person_names),
                             Field(max_length=20)] = []
    gender: Gender = vocab.Gender.unknown
    ethnicity: Annotated[Line, Field(max_length=20)] = ""
    birth_date: PartialDate = None
    death_date: PartialDate = None
    hometown: Annotated[Line, Field(max_length=200)] = ""
    hometown_division_code: Code = None
    unit: Annotated[Line, Field(max_length=200)] = ""
    rank: Annotated[Line, Field(max_length=100)] = ""
    place_of_death: Annotated[Line, Field(max_length=200)] = ""
    battle: Annotated[Line, Field(max_length=200)] = ""
    certificate_no: short_code(60) = None
    biography: Annotated[str, Field(max_length=20_000)] = ""
    division_code: Code = None


class MartyrUpdate(Input):
    name: PersonName | None = None
    name_variants: Annotated[list[str], BeforeValidator(_split_variants), AfterValidator(_person_names),
                             Field(max_length=20)] | None = None
    gender: Gender | None = None
    ethnicity: Annotated[Line, Field(max_length=20)] | None = None
    birth_date: PartialDate = None
    death_date: PartialDate = None
    hometown: Annotated[Line, Field(max_length=200)] | None = None
    hometown_division_code: Code = None
    unit: Annotated[Line, Field(max_length=200)] | None = None
    rank: Annotated[Line, Field(max_length=100)] | None = None
    place_of_death: Annotated[Line, Field(max_length=200)] | None = None
    battle: Annotated[Line, Field(max_length=200)] | None = None
    certificate_no: short_code(60) = None
    biography: Annotated[str, Field(max_length=20_000)] | None = None
    division_code: Code = None


class MartyrOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    name_variants: list[str]
    gender: str
    ethnicity: str
    birth_date: str | None
    death_date: str | None
    hometown: str
    hometown_division_code: str | None
    unit: str
    rank: str
    place_of_death: str
    battle: str
    certificate_no: str | None
    biography: str
    division_code: str
    created_at: datetime
    updated_at: datetime


class BurialCreate(Input):
    martyr_id: Id
    plot: Annotated[Line, Field(max_length=60)] = ""
    since: PartialDate = None
    until: PartialDate = None
    note: Annotated[Line, Field(max_length=400)] = ""


class BurialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    facility_id: int
    martyr_id: int
    martyr_name: str
    plot: str
    since: str | None
    until: str | None
    note: str


class RelativeCreate(Input):
    name: PersonName
    relation: Annotated[Line, Field(max_length=40)] = ""
    phone: Annotated[Line, Field(max_length=40)] = ""
    id_number: Annotated[Line, Field(max_length=40)] = ""
    address: Annotated[Line, Field(max_length=400)] = ""


class RelativeOut(BaseModel):
    id: int
    martyr_id: int
    name: str
    relation: str
    phone: str
    id_number: str
    address: str
    masked: bool


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class KeysetPage(Page[T], Generic[T]):
    """A page of a list that may be national: the total may be an estimate, deeper pages follow a cursor.

    ``total_estimated`` is true when counting exactly would read too many
    rows (see ``memorials.paging``); ``next_cursor``, sent back as
    ``cursor``, gives the next page (absent on the last page).
    """

    total_estimated: bool = False
    next_cursor: str | None = None
