"""Rate limits counted in the database, so that several server processes share them: ``rate_counters``.

Revision ID: 0008_rate_counters
Revises: 0007_pre_event_level
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_rate_counters"
down_revision = "0007_pre_event_level"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("bucket", sa.Integer(), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
