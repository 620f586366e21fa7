"""What ``memorials fsck`` checks in the cases: each state reached by an audited transition."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from cases.models import FamilySearch, RelocationCase
from cases.workflows import FAMILY_SEARCH, RELOCATION
from memorials.integrity import Finding, unaudited_states


def audited_states(session: Session) -> Iterator[Finding]:
    yield from unaudited_states(session, RelocationCase, RELOCATION)
    yield from unaudited_states(session, FamilySearch, FAMILY_SEARCH)
