"""What ``memorials fsck`` checks in the repair projects: each state reached by an audited transition."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from memorials.integrity import Finding, unaudited_states
from repairs.models import RepairProject
from repairs.workflow import REPAIR_FLOW


def audited_states(session: Session) -> Iterable[Finding]:
    return unaudited_states(session, RepairProject, REPAIR_FLOW)
