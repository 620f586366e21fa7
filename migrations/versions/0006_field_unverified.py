"""Patrols that cannot prove where they were: ``inspections.unverified_reason``.

A patrol with neither the phone's position nor a geotagged photo is accepted
only with a reason, and is counted as unverified wherever patrols are
counted. Patrols filed before this revision that had neither are marked
with the reason ``迁移前记录：无位置、无带定位照片`` so that old figures
and new ones count the same way.

Revision ID: 0006_field_unverified
Revises: 0005_evidence
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_field_unverified"
down_revision = "0006_cases_martyr_hometown"
branch_labels = None
depends_on = None

LEGACY_REASON = "迁移前记录：无位置、无带定位照片"


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("unverified_reason", sa.String(200), nullable=True))
    op.execute(sa.text(
        "UPDATE inspections SET unverified_reason = :reason WHERE position_longitude IS NULL AND NOT EXISTS ("
        "SELECT 1 FROM attachments a WHERE a.owner_type = 'inspection' AND a.owner_id = inspections.id "
        "AND a.gps_longitude IS NOT NULL)"
    ).bindparams(reason=LEGACY_REASON))


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("unverified_reason")
