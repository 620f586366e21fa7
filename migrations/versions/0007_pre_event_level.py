"""The pre-event special inspection (清明前专项检查): a fourth inspection level.

It is not periodic: interval rules keep the three periodic levels.

Revision ID: 0007_pre_event_level
Revises: 0006_field_unverified
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0007_pre_event_level"
down_revision = "0006_field_unverified"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_inspections_level"
PERIODIC = ("patrol", "county_check", "city_spot_check")


def _replace_check(values: tuple[str, ...]) -> None:
    # Batch mode: SQLite cannot alter a constraint, so the table is copied there.
    with op.batch_alter_table("inspections") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(CONSTRAINT), f"level IN ({', '.join(repr(v) for v in values)})")


def upgrade() -> None:
    _replace_check((*PERIODIC, "pre_event"))


def downgrade() -> None:
    # A pre-event inspection is an inspection by the county; it is kept as one.
    op.execute("UPDATE inspections SET level = 'county_check' WHERE level = 'pre_event'")
    _replace_check(PERIODIC)
