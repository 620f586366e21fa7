"""Rate limits that hold across server processes: a counter per key and fixed window, in the database.

Each process also keeps its own sliding window in memory (``api.ratelimit``),
which refuses a flood cheaply; this count, made in the request's own
transaction, makes the limit hold when several processes serve one
database. One statement per check, ``INSERT … ON CONFLICT DO UPDATE SET
hits = hits + 1 RETURNING hits`` on both backends, so concurrent requests
never lose a count. A refused request's transaction rolls back, so refused
requests are not counted (as in memory). Windows are fixed (a burst across
a window's edge may reach twice the limit for a moment); a key's old
windows are deleted when its next window opens.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from memorials.models import RateCounter

MAX_KEY = 200


def hit(session: Session, key: str, *, limit: int, window_s: float,
        clock: Callable[[], float] = time.time) -> int:
    """Count one request for ``key``; 0 if it is within ``limit`` per ``window_s``, else the seconds to wait."""
    now = clock()
    bucket = int(now // window_s)
    key = key[:MAX_KEY]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(RateCounter).values(key=key, bucket=bucket, hits=1)
            .on_conflict_do_update(index_elements=["key", "bucket"], set_={"hits": RateCounter.hits + 1})
            .returning(RateCounter.hits))
    hits = session.execute(stmt).scalar_one()
    if hits == 1:
        session.execute(delete(RateCounter).where(RateCounter.key == key, RateCounter.bucket < bucket))
    if hits > limit:
        return max(1, math.ceil((bucket + 1) * window_s - now))
    return 0
