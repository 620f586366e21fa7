"""Case numbers (``QZ421122-2026-003``), gap-free and never drawn twice under concurrency.

Numbering in one county takes turns on the county's division row (``SELECT …
FOR UPDATE`` on PostgreSQL; SQLite writers are serialised already), as the
registry does for facility codes; the unique index on the number is the
last line of defence.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from memorials.models import Division


def next_number(session: Session, column: InstrumentedAttribute[str], *, prefix: str, division_code: str,
                year: int) -> str:
    county = division_code[:6]
    session.execute(select(Division.code).where(Division.code == county).with_for_update())
    stem = f"{prefix}{county}-{year}-"
    last = session.scalar(select(func.max(column)).where(column.like(f"{stem}%")))
    number = int(last[len(stem):]) + 1 if last and last[len(stem):].isdigit() else 1
    return f"{stem}{number:03d}"
