"""May this actor see that record? One answer for every kind of entity.

Used where a route takes an entity name and id (the audit trail): the
answer follows the same jurisdiction rules as the entity's own routes, so
that nothing outside a user's jurisdiction leaks through a side door.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from memorials import audit, domains
from memorials.actors import Actor
from memorials.models import AuditEntry, Burial, Facility, Martyr, Relative, User
from memorials.permissions import Permission, allowed
from memorials.relatives import masked_values, may_see_contacts
from memorials.schemas import MAX_ID


def _facility_visible(session: Session, actor: Actor, facility_id: int) -> bool:
    facility = session.get(Facility, facility_id)
    return facility is not None and actor.covers(facility.division_code)


def _martyr_visible(session: Session, actor: Actor, martyr_id: int) -> bool:
    martyr = session.get(Martyr, martyr_id)
    return martyr is not None and actor.covers(martyr.division_code)


def entity_visible(*, session: Session, actor: Actor, entity: str, entity_id: str) -> bool:
    if not (entity_id.isascii() and entity_id.isdigit()) or len(entity_id) > 10 or int(entity_id) > MAX_ID:
        return False  # not an id any table holds ("²", 60 digits, beyond PostgreSQL's integer)
    ident = int(entity_id)
    if entity == "facility":
        return _facility_visible(session, actor, ident)
    if entity == "martyr":
        return _martyr_visible(session, actor, ident)
    if entity == "burial":
        burial = session.get(Burial, ident)
        return burial is not None and _facility_visible(session, actor, burial.facility_id)
    if entity == "relative":
        relative = session.get(Relative, ident)
        return relative is not None and _martyr_visible(session, actor, relative.martyr_id)
    if entity == "user":
        user = session.get(User, ident)
        return (user is not None and allowed(actor.role, Permission.users_manage)
                and user.jurisdiction.startswith(actor.scope))
    for resolver in domains.audit_resolvers():
        answer = resolver(session, actor, entity, ident)
        if answer is not None:
            return answer
    return False


def visible_audit_values(
    *, session: Session, actor: Actor, entry: AuditEntry
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The entry's old and new values as this actor may see them (personal data masked)."""
    if entry.entity != "relative":
        return entry.old, entry.new
    if may_see_contacts(actor):
        audit.record(session=session, actor=actor, entity="relative", entity_id=entry.entity_id,
                     action="read_contacts", old=None, new={"audit_entry": entry.id})
        return entry.old, entry.new
    return (masked_values(entry.old) if entry.old else None, masked_values(entry.new) if entry.new else None)
