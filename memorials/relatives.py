"""Martyrs' relatives, and the masking of their personal data.

Phone numbers, ID numbers and addresses are shown only to roles that need
them (case officers, admins); every unmasked read is written to the audit
trail.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import Actor
from memorials.models import Martyr, Relative
from memorials.permissions import Permission, allowed
from memorials.schemas import RelativeCreate, RelativeOut

AUDITED_FIELDS = ("martyr_id", "name", "relation", "phone", "id_number", "address")


def mask_phone(phone: str) -> str:
    """``13812341234`` -> ``138****1234``; short numbers keep only their last two digits."""
    digits = re.sub(r"\s+", "", phone)
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "*" * 4 + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_id_number(number: str) -> str:
    """``420000198001011234`` -> ``4200**********1234``."""
    text = number.strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_address(address: str) -> str:
    """Keep the first six characters (province, county), hide the rest."""
    text = address.strip()
    if len(text) <= 6:
        return "*" * len(text)
    return text[:6] + "****"


def masked_values(values: dict[str, object]) -> dict[str, object]:
    """A copy of ``values`` with personal fields masked (for audit entries shown to others)."""
    out = dict(values)
    for name, fn in (("phone", mask_phone), ("id_number", mask_id_number), ("address", mask_address)):
        if isinstance(out.get(name), str):
            out[name] = fn(out[name])  # type: ignore[arg-type]
    return out


def may_see_contacts(actor: Actor) -> bool:
    return allowed(actor.role, Permission.relatives_contact)


def view(relative: Relative, *, unmasked: bool) -> RelativeOut:
    """The relative as shown: personal fields masked unless ``unmasked``."""
    values = {"id": relative.id, "martyr_id": relative.martyr_id, "name": relative.name,
              "relation": relative.relation, "phone": relative.phone, "id_number": relative.id_number,
              "address": relative.address}
    return RelativeOut(**(values if unmasked else masked_values(values)), masked=not unmasked)


def list_relatives(*, session: Session, martyr: Martyr, actor: Actor) -> list[RelativeOut]:
    """The martyr's relatives as ``actor`` may see them; an unmasked read is audited."""
    rows = list(session.scalars(select(Relative).where(Relative.martyr_id == martyr.id).order_by(Relative.id)))
    unmasked = may_see_contacts(actor)
    if unmasked and rows:
        audit.record(session=session, actor=actor, entity="martyr", entity_id=martyr.id, action="read_contacts",
                     old=None, new={"relative_ids": [r.id for r in rows]})
    return [view(r, unmasked=unmasked) for r in rows]


def create_relative(*, session: Session, martyr: Martyr, data: RelativeCreate, actor: Actor) -> Relative:
    relative = Relative(martyr_id=martyr.id, **data.model_dump())
    session.add(relative)
    session.flush()
    audit.record(session=session, actor=actor, entity="relative", entity_id=relative.id, action="create",
                 old=None, new=audit.snapshot(relative, AUDITED_FIELDS))
    return relative
