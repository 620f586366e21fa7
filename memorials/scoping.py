"""Jurisdiction, written once: the filter for queries and "load it or 404" for one record.

Every record that belongs to a place carries the division code it lies in
(``division_code``); an actor sees and changes only what lies inside its
jurisdiction, and anything outside answers as if it did not exist.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.errors import NotFound


class Placed(Protocol):
    division_code: str


T = TypeVar("T", bound=Placed)


def in_scope(column: InstrumentedAttribute[str] | ColumnElement[str], actor: Actor) -> ColumnElement[bool]:
    """SQL test: the row's division code lies in the actor's jurisdiction (an index range)."""
    return scoped(column, actor.scope)


def get_or_404(session: Session, model: type[T], ident: int, actor: Actor, *, entity: str, lock: bool = False) -> T:
    """The row of ``model`` with this id, or ``NotFound`` when absent or outside the jurisdiction.

    ``lock`` takes the row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; on
    SQLite the write transaction already serialises writers) and reloads the
    row, so a change checked against it cannot race another request's.
    """
    row = session.get(model, ident, with_for_update=lock or None, populate_existing=lock)
    if row is None or not actor.covers(row.division_code):
        raise NotFound(entity, ident)
    return row
