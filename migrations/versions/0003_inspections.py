"""Inspections with photos and defects, interval rules, idempotency records.

Revision ID: 0003_inspections
Revises: 0002_accounts
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_inspections"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

LEVELS = ("patrol", "county_check", "city_spot_check")
GRADES = ("good", "fair", "poor", "critical")
CATEGORIES = ("structure_damage", "leaning", "illegible_inscription", "vegetation", "water", "encroachment",
              "safety_hazard", "six_ones_missing", "other")
SEVERITIES = ("low", "medium", "high", "critical")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("inspector_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("inspector_name", sa.String(100), nullable=False),
        _ts("performed_at"),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("grade", sa.String(10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("position_longitude", sa.Float(), nullable=True),
        sa.Column("position_latitude", sa.Float(), nullable=True),
        sa.Column("position_crs", sa.String(10), nullable=True),
        sa.Column("position_accuracy_m", sa.Float(), nullable=True),
        sa.Column("position_distance_m", sa.Float(), nullable=True),
        sa.Column("photo_count", sa.Integer(), nullable=False),
        sa.Column("verified_count", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(_in("level", LEVELS), name="level"),
        sa.CheckConstraint(_in("grade", GRADES), name="grade"),
        sa.UniqueConstraint("inspector_id", "idempotency_key", name="uq_inspections_inspector_key"),
    )
    op.create_index("ix_inspections_facility_period", "inspections", ["facility_id", "period"])
    op.create_index("ix_inspections_division_code", "inspections", ["division_code"])
    op.create_index("ix_inspections_inspector_id", "inspections", ["inspector_id"])
    op.create_index("ix_inspections_performed_at", "inspections", ["performed_at"])
    op.create_index("ix_inspections_period", "inspections", ["period"])

    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("inspection_id", sa.Integer(), sa.ForeignKey("inspections.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        _ts("taken_at", nullable=True),
        sa.Column("gps_longitude", sa.Float(), nullable=True),
        sa.Column("gps_latitude", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("verification", sa.String(10), nullable=False),
        sa.Column("device_longitude", sa.Float(), nullable=True),
        sa.Column("device_latitude", sa.Float(), nullable=True),
        sa.Column("device_gap_m", sa.Float(), nullable=True),
        sa.Column("gap_flagged", sa.Boolean(), nullable=False),
        sa.CheckConstraint("verification IN ('verified', 'far', 'no_gps')", name="verification"),
    )
    op.create_index("ix_inspection_photos_inspection_id", "inspection_photos", ["inspection_id"])
    op.create_index("ix_inspection_photos_sha256", "inspection_photos", ["sha256"])

    op.create_table(
        "defects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), sa.ForeignKey("inspections.id"), nullable=False),
        sa.Column("item", sa.String(30), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("responsible_person", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _ts("resolved_at", nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), sa.ForeignKey("inspections.id"), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint(_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="status"),
    )
    op.create_index("ix_defects_facility_status", "defects", ["facility_id", "status"])
    op.create_index("ix_defects_division_code", "defects", ["division_code"])
    op.create_index("ix_defects_opened_by_id", "defects", ["opened_by_id"])

    op.create_table(
        "interval_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(30), nullable=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint(_in("level", LEVELS), name="level"),
        sa.CheckConstraint("days > 0", name="days"),
        sa.CheckConstraint("(kind IS NULL) <> (facility_id IS NULL)", name="target"),
    )
    op.create_index("uq_interval_rules_kind", "interval_rules", ["level", "kind"], unique=True,
                    sqlite_where=sa.text("kind IS NOT NULL"), postgresql_where=sa.text("kind IS NOT NULL"))
    op.create_index("uq_interval_rules_facility", "interval_rules", ["level", "facility_id"], unique=True,
                    sqlite_where=sa.text("facility_id IS NOT NULL"),
                    postgresql_where=sa.text("facility_id IS NOT NULL"))

    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),
    )


def downgrade() -> None:
    for table in ("idempotency_records", "interval_rules", "defects", "inspection_photos", "inspections"):
        op.drop_table(table)
