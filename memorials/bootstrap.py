"""Bring a database to life: latest schema, reference divisions."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from memorials.db import session_factory, transaction
from memorials.divisions import count_divisions, load_reference_divisions
from memorials.migrate import upgrade


def prepare_database(engine: Engine) -> int:
    """Migrate to the latest revision and load the division table if empty.

    Returns the number of divisions added (0 when they were there already).
    Safe to run on every start.
    """
    upgrade(engine)
    with transaction(session_factory(engine, write=True)) as session:
        if count_divisions(session) == 0:
            return load_reference_divisions(session)
    return 0
