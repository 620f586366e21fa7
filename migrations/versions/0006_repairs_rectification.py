"""Defects remember how they were put right and their first deadline (the rectification list, 整改).

``resolution_kind`` (``inspection``, ``note``, ``photo``, ``repair``) and
``resolution_ref`` (the repair project) say how a defect was closed;
``original_deadline`` keeps the first deadline once it has been extended.

Revision ID: 0006_repairs_rectification
Revises: 0005_evidence
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_repairs_rectification"
down_revision = "0005_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("defects") as batch:
        batch.add_column(sa.Column("resolution_kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("resolution_ref", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("original_deadline", sa.Date(), nullable=True))
    op.execute("UPDATE defects SET resolution_kind = CASE WHEN resolved_by_id IS NOT NULL THEN 'inspection' "
               "ELSE 'note' END WHERE status = 'resolved'")


def downgrade() -> None:
    with op.batch_alter_table("defects") as batch:
        batch.drop_column("original_deadline")
        batch.drop_column("resolution_ref")
        batch.drop_column("resolution_kind")
