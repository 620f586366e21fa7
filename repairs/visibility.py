"""Who sees what of the repairs: the audit trail's resolver and the attachments' owner scope."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from memorials.actors import Actor
from memorials.divisions import scoped
from repairs.models import RepairProject


def resolve(session: Session, actor: Actor, entity: str, ident: int) -> bool | None:
    if entity == "repair":
        row = session.get(RepairProject, ident)
        return row is not None and actor.covers(row.division_code)
    return None


def evidence_owners(actor: Actor) -> Select[tuple[int]]:
    """Projects whose photos and documents the actor may see: those in their jurisdiction."""
    return select(RepairProject.id).where(scoped(RepairProject.division_code, actor.scope))
