"""The audit trail: every create, update and status change, with old and new values.

Entries are only ever added. Services call ``record`` in the same
transaction as the change, so a change and its entry stand or fall together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from memorials.actors import Actor
from memorials.models import AuditEntry
from memorials.money import Money


def _plain(value: Any) -> Any:
    if isinstance(value, (Money, Decimal)):
        return str(value)  # exact: "330000.00", never a float
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of ``obj`` as JSON-ready values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(
    *,
    session: Session,
    actor: Actor,
    entity: str,
    entity_id: object,
    action: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=actor.user_id,
        username=actor.username,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        old=_plain(old) if old is not None else None,
        new=_plain(new) if new is not None else None,
    )
    session.add(entry)
    session.flush()
    return entry


class Changes:
    """An audited update, written once for every service.

    Take the snapshot before changing ``obj``; ``record`` afterwards writes
    one entry with the old and new values of the fields that changed
    (action ``status`` when only the status changed, else ``update``), and
    nothing when nothing changed.
    """

    def __init__(self, obj: object, fields: Iterable[str]) -> None:
        self.obj = obj
        self.fields = tuple(fields)
        self.before = snapshot(obj, self.fields)

    def record(self, *, session: Session, actor: Actor, entity: str, status_field: str = "status",
               status_wins: bool = False) -> AuditEntry | None:
        """``status_wins``: a change that includes the status is a status change (a defect closed with a note)."""
        after = snapshot(self.obj, self.fields)
        changed = {k: v for k, v in self.before.items() if after[k] != v}
        if not changed:
            return None
        session.flush()
        only_status = set(changed) == {status_field}
        action = "status" if only_status or (status_wins and status_field in changed) else "update"
        return record(session=session, actor=actor, entity=entity, entity_id=self.obj.id,  # type: ignore[attr-defined]
                      action=action, old=changed, new={k: after[k] for k in changed})


def history(*, session: Session, entity: str, entity_id: object, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))
