"""Family-finding cases (为烈士寻亲): clues, leads, contacts, verification, and the relatives found.

``open`` → ``leads`` → ``verifying`` → ``found`` or ``closed_not_found``
(:data:`cases.workflows.FAMILY_SEARCH`). ``found`` needs a confirmed
verification with its evidence, and creates the relatives it names through
the registry (``memorials.relatives``), whose contacts are masked by role.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from cases.models import SEARCH_EVIDENCE, FamilySearch, FamilySearchEntry
from cases.numbers import next_number
from cases.relocation import days_in_stage
from cases.schemas import (
    EntryIn,
    EntryOut,
    FamilySearchCreate,
    FamilySearchOut,
    FamilySearchUpdate,
    SearchTransitionIn,
    StepOut,
)
from cases.views import attachments_of
from cases.workflows import FAMILY_SEARCH, Subject, transition_to
from evidence.service import attach
from evidence.uploads import Accepted
from memorials import audit, clock
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.errors import Conflict, ValidationProblem
from memorials.models import Martyr
from memorials.relatives import create_relative, list_relatives
from memorials.scoping import get_or_404

CLUE_FIELDS = ("name_variants", "hometown", "unit", "death_date", "place_of_death", "battle", "note")
ENTRY_AUDITED = ("kind", "occurred_on", "source", "given_by", "content", "method", "lab", "result")


def visible(actor: Actor) -> ColumnElement[bool]:
    return scoped(FamilySearch.division_code, actor.scope)


def search_ids(actor: Actor) -> Select[tuple[int]]:
    return select(FamilySearch.id).where(visible(actor))


def entry_ids(actor: Actor) -> Select[tuple[int]]:
    return select(FamilySearchEntry.id).join(FamilySearch).where(visible(actor))


def _clues(values: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(values) - set(CLUE_FIELDS))
    if unknown:
        raise ValidationProblem(f"clues.{unknown[0]}", f"unknown clue; use {', '.join(CLUE_FIELDS)}")
    return {k: v.strip() for k, v in values.items() if v.strip()}


def get_search(*, session: Session, search_id: int, actor: Actor, for_update: bool = False) -> FamilySearch:
    return get_or_404(session, FamilySearch, search_id, actor, entity="family search", lock=for_update)


def create_search(*, session: Session, data: FamilySearchCreate, actor: Actor) -> FamilySearch:
    martyr = session.get(Martyr, data.martyr_id)
    if martyr is None or not actor.covers(martyr.division_code):
        raise ValidationProblem("martyr_id", f"no martyr {data.martyr_id}")
    busy = session.scalar(select(FamilySearch.number).where(FamilySearch.martyr_id == martyr.id,
                                                            FamilySearch.status.in_(("open", "leads", "verifying"))))
    if busy:
        raise Conflict(f"martyr_id: {martyr.name} already has an open family search ({busy})")
    today = clock.today()
    search = FamilySearch(
        number=next_number(session, FamilySearch.number, prefix="XQ", division_code=martyr.division_code,
                           year=today.year),
        martyr_id=martyr.id, division_code=martyr.division_code, status="open",
        status_since=datetime.now(timezone.utc), clues=_clues(data.clues), opened_on=data.opened_on or today.isoformat(),
        created_by=actor.username)
    session.add(search)
    session.flush()
    audit.record(session=session, actor=actor, entity="family_search", entity_id=search.id, action="create", old=None,
                 new={"number": search.number, "martyr_id": martyr.id, "clues": search.clues})
    return search


def update_search(*, session: Session, search: FamilySearch, data: FamilySearchUpdate, actor: Actor) -> FamilySearch:
    changes = audit.Changes(search, ("clues", "outcome_note"))
    if data.clues is not None:
        search.clues = _clues(data.clues)
    if data.outcome_note is not None:
        search.outcome_note = data.outcome_note
    changes.record(session=session, actor=actor, entity="family_search")
    return search


def add_entry(*, session: Session, search: FamilySearch, data: EntryIn, actor: Actor) -> FamilySearchEntry:
    if search.status in ("found", "closed_not_found"):
        raise Conflict(f"status: the search is {FAMILY_SEARCH.label(search.status)}")
    if data.kind == "verification" and (data.method is None or not data.result):
        raise ValidationProblem("method", "a verification names its method (document, testimony, dna) and result")
    if data.method == "dna" and not data.lab:
        raise ValidationProblem("lab", "a DNA comparison names its laboratory")
    entry = FamilySearchEntry(search_id=search.id, kind=data.kind, occurred_on=data.date or clock.today().isoformat(),
                              source=data.source, given_by=data.given_by, content=data.content,
                              method=data.method if data.kind == "verification" else None, lab=data.lab,
                              result=data.result)
    session.add(entry)
    session.flush()
    session.refresh(search)
    audit.record(session=session, actor=actor, entity="family_search", entity_id=search.id, action=data.kind,
                 old=None, new={"entry_id": entry.id, **audit.snapshot(entry, ENTRY_AUDITED)})
    return entry


def attach_evidence(*, session: Session, search: FamilySearch, entry_id: int, accepted: Sequence[Accepted],
                    actor: Actor) -> FamilySearchEntry:
    entry = session.get(FamilySearchEntry, entry_id)
    if entry is None or entry.search_id != search.id:
        raise ValidationProblem("entry_id", f"no entry {entry_id} in search {search.number}")
    rows = attach(session=session, owner_type=SEARCH_EVIDENCE, owner_id=entry.id, accepted=accepted)
    audit.record(session=session, actor=actor, entity="family_search", entity_id=search.id, action="evidence",
                 old=None, new={"entry_id": entry.id, "files": [r.sha256 for r in rows]})
    return entry


def transition(*, session: Session, search: FamilySearch, data: SearchTransitionIn, actor: Actor) -> FamilySearch:
    name = transition_to(FAMILY_SEARCH, search.status, data.to)
    subject = Subject(search, session, {"relatives": data.relatives, "note": data.note})
    FAMILY_SEARCH.check(subject, name)
    if name in ("found", "close_not_found"):
        search.closed_on = data.date or clock.today().isoformat()
        search.outcome_note = data.note or search.outcome_note
    if name == "found":
        martyr = session.get(Martyr, search.martyr_id)
        for relative in data.relatives:
            create_relative(session=session, martyr=martyr, data=relative, actor=actor)
    FAMILY_SEARCH.apply(session=session, obj=subject, name=name, actor=actor, entity_id=search.id, note=data.note)
    search.status_since = datetime.now(timezone.utc)
    session.flush()
    return search


def list_searches(*, session: Session, actor: Actor, division: str | None = None, status: str | None = None,
                  martyr_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[FamilySearch], int]:
    stmt = select(FamilySearch).where(visible(actor))
    if division:
        stmt = stmt.where(scoped(FamilySearch.division_code, division))
    if status:
        stmt = stmt.where(FamilySearch.status == status)
    if martyr_id:
        stmt = stmt.where(FamilySearch.martyr_id == martyr_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(session.scalars(stmt.order_by(FamilySearch.id.desc()).limit(limit).offset(offset))), total


def entry_out(session: Session, entry: FamilySearchEntry, url: Callable[[str], str]) -> EntryOut:
    return EntryOut(id=entry.id, kind=entry.kind, date=entry.occurred_on, source=entry.source,
                    given_by=entry.given_by, content=entry.content, method=entry.method, lab=entry.lab,
                    result=entry.result, documents=attachments_of(session, SEARCH_EVIDENCE, entry.id, url))


def search_out(*, session: Session, search: FamilySearch, actor: Actor, url: Callable[[str], str],
               full: bool = True) -> FamilySearchOut:
    """The search; relatives found are shown as the registry shows them (masked by role, unmasked reads audited)."""
    martyr = session.get(Martyr, search.martyr_id)
    out = FamilySearchOut(id=search.id, number=search.number, martyr_id=search.martyr_id,
                          martyr_name=martyr.name if martyr else "", division_code=search.division_code,
                          clues=search.clues or {}, status=search.status,
                          status_label=FAMILY_SEARCH.label(search.status), days_in_stage=days_in_stage(search),
                          opened_on=search.opened_on, closed_on=search.closed_on, outcome_note=search.outcome_note)
    if full:
        out.entries = [entry_out(session, e, url) for e in search.entries]
        if search.status == "found" and martyr is not None:
            out.relatives = list_relatives(session=session, martyr=martyr, actor=actor)
        if search.status not in ("found", "closed_not_found"):
            out.next_steps = [StepOut(to=s.target, label=s.label, missing=list(s.missing))
                              for s in FAMILY_SEARCH.next_steps(Subject(search, session, {"relatives": [1],
                                                                                           "note": "-"}))]
    return out
