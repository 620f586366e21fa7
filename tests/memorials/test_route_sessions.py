"""A reading route's session: it cannot write, and on PostgreSQL it costs no transaction unless a cursor needs one.

``route_read_factory`` runs PostgreSQL reads in autocommit so that a route
sends no ``BEGIN``/``COMMIT`` and is ended in the event loop. That is safe
only because such a session refuses every change: a route that wrote through
it would otherwise commit statement by statement, half-written on an error.
"""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, select, text, update

from memorials.db import ReadSessionWrite, backend_name, ends_without_io, route_read_factory, transaction
from memorials.models import Division

pytestmark = pytest.mark.both_backends


def test_a_reading_session_refuses_every_change_and_changes_nothing(engine):
    sessions = route_read_factory(engine)
    with transaction(sessions) as s:
        county = s.scalar(select(Division).where(Division.level == "county").order_by(Division.code).limit(1))
        name = county.name
    attempts = [
        lambda s: s.add(Division(code="999999", name="不该写入", full_name="不该写入", level="county", parent_code=None)),
        lambda s: setattr(s.scalar(select(Division).where(Division.code == county.code)), "name", "改名"),
        lambda s: s.execute(update(Division).where(Division.code == county.code).values(name="改名")),
        lambda s: s.execute(select(Division).where(Division.code == county.code).with_for_update()),
    ]
    for attempt in attempts:
        with pytest.raises(ReadSessionWrite, match="use a write session"):
            with transaction(sessions) as s:
                attempt(s)
                s.flush()
    with transaction(sessions) as s:
        assert s.scalar(select(Division.name).where(Division.code == county.code)) == name
        assert s.scalar(select(func.count()).select_from(Division).where(Division.code == "999999")) == 0


def test_on_postgres_a_reading_session_holds_no_transaction_until_a_cursor_needs_one(engine):
    sessions = route_read_factory(engine)
    session = sessions()
    try:
        assert session.scalar(select(func.count()).select_from(Division)) > 3000
        raw = session.connection().connection.dbapi_connection
        if backend_name(session) != "postgresql":
            assert not ends_without_io(session)  # SQLite: the route ends it in a worker thread, as before
            return
        assert raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE
        assert ends_without_io(session)
        # A streamed statement reads through a server-side cursor, which lives only in a transaction.
        streamed = session.scalars(select(Division.code).order_by(Division.code).execution_options(yield_per=500))
        assert sum(1 for _ in streamed) > 3000
        assert raw.info.transaction_status == TransactionStatus.INTRANS
        assert not ends_without_io(session)  # its COMMIT is I/O: the route ends it in a worker thread
        session.commit()
        assert raw.info.transaction_status == TransactionStatus.IDLE and ends_without_io(session)
        again = session.scalars(select(Division.code).execution_options(yield_per=500))  # begins anew
        assert next(iter(again)) and not ends_without_io(session)
        session.rollback()
        assert raw.info.transaction_status == TransactionStatus.IDLE
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        session.close()
