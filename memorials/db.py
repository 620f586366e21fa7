"""Database plumbing: declarative base, engine and session factories, migrations.

The same models and queries run on SQLite (the embedded default) and on
PostgreSQL with PostGIS. Engines are created by the app factory or the CLI,
never at import time.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from sqlalchemy import ColumnElement, DateTime, MetaData, create_engine, event, func, literal
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends (SQLite keeps no zone by itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def one_of(column: str, values: Iterable[Enum]) -> str:
    """A CHECK constraint's text: ``column`` holds one of an enumeration's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


def _install_sqlite_functions(conn: sqlite3.Connection) -> None:
    from memorials.text import trigram_similarity

    # pg_trgm's similarity(), so a fuzzy name search means the same on both backends.
    conn.create_function("similarity", 2, trigram_similarity, deterministic=True)
    # Most SQLite builds have the math functions; register them where missing
    # so the haversine in spatial queries works everywhere.
    try:
        conn.execute("SELECT sin(0.5), asin(0.5), radians(1.0)").fetchone()
    except sqlite3.OperationalError:
        for name, fn in (("sin", math.sin), ("cos", math.cos), ("asin", math.asin),
                         ("sqrt", math.sqrt), ("radians", math.radians)):
            conn.create_function(name, 1, fn, deterministic=True)
        conn.create_function("min", 2, min, deterministic=True)


def create_db_engine(url: str, *, echo: bool = False, threads: int = 10, max_connections: int | None = None) -> Engine:
    """Create an engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    The connection pool holds as many connections as ``threads`` (the
    worker threads that use it) plus a few, so that no thread waits for a
    connection another thread is not using. On PostgreSQL
    ``max_connections`` caps what this process holds at once (several
    server processes share the server's ``max_connections``; a thread
    beyond the cap waits for a connection). PostgreSQL's JIT compiler is
    off for the app's connections: it spends tens of milliseconds compiling
    queries that run in one, which an interactive registry never wins back.
    """
    pool = {"pool_size": threads, "max_overflow": 10, "pool_timeout": 30}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}, **pool)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()
            _install_sqlite_functions(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
            # Writers begin IMMEDIATE: they take the write lock up front and
            # queue behind each other (busy_timeout) instead of failing with
            # "database is locked" halfway through. Readers stay DEFERRED.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # PostgreSQL connections are opened as needed and only a few are kept idle.
    pool = {**pool, "pool_size": min(threads, 10), "max_overflow": threads}
    if max_connections is not None:
        pool.update(pool_size=min(pool["pool_size"], max_connections),
                    max_overflow=max(0, max_connections - min(pool["pool_size"], max_connections)))
    # pre_ping: a connection that died with a restarted server is replaced at checkout, not used;
    # connect_timeout: a server that does not answer makes a request fail (503), not hang; no JIT for short queries.
    return create_engine(url, echo=echo, pool_pre_ping=True,
                         connect_args={"connect_timeout": 10, "options": "-c jit=off"}, **pool)


_SQLITE_TRANSIENT = ("database is locked", "unable to open database", "disk i/o error")


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached for now, not that the request or the code is wrong.

    PostgreSQL restarting, shut down, refusing connections, out of
    connections or cancelling a statement (psycopg's ``OperationalError`` and
    ``InterfaceError``, SQLSTATE classes 08, 53, 57); a connection the pool
    found dead; the pool itself exhausted; on SQLite, a file locked past the
    busy timeout or unreadable. Answered with 503 and ``Retry-After``; the
    pool recovers by itself (``pool_pre_ping``, invalidation on disconnect).
    """
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):  # no connection free in the pool in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (exc.OperationalError, exc.InterfaceError)):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return any(text in str(error.orig).lower() for text in _SQLITE_TRANSIENT)
    return True


def backend_name(engine_or_session: Engine | Session) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name


def older_than_days(
    session: Session, instant: ColumnElement[datetime], cutoff: datetime, days: ColumnElement[int]
) -> ColumnElement[bool]:
    """``instant`` lies more than ``days`` (a column) days before ``cutoff``, on either backend."""
    if backend_name(session) == "postgresql":
        return instant < literal(cutoff, UTCDateTime()) - func.make_interval(0, 0, 0, days)
    stored = cutoff.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return func.julianday(instant) < func.julianday(stored) - days


class ReadSessionWrite(RuntimeError):
    """A session made for reading was asked to change data: a programming error, never the user's."""


def session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (``write=True``) for changing data.

    On SQLite a writing session takes the database's write lock when it
    begins; on PostgreSQL both kinds are the same. Routes read through
    ``route_read_factory`` instead.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def route_read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for the web app's reading routes: cheap to end, and unable to write.

    On PostgreSQL each statement runs on its own (``AUTOCOMMIT``): no
    ``BEGIN`` and ``COMMIT`` round trips, and ending the session sends
    nothing to the server (``ends_without_io``), so a route may end it in
    the event loop. Each statement sees its own snapshot, as under the
    default READ COMMITTED anyway. A streamed statement (``yield_per``) needs
    a transaction for its server-side cursor: the session begins one first.
    On both backends the sessions refuse to change data
    (``ReadSessionWrite``), so nothing is ever half-written outside a
    transaction.
    """
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    event.listen(factory, "do_orm_execute", _read_only)
    event.listen(factory, "after_commit", _ended)
    event.listen(factory, "after_rollback", _ended)
    return factory


BEGAN = "began_for_cursor"


def ends_without_io(session: Session) -> bool:
    """Whether ending ``session`` (commit or rollback, then close) sends nothing to the server.

    True for a ``route_read_factory`` session on PostgreSQL that opened no
    transaction for a cursor.
    """
    bind = session.get_bind()
    return (bind.dialect.name == "postgresql" and bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
            and not session.info.get(BEGAN))


def _ended(session: Session) -> None:
    session.info.pop(BEGAN, None)


def _refuse_flush(session: Session, flush_context: object, instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        changed = [type(o).__name__ for o in (*session.new, *session.dirty, *session.deleted)]
        raise ReadSessionWrite(f"a reading session was asked to write {sorted(set(changed))}: use a write session")


def _read_only(state: ORMExecuteState) -> None:
    locking = state.is_select and getattr(state.statement, "_for_update_arg", None) is not None
    if state.is_insert or state.is_update or state.is_delete or locking:
        raise ReadSessionWrite(f"a reading session was asked to run {state.statement!s:.80}: use a write session")
    options = state.execution_options
    if (options.get("yield_per") or options.get("stream_results")) and not state.session.info.get(BEGAN):
        connection = state.session.connection()
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN")  # a server-side cursor lives only inside a transaction
            state.session.info[BEGAN] = True


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    session = factory()
    try:
        yield session
    except BaseException:
        end_session(session, commit=False)
        raise
    end_session(session, commit=True)


def end_session(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close ``session``; a failed commit is rolled back."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
