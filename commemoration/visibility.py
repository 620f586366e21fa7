"""Who sees what of the commemoration: the audit trail's resolver and the proxy-visit photos' owner scope."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from commemoration.models import Booking, Event, ProxyVisit, Slot, TributeMessage, Trip
from memorials.actors import Actor
from memorials.divisions import scoped


def resolve(session: Session, actor: Actor, entity: str, ident: int) -> bool | None:
    code: str | None
    if entity == "event":
        code = session.scalar(select(Event.division_code).where(Event.id == ident))
    elif entity == "booking":
        code = session.scalar(select(Event.division_code).join(Slot, Slot.event_id == Event.id)
                              .join(Booking, Booking.slot_id == Slot.id).where(Booking.id == ident))
    elif entity == "proxy_visit":
        code = session.scalar(select(ProxyVisit.division_code).where(ProxyVisit.id == ident))
    elif entity == "trip":
        code = session.scalar(select(Trip.division_code).where(Trip.id == ident))
    elif entity == "tribute_message":
        code = session.scalar(select(TributeMessage.division_code).where(TributeMessage.id == ident))
    else:
        return None
    return code is not None and actor.covers(code)


def proxy_photo_owners(actor: Actor) -> Select[tuple[int]]:
    """Proxy visits whose photos the actor may see: those in their jurisdiction (families use their link)."""
    return select(ProxyVisit.id).where(scoped(ProxyVisit.division_code, actor.scope))
