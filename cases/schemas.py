"""Request and response shapes of case work (Pydantic); field names are the public API (DESIGN.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from memorials.schemas import Code, Id, Input, Line, PartialDate, RelativeCreate, RelativeOut

Kind = Literal["consolidation", "cross_region"]
RelocationState = Literal["proposed", "consulting_family", "approved", "exhumed", "reburied", "closed", "withdrawn"]
Decision = Literal["agree", "disagree", "pending", "no_family_found"]
SearchState = Literal["open", "leads", "verifying", "found", "closed_not_found"]
Text = Annotated[str, Field(max_length=4000)]


class RelocationCreate(Input):
    kind: Kind
    martyr_ids: Annotated[list[Id], Field(min_length=1, max_length=200)]
    title: Annotated[Line, Field(max_length=200)] = ""
    destination_facility_id: Id | None = None
    plots: dict[str, Annotated[Line, Field(max_length=60)]] = {}
    """The destination plot of each martyr: ``{martyr_id: plot}``."""
    shared_graves: list[Id] = []
    """Martyrs whose destination plot is a marked shared grave."""
    cemetery_reasons: dict[str, Text] = {}
    """Why a martyr already buried in a cemetery is moved: ``{martyr_id: reason}``."""
    receiving_division_code: Code = None
    receiving_bureau: Annotated[Line, Field(max_length=200)] = ""
    receiving_contact: Annotated[Line, Field(max_length=200)] = ""
    receiving_place: Annotated[Line, Field(max_length=400)] = ""
    note: Text = ""


class RelocationUpdate(Input):
    title: Annotated[Line, Field(max_length=200)] | None = None
    destination_facility_id: Id | None = None
    plots: dict[str, Annotated[Line, Field(max_length=60)]] | None = None
    shared_graves: list[Id] | None = None
    cemetery_reasons: dict[str, Text] | None = None
    receiving_bureau: Annotated[Line, Field(max_length=200)] | None = None
    receiving_contact: Annotated[Line, Field(max_length=200)] | None = None
    receiving_place: Annotated[Line, Field(max_length=400)] | None = None
    note: Text | None = None


class ConsentIn(Input):
    martyr_id: Id
    decision: Decision
    decided_by: Annotated[Line, Field(max_length=100)] = ""
    relation: Annotated[Line, Field(max_length=40)] = ""
    date: PartialDate = None
    note: Text = ""


class TransitionIn(Input):
    to: RelocationState
    authority: Annotated[Line, Field(max_length=200)] = ""
    document_no: Annotated[Line, Field(max_length=100)] = ""
    date: PartialDate = None
    present: Text = ""
    """Who was present at the exhumation or reburial."""
    reason: Text = ""
    note: Text = ""


class AttachmentOut(BaseModel):
    sha256: str
    kind: str
    filename: str
    url: str
    purpose: str
    verification: str | None = None
    distance_m: float | None = None


class CaseMartyrOut(BaseModel):
    martyr_id: int
    name: str
    origin_facility_id: int
    origin_facility_name: str
    origin_plot: str
    plot: str
    shared_grave: bool
    cemetery_reason: str
    decision: str
    decided_by: str
    relation: str
    date: str | None
    note: str
    documents: list[AttachmentOut] = []


class StepOut(BaseModel):
    to: str
    label: str
    missing: list[str]


class TimelineOut(BaseModel):
    at: datetime
    username: str
    action: str
    old: dict | None
    new: dict | None


class RelocationOut(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    status_label: str
    days_in_stage: int
    title: str
    division_code: str
    martyr_ids: list[int]
    destination_facility_id: int | None
    destination_facility_name: str | None
    destination_plot: dict[str, str]
    plots: dict[str, str]
    receiving_division_code: str | None
    receiving_bureau: str
    receiving_contact: str
    receiving_place: str
    approval_authority: str
    approval_document_no: str
    approval_date: str | None
    exhumed_on: str | None
    exhumation_present: str
    reburied_on: str | None
    reburial_present: str
    confirmation_document_no: str
    confirmed_on: str | None
    withdrawn_reason: str
    note: str
    martyrs: list[CaseMartyrOut]
    documents: list[AttachmentOut]
    next_steps: list[StepOut]


class RelocationSummary(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    status_label: str
    days_in_stage: int
    title: str
    division_code: str
    receiving_division_code: str | None
    martyr_ids: list[int]
    destination_facility_id: int | None


class FamilySearchCreate(Input):
    martyr_id: Id
    clues: dict[str, Annotated[str, Field(max_length=2000)]] = {}
    """``name_variants``, ``hometown`` (as written in old records), ``unit``, ``death_date``, ``place_of_death``, …"""
    opened_on: PartialDate = None


class FamilySearchUpdate(Input):
    clues: dict[str, Annotated[str, Field(max_length=2000)]] | None = None
    outcome_note: Text | None = None


class EntryIn(Input):
    kind: Literal["lead", "contact", "verification"] = "lead"
    date: PartialDate = None
    source: Annotated[Line, Field(max_length=200)] = ""
    given_by: Annotated[Line, Field(max_length=100)] = ""
    content: Text = ""
    method: Literal["document", "testimony", "dna"] | None = None
    lab: Annotated[Line, Field(max_length=200)] = ""
    result: Literal["", "confirmed", "excluded", "inconclusive"] = ""


class EntryOut(BaseModel):
    id: int
    kind: str
    date: str
    source: str
    given_by: str
    content: str
    method: str | None
    lab: str
    result: str
    documents: list[AttachmentOut] = []


class SearchTransitionIn(Input):
    to: SearchState
    date: PartialDate = None
    note: Text = ""
    relatives: Annotated[list[RelativeCreate], Field(max_length=50)] = []
    """Who was found (``found``): they become the martyr's relatives."""


class FamilySearchOut(BaseModel):
    id: int
    number: str
    martyr_id: int
    martyr_name: str
    division_code: str
    clues: dict[str, str]
    status: str
    status_label: str
    days_in_stage: int
    opened_on: str
    closed_on: str | None
    outcome_note: str
    entries: list[EntryOut] = []
    relatives: list[RelativeOut] = []
    next_steps: list[StepOut] = []


class MatchIn(Input):
    name: Annotated[Line, Field(max_length=100)] = ""
    hometown: Annotated[Line, Field(max_length=200)] = ""
    unit: Annotated[Line, Field(max_length=200)] = ""
    death_year: Annotated[Line, Field(max_length=20)] = ""
    """``1947``, ``1947?``, ``1940s``, ``1946-1948``: partial and approximate years compare as ranges."""
    limit: Annotated[int, Field(ge=1, le=50)] = 10


class MatchItem(BaseModel):
    martyr_id: int
    name: str
    score: float
    reasons: list[str]
    hometown: str
    unit: str
    death_date: str | None


class MatchOut(BaseModel):
    items: list[MatchItem]
    hometown_codes: list[str]


class Figures(BaseModel):
    division: str
    year: int | None
    graves_moved: dict[str, int]
    martyrs_moved: dict[str, int]
    by_destination: list[dict[str, object]]
    consents: dict[str, int]
    cases_by_status: dict[str, int]
    families_found: int
    family_searches_opened: int


