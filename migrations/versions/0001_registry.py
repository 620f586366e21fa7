"""Registry core: divisions, facilities with a spatial index, martyrs, burials, relatives, audit.

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None

KINDS = ("cemetery", "central_burial_area", "scattered_grave", "monument", "memorial_hall",
         "columbarium", "name_wall", "statue", "memorial_square", "other")
LEVELS = ("national", "provincial", "municipal", "county", "unrated")
STATUSES = ("in_use", "under_repair", "relocated", "removed")
GENDERS = ("male", "female", "unknown")
DIVISION_LEVELS = ("province", "city", "county", "township", "village")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "divisions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("parent_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("boundary", sa.JSON(), nullable=True),
        sa.CheckConstraint(_in("level", DIVISION_LEVELS), name="level"),
    )
    op.create_index("ix_divisions_parent_code", "divisions", ["parent_code"])

    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("protection_level", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
        sa.Column("address", sa.String(400), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("custodian", sa.String(200), nullable=False),
        sa.Column("custodian_person", sa.String(100), nullable=False),
        sa.Column("patrol_interval_days", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("relocated_to_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=True),
        *_timestamps(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("protection_level", LEVELS), name="protection_level"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180 AND latitude BETWEEN -90 AND 90", name="lonlat"),
        sa.CheckConstraint("patrol_interval_days > 0", name="patrol_interval"),
    )
    op.create_index("ix_facilities_name_key", "facilities", ["name_key"])
    op.create_index("ix_facilities_kind", "facilities", ["kind"])
    op.create_index("ix_facilities_division_code", "facilities", ["division_code"])

    if dialect == "postgresql":
        # Kept by the database from longitude/latitude: geometry for boxes,
        # geography for metres and nearest-K, each on a GiST index.
        op.execute(
            "ALTER TABLE facilities ADD COLUMN geom geometry(Point, 4326) "
            "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED"
        )
        op.execute(
            "ALTER TABLE facilities ADD COLUMN geog geography(Point, 4326) "
            "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED"
        )
        op.execute("CREATE INDEX ix_facilities_geom ON facilities USING gist (geom)")
        op.execute("CREATE INDEX ix_facilities_geog ON facilities USING gist (geog)")
    else:
        # SQLite: an R*Tree kept in step by triggers.
        op.execute("CREATE VIRTUAL TABLE facility_rtree USING rtree(id, min_x, max_x, min_y, max_y)")
        op.execute(
            "CREATE TRIGGER facilities_rtree_insert AFTER INSERT ON facilities BEGIN "
            "INSERT INTO facility_rtree VALUES (new.id, new.longitude, new.longitude, new.latitude, new.latitude); END"
        )
        op.execute(
            "CREATE TRIGGER facilities_rtree_update AFTER UPDATE OF longitude, latitude ON facilities BEGIN "
            "UPDATE facility_rtree SET min_x = new.longitude, max_x = new.longitude, "
            "min_y = new.latitude, max_y = new.latitude WHERE id = new.id; END"
        )
        op.execute(
            "CREATE TRIGGER facilities_rtree_delete AFTER DELETE ON facilities BEGIN "
            "DELETE FROM facility_rtree WHERE id = old.id; END"
        )

    op.create_table(
        "martyrs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_variants", sa.JSON(), nullable=False),
        sa.Column("name_key", sa.String(600), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("ethnicity", sa.String(20), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("death_date", sa.String(10), nullable=True),
        sa.Column("hometown", sa.String(200), nullable=False),
        sa.Column("hometown_division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("rank", sa.String(100), nullable=False),
        sa.Column("place_of_death", sa.String(200), nullable=False),
        sa.Column("battle", sa.String(200), nullable=False),
        sa.Column("certificate_no", sa.String(60), nullable=True, unique=True),
        sa.Column("biography", sa.Text(), nullable=False),
        sa.Column("division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
        *_timestamps(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("gender", GENDERS), name="gender"),
    )
    op.create_index("ix_martyrs_name_key", "martyrs", ["name_key"])
    op.create_index("ix_martyrs_division_code", "martyrs", ["division_code"])

    op.create_table(
        "burials",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("martyr_id", sa.Integer(), sa.ForeignKey("martyrs.id"), nullable=False),
        sa.Column("plot", sa.String(60), nullable=False),
        sa.Column("since", sa.String(10), nullable=True),
        sa.Column("until", sa.String(10), nullable=True),
        sa.Column("note", sa.String(400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_burials_facility_id", "burials", ["facility_id"])
    op.create_index("ix_burials_martyr_id", "burials", ["martyr_id"])
    op.create_index(
        "uq_burials_current_martyr", "burials", ["martyr_id"], unique=True,
        sqlite_where=sa.text("until IS NULL"), postgresql_where=sa.text("until IS NULL"),
    )

    op.create_table(
        "relatives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("martyr_id", sa.Integer(), sa.ForeignKey("martyrs.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("relation", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("id_number", sa.String(40), nullable=False),
        sa.Column("address", sa.String(400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_relatives_martyr_id", "relatives", ["martyr_id"])

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(60), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_index("ix_audit_entries_entity", "audit_entries", ["entity", "entity_id"])


def downgrade() -> None:
    for table in ("audit_entries", "relatives", "burials", "martyrs"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS facility_rtree")
    op.drop_table("facilities")
    op.drop_table("divisions")
