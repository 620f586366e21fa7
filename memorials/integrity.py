"""What ``memorials fsck`` checks in the database: records that say more than the database holds.

A domain package registers its checks (``DomainPackage.integrity_checks``);
each one reads and answers :class:`Finding` s, and changes nothing. They
find what a crash could leave if a transaction were not one (an inspection
counting photos it does not have, a case in a state its audit trail never
recorded) and what a hand-edited database does.

:func:`unaudited_states` is the check every workflow shares: a record's
state must be the one its last audited transition reached, or the state it
starts in when it has taken none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from memorials.models import AuditEntry
from memorials.workflow import Workflow


@dataclass(frozen=True)
class Finding:
    """One dangling reference or inconsistency: what kind, which record, and what is wrong (English)."""

    problem: str
    """A stable name: ``missing_file``, ``checksum_mismatch``, ``missing_owner``, ``photo_count``, ``unaudited_state`` …"""
    entity: str
    ident: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


IntegrityCheck = Callable[[Session], Iterable[Finding]]


def unaudited_states(session: Session, model: Any, workflow: Workflow) -> Iterable[Finding]:
    """Rows of ``model`` whose state is not the last one their audit trail recorded.

    Every entry of ``workflow.entity`` whose new values hold the state
    counts (a transition, the creation, a status change); a row with none
    must be in the workflow's first state. The entry and the change are
    written in one transaction (:meth:`memorials.workflow.Workflow.apply`),
    so any difference means a write was lost or made around the services.
    """
    attribute = workflow.state_attribute
    recorded: dict[str, tuple[str, str]] = {}
    entries = (select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.new)
               .where(AuditEntry.entity == workflow.entity).order_by(AuditEntry.id))
    for entity_id, action, new in session.execute(entries).yield_per(5000):
        if isinstance(new, dict) and attribute in new:
            recorded[entity_id] = (new[attribute], action)
    start = next(iter(workflow.states))
    column = getattr(model, attribute)
    for ident, state in session.execute(select(model.id, column).order_by(model.id)):
        audited = recorded.get(str(ident))
        if audited is None and state != start:
            yield Finding("unaudited_state", workflow.entity, str(ident),
                          f"{attribute} is {state!r} but the audit trail never recorded it")
        elif audited is not None and audited[0] != state:
            yield Finding("unaudited_state", workflow.entity, str(ident),
                          f"{attribute} is {state!r} but the audit trail's last entry ({audited[1]}) "
                          f"recorded {audited[0]!r}")
