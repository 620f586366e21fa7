"""Which indexes a query's plan reads: the statements a service runs, captured and put through ``EXPLAIN``.

A plan that reads a big table with a ``Seq Scan`` is named, since that is
the query that will slow down as the registry grows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

BIG_TABLES = {"facilities", "martyrs", "inspections", "audit_entries", "burials", "defects", "photos"}


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with their parameters) run on ``engine`` inside the block."""
    seen: list[tuple[str, Any]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith("EXPLAIN"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _nodes(plan: dict[str, Any], *, capped_counts: bool = True) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        if capped_counts or not _capped_count(child):
            yield from _nodes(child, capped_counts=capped_counts)


def _capped_count(node: dict[str, Any]) -> bool:
    """A ``paging.capped_count`` riding in a page's statement: an InitPlan counting through a ``LIMIT``."""
    children = node.get("Plans", [])
    return (node.get("Parent Relationship") == "InitPlan" and node["Node Type"] == "Aggregate"
            and len(children) == 1 and children[0]["Node Type"] == "Limit")


def scans(session: Session, statement: str, parameters: Any, *,
          capped_counts: bool = True) -> list[tuple[str, str, str]]:
    """``(node type, table, index)`` of every scan in the statement's plan (``capped_counts=False``: but
    those of a capped count riding in it)."""
    out = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
    plan = json.loads(out) if isinstance(out, str) else out
    return [(n["Node Type"], n.get("Relation Name", ""), n.get("Index Name", "")) for n in _nodes(plan[0]["Plan"], capped_counts=capped_counts)
            if "Scan" in n["Node Type"] and (n.get("Relation Name") or n.get("Index Name"))]


def verdict(engine: Engine, sessions: Callable[[], Session], work: Callable[[Session], object]) -> str:
    """Run ``work`` once; the indexes its statements read, or the big tables it scans whole."""
    with sessions() as session, captured(engine) as seen:
        work(session)
        session.rollback()
    indexes: list[str] = []
    whole: list[str] = []
    with sessions() as session:
        for statement, parameters in seen:
            for node, table, index in scans(session, statement, parameters):
                if node == "Seq Scan" and table in BIG_TABLES:
                    whole.append(table)
                elif index and index not in indexes:
                    indexes.append(index)
    text = ", ".join(f"`{i}`" for i in indexes) or "no index"
    if whole:
        text += " — **Seq Scan on " + ", ".join(sorted(set(whole))) + "**"
    return text
