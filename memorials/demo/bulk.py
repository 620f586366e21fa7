"""Bulk loading for the synthetic registry: COPY on PostgreSQL, batched ``executemany`` on SQLite.

Rows are plain tuples in a table's column order (Python values: aware
datetimes, dates, dicts for JSON), written inside the caller's
transaction (nothing is half-loaded: a failure rolls everything back). Ids are given by the loader, not by the database, so that rows can
name each other before they are written: :meth:`BulkWriter.next_id` takes
the table's highest id under a lock that keeps other writers out until the
transaction ends, and :meth:`BulkWriter.finish` moves PostgreSQL's sequence
past what was written.

On PostgreSQL rows go by binary COPY, typed by the table's own column
types (psycopg's C adapters; several times faster than text COPY). A
large load into a small table builds the table's secondary indexes and
checks its foreign keys once, afterwards, as ``pg_restore`` does
(:meth:`BulkWriter.deferred`): cheaper than keeping them row by row.
Indexes that back a primary key or a unique constraint stay. Then
``ANALYZE``, so the planner knows the new sizes at once. Dropping a key
locks its table until the load commits: load a national registry with the
app stopped (or let its requests wait), as one loads a dump.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from random import Random
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from memorials.db import backend_name

SQLITE_BATCH = 5_000

Advance = Callable[[int], None]
StageFactory = Callable[[str, int], Advance]
"""``stage(label, total)`` announces a stage of ``total`` rows and answers how to advance it."""


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # as SQLAlchemy stores a UTC datetime on SQLite
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


class BulkWriter:
    """Writes rows fast into one session's transaction; see the module's text."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = backend_name(session) == "postgresql"
        self.written: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        """Seconds spent sending rows per table, and (``"indexes and keys: …"``) rebuilding after a load."""
        self._oids: dict[str, dict[str, int]] = {}

    def next_id(self, table: str) -> int:
        """The first free id of ``table``; other writers wait until this transaction ends."""
        if self.postgres:
            self.session.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
        return int(self.session.scalar(text(f'SELECT coalesce(max(id), 0) FROM "{table}"')) or 0) + 1

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Write ``rows`` (tuples in ``columns`` order); answers how many."""
        names = ", ".join(f'"{c}"' for c in columns)
        count, started = 0, time.perf_counter()
        if self.postgres:
            cursor = self.session.connection().connection.driver_connection.cursor()
            types = self._types(table, columns)
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            cursor = self.session.connection().connection.driver_connection.cursor()
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
            batch: list[list[Any]] = []
            for row in rows:
                batch.append([_sqlite_value(v) for v in row])
                if len(batch) >= SQLITE_BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        self.written[table] = self.written.get(table, 0) + count
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started
        return count

    def _types(self, table: str, columns: Sequence[str]) -> list[int]:
        """The columns' type oids, for binary COPY (values go as they are typed, not as text)."""
        if table not in self._oids:
            self._oids[table] = dict(self.session.execute(text(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0"),
                {"t": table}).all())
        return [int(self._oids[table][c]) for c in columns]

    @contextmanager
    def deferred(self, *tables: str, expected: int) -> Iterator[None]:
        """Build these tables' secondary indexes and check their foreign keys after the load (PostgreSQL).

        Only worth it when the load is larger than what the tables hold: else
        rebuilding costs more than keeping. SQLite keeps them as it goes.
        """
        if not self.postgres or expected < sum(self._estimate(t) for t in tables):
            yield
            return
        saved: list[str] = []
        for table in tables:
            for name, definition in self.session.execute(text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"), {"t": table}):
                saved.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                self.session.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
            for name, definition in self.session.execute(text(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname"),
                    {"t": table}):
                saved.insert(0, definition)  # indexes first: the foreign keys' checks may use them
                self.session.execute(text(f'DROP INDEX "{name}"'))
        yield
        started = time.perf_counter()
        for statement in saved:
            self.session.execute(text(statement))
        self.seconds[f"indexes and keys: {', '.join(tables)}"] = time.perf_counter() - started

    def _estimate(self, table: str) -> int:
        return max(0, int(self.session.scalar(text(
            "SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}) or 0))

    def finish(self) -> None:
        """Move the sequences past the ids written, and let the planner see the new sizes."""
        for table in self.written:
            if self.postgres:
                self.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'))
            self.session.execute(text(f'ANALYZE "{table}"'))


@dataclass(frozen=True)
class SyntheticFacility:
    id: int
    code: str
    division_code: str
    kind: str
    status: str
    longitude: float
    latitude: float


@dataclass
class SyntheticRun:
    """What a domain package's ``synthetic`` hook gets: the facilities just written and how to add rows."""

    session: Session
    bulk: BulkWriter
    seed: int
    facilities: list[SyntheticFacility]
    as_of: date
    """The day the registry is loaded "on": the last month of patrols is this one (fixed for reproducibility)."""
    months: int
    """Months of patrols to write, the last one ``as_of``'s."""
    stage: StageFactory = field(default=lambda _label, _total: lambda _n: None)

    def rng(self, name: str) -> Random:
        """A generator of its own for ``name``: one package's rows never shift another's."""
        return Random(f"{self.seed}-{name}")
