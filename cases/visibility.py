"""Who sees what of the cases: the audit trail's resolver and the attachments' owner scopes.

A relocation case is seen by the sending and the receiving county; a family
search by the county that keeps its martyr.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.family import entry_ids, search_ids
from cases.models import FamilySearch, RelocationCase, RelocationMartyr
from cases.relocation import case_ids, consent_ids
from memorials.actors import Actor


def _sees(actor: Actor, case: RelocationCase | None) -> bool:
    return case is not None and (actor.covers(case.division_code) or bool(
        case.receiving_division_code and actor.covers(case.receiving_division_code)))


def resolve(session: Session, actor: Actor, entity: str, ident: int) -> bool | None:
    if entity == "relocation_case":
        return _sees(actor, session.get(RelocationCase, ident))
    if entity == "relocation_case_martyr":
        row = session.get(RelocationMartyr, ident)
        return row is not None and _sees(actor, session.get(RelocationCase, row.case_id))
    if entity == "family_search":
        search = session.get(FamilySearch, ident)
        return search is not None and actor.covers(search.division_code)
    return None


__all__ = ["case_ids", "consent_ids", "entry_ids", "resolve", "search_ids"]
