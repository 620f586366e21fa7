"""An index on martyrs' hometown division code: families trace martyrs by hometown (case matching, list filters).

Revision ID: 0006_cases_martyr_hometown
Revises: 0005_evidence
"""

from __future__ import annotations

from alembic import op

revision = "0006_cases_martyr_hometown"
down_revision = "0006_gis_zones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_martyrs_hometown_division_code", "martyrs", ["hometown_division_code"])


def downgrade() -> None:
    op.drop_index("ix_martyrs_hometown_division_code", table_name="martyrs")
