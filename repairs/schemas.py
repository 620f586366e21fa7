"""Request and response shapes of repair projects, budget lines, adjustments, expenditures and the summary."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from memorials.money import MoneyField
from memorials.schemas import Id, Input, Line
from repairs.vocab import RepairKind, Source, State

_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def check_credit_code(value: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100): 18 characters with a check character."""
    value = value.strip().upper()
    if not value:
        return value
    if not _CREDIT_CODE.match(value):
        raise ValueError("a unified social credit code has 18 characters: digits and capital letters "
                         "(not I, O, S, V, Z)")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(alphabet.index(c) * w for c, w in zip(value[:17], weights))
    check = alphabet[(31 - total % 31) % 31]
    if value[17] != check:
        raise ValueError(f"check character is wrong (expected {check}): is a character mistyped?")
    return value


CreditCode = Annotated[str, Field(max_length=18), AfterValidator(check_credit_code)]
Text200 = Annotated[Line, Field(max_length=200)]
DocNo = Annotated[Line, Field(max_length=100)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class Contractor(Input):
    name: Text200 = ""
    credit_code: CreditCode = ""


class ProjectIn(Input):
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    kind: RepairKind
    facility_ids: Annotated[list[Id], Field(max_length=200)] = []
    defect_ids: Annotated[list[Id], Field(max_length=500)] = []
    planned_start: date
    planned_end: date
    contractor: Contractor = Contractor()
    description: Annotated[str, Field(max_length=5000)] = ""

    @model_validator(mode="after")
    def _span(self) -> ProjectIn:
        if self.planned_end < self.planned_start:
            raise ValueError("planned_end is before planned_start")
        if not self.facility_ids and not self.defect_ids:
            raise ValueError("name at least one facility (facility_ids) or defect (defect_ids)")
        return self


class ProjectUpdate(Input):
    title: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    kind: RepairKind | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    contractor: Contractor | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    facility_ids: Annotated[list[Id], Field(min_length=1, max_length=200)] | None = None
    defect_ids: Annotated[list[Id], Field(max_length=500)] | None = None


class TransitionIn(Input):
    to: State
    authority: Text200 | None = None
    document_no: DocNo | None = None
    date: dt.date | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None
    result: Annotated[str, Field(max_length=2000)] | None = None
    by: Text200 | None = None
    """Who accepted the work (验收人 / 验收单位)."""


class BudgetLineIn(Input):
    source: Source
    amount: MoneyField
    document_no: DocNo = ""
    year: Year


class AdjustmentIn(Input):
    source: Source
    amount: MoneyField
    reason: Annotated[Line, Field(min_length=1, max_length=2000)]
    document_no: Annotated[Line, Field(min_length=1, max_length=100)]
    date: dt.date


class ExpenditureIn(Input):
    date: dt.date
    amount: MoneyField
    payee: Annotated[Line, Field(min_length=1, max_length=200)]
    invoice_no: Annotated[Line, Field(min_length=1, max_length=100)]
    purpose: Annotated[Line, Field(min_length=1, max_length=2000)]
    facility_id: Id | None = None


class EvidenceOut(BaseModel):
    id: int
    sha256: str
    kind: str
    phase: str
    facility_id: int | None
    expenditure_id: int | None
    filename: str
    taken_at: datetime | None
    distance_m: float | None
    verification: str | None
    note: str
    url: str
    thumb: str | None


class BudgetLineOut(BaseModel):
    id: int
    source: str
    amount: MoneyField
    document_no: str
    year: int


class AdjustmentOut(BaseModel):
    id: int
    source: str
    amount: MoneyField
    reason: str
    document_no: str
    date: dt.date


class ExpenditureOut(BaseModel):
    id: int
    date: dt.date
    amount: MoneyField
    payee: str
    invoice_no: str
    purpose: str
    facility_id: int
    facility_name: str
    evidence: list[EvidenceOut]


class FacilityRef(BaseModel):
    id: int
    code: str
    name: str
    status: str
    longitude: float
    latitude: float


class Approval(BaseModel):
    authority: str
    document_no: str
    date: dt.date | None


class Acceptance(BaseModel):
    date: dt.date | None
    by: str
    result: str
    document_no: str


class StepOut(BaseModel):
    to: str
    label: str
    missing: list[str]


class ProjectOut(BaseModel):
    id: int
    title: str
    kind: str
    division_code: str
    facility_ids: list[int]
    facilities: list[FacilityRef]
    defect_ids: list[int]
    planned_start: date
    planned_end: date
    contractor: Contractor
    description: str
    status: str
    approval: Approval
    started_on: date | None
    acceptance: Acceptance
    cancel_reason: str
    budget_total: MoneyField
    """Budget lines plus approved adjustments."""
    spent: MoneyField
    remaining: MoneyField
    overdue: bool
    next_steps: list[StepOut]
    created_at: datetime


class SummaryFacility(BaseModel):
    id: int
    code: str
    name: str
    spent: MoneyField


class SummaryOut(BaseModel):
    division: str
    year: int
    by_kind: dict[str, MoneyField]
    by_source: dict[str, MoneyField]
    total: MoneyField
    """Spent in the year (the sum of ``by_kind``)."""
    budget_total: MoneyField
    """Approved in the year (the sum of ``by_source``: budget lines of the year and adjustments dated in it)."""
    higher_level: MoneyField
    facilities_repaired: int
    projects_completed: int
    projects_overdue: int
    defects_without_project: int
    per_facility: list[SummaryFacility]

