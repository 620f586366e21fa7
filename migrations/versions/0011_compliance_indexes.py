"""Indexes for a division's compliance (a province's report from the indexes, not 14,000 rows one by one).

* ``ix_inspections_level_period_division`` (level, period, division_code):
  a division's patrols of a few months, one index range per month (the
  query lists the months); on PostgreSQL it includes the facility, the time
  and the unverified reason, so compliance reads the index alone.
* ``ix_facilities_division_code`` keeps its key and, on PostgreSQL, includes
  the columns compliance reads (id, status, interval, kind, registration time).
* ``ix_facilities_updated_at``: the latest change to any facility, read at
  each division report to tell whether the one kept still holds.

Revision ID: 0011_compliance_indexes
Revises: 0010_jobs
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011_compliance_indexes"
down_revision = "0010_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inspections_level_period_division", "inspections", ["level", "period", "division_code"],
                    postgresql_include=["facility_id", "performed_at", "unverified_reason"])
    op.create_index("ix_facilities_updated_at", "facilities", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_facilities_division_code", table_name="facilities")
        op.create_index("ix_facilities_division_code", "facilities", ["division_code"],
                        postgresql_include=["id", "status", "patrol_interval_days", "kind", "created_at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_facilities_division_code", table_name="facilities")
        op.create_index("ix_facilities_division_code", "facilities", ["division_code"])
    op.drop_index("ix_facilities_updated_at", table_name="facilities")
    op.drop_index("ix_inspections_level_period_division", table_name="inspections")
