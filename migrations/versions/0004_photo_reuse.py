"""Photos used as proof before are flagged ``reused``: the verification CHECK allows it.

Revision ID: 0004_photo_reuse
Revises: 0003_inspections
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004_photo_reuse"
down_revision = "0003_inspections"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_inspection_photos_verification"


def _check(values: tuple[str, ...]) -> str:
    return f"verification IN ({', '.join(repr(v) for v in values)})"


def _replace_check(values: tuple[str, ...]) -> None:
    # Batch mode: SQLite cannot alter a constraint, so the table is copied there.
    with op.batch_alter_table("inspection_photos") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(CONSTRAINT), _check(values))


def upgrade() -> None:
    _replace_check(("verified", "far", "no_gps", "reused"))


def downgrade() -> None:
    # A reused photo never counted as verified; "far" keeps it out of the count.
    op.execute("UPDATE inspection_photos SET verification = 'far' WHERE verification = 'reused'")
    _replace_check(("verified", "far", "no_gps"))
