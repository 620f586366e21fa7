"""Deep pages and big counts that stay fast: keyset cursors and estimated totals.

An ``OFFSET`` page makes the database walk past every earlier row, and an
exact ``count(*)`` of a national list reads the whole table, each time a page
is shown. So lists answer:

* ``next_cursor``: an opaque token naming the last row of the page (its sort
  key). Sent back as ``cursor``, the next page starts right after that row
  through the index (``WHERE (code, id) > (…)``): page 4,000 costs what page 1
  costs, and rows inserted meanwhile cause no duplicates or gaps. ``offset``
  keeps working for the first pages.
* ``total``: exact while the matching rows are at most ``COUNT_CAP`` (counted
  through the index, stopping at the cap); beyond it, PostgreSQL's planner
  estimate for the query (the ``EXPLAIN`` row count, from the table's
  statistics) with ``total_estimated: true``. SQLite has no planner estimate
  and the embedded registries it serves are small: it counts exactly.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.orm import Session

from memorials.db import backend_name
from memorials.errors import ValidationProblem

COUNT_CAP = 10_000
CURSOR_FIELD = "cursor"


def query_problem(field: str, reason: str) -> ValidationProblem:
    """A refusal of a query parameter (``cursor``, ``offset``): the 422 names it under ``query``."""
    problem = ValidationProblem(field, reason)
    problem.where = "query"  # type: ignore[attr-defined]
    return problem


def encode_cursor(order: str, key: Sequence[Any]) -> str:
    """An opaque token for the row whose sort key is ``key`` under the ordering named ``order``."""
    raw = json.dumps([order, list(key)], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, order: str, types: Sequence[type]) -> tuple[Any, ...]:
    """The sort key in ``token``; ``ValidationProblem`` naming ``cursor`` when it is not one of ours.

    ``types`` are the key's parts (``str``, ``int``, ``float``) in order; a
    cursor made for another ordering (a nearest-first page's cursor sent to
    a list by code) is refused too, since it would skip rows silently.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, key = json.loads(raw.decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        raise query_problem(CURSOR_FIELD, "is not a cursor this list gave out (use next_cursor as it came)") \
            from None
    if made_for != order:
        raise query_problem(CURSOR_FIELD, f"was given out for another ordering ({made_for!s:.20}); "
                                              "start again without it")
    if not isinstance(key, list) or len(key) != len(types):
        raise query_problem(CURSOR_FIELD, "is not a cursor this list gave out (use next_cursor as it came)")
    out = []
    for value, kind in zip(key, types, strict=True):
        good = (isinstance(value, kind) and not isinstance(value, bool)) or (
            kind is float and isinstance(value, int) and not isinstance(value, bool))
        if not good or (kind is float and not math.isfinite(value)):
            raise query_problem(CURSOR_FIELD, "is not a cursor this list gave out (use next_cursor as it came)")
        out.append(kind(value))
    return tuple(out)


def count_matching(session: Session, stmt: Select, *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``stmt`` (a ``SELECT`` of the matching rows, any columns) gives: ``(total, estimated)``.

    Up to ``cap`` rows are counted exactly (the count stops reading at
    ``cap + 1``). Past it, on PostgreSQL, the planner's estimate is answered
    instead, never less than ``cap + 1``, and ``estimated`` is True.
    """
    return total_of(session, stmt, session.scalar(select(capped_count(session, stmt, cap=cap))) or 0, cap=cap)


def capped_count(session: Session, stmt: Select, *, cap: int = COUNT_CAP) -> ScalarSelect[int]:
    """``count_matching``'s count as a scalar subquery, to ride in a page's own statement (one round trip).

    It counts up to ``cap + 1`` rows on PostgreSQL, all of them on SQLite;
    ``total_of`` turns the number read back into ``(total, estimated)``.
    """
    inner = stmt.order_by(None).limit(None).offset(None)
    if backend_name(session) == "postgresql":
        inner = inner.limit(cap + 1)
    return select(func.count()).select_from(inner.subquery()).scalar_subquery()


def total_of(session: Session, stmt: Select, counted: int, *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(total, estimated)`` from a ``capped_count`` of ``stmt``: the planner's estimate past ``cap``."""
    if counted <= cap or backend_name(session) != "postgresql":
        return counted, False
    return max(cap + 1, planner_rows(session, stmt.order_by(None).limit(None).offset(None))), True


def estimate_matching(session: Session, stmt: Select, *, at_least: int) -> tuple[int, bool]:
    """The planner's estimate of the rows ``stmt`` gives (never under ``at_least``), without counting them.

    For matches no index counts cheaply (similar names): ``(estimate, True)``
    on PostgreSQL; SQLite counts exactly.
    """
    if backend_name(session) != "postgresql":
        return count_matching(session, stmt)
    return max(at_least, planner_rows(session, stmt.order_by(None).limit(None).offset(None))), True


def planner_rows(session: Session, stmt: Select) -> int:
    """PostgreSQL's estimate of the rows ``stmt`` returns (``EXPLAIN``'s top ``Plan Rows``): no row is read."""
    # render_postcompile: an IN list (kind=a,b) becomes plain parameters, as EXPLAIN outside execute() needs
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
