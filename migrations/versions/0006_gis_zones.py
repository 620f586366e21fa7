"""Facilities gain a footprint and a protection zone (保护范围): polygons, stored as geometry.

Both are GeoJSON text in WGS84 (the portable form both backends read). On
PostGIS, generated ``geometry`` columns built from that text carry GiST
indexes; on SQLite, an R*Tree of each facility's zone bounding box is kept by
triggers (SQLite's JSON functions read the coordinates), the same pattern as
the point index of 0001.

Revision ID: 0006_gis_zones
Revises: 0005_evidence
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_gis_zones"
down_revision = "0006_repairs_rectification"
branch_labels = None
depends_on = None

ZONES = ("footprint", "protection_zone")

# Bounding box of both polygons: leaves of the coordinate arrays, key 0 = longitude, key 1 = latitude.
_BOX = (
    "SELECT new.id, min(CASE WHEN key = 0 THEN value END), max(CASE WHEN key = 0 THEN value END), "
    "min(CASE WHEN key = 1 THEN value END), max(CASE WHEN key = 1 THEN value END) FROM ("
    "SELECT key, value, type FROM json_tree(new.protection_zone, '$.coordinates') "
    "UNION ALL SELECT key, value, type FROM json_tree(new.footprint, '$.coordinates')) "
    "WHERE type IN ('real', 'integer') HAVING count(*) > 0"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("facilities") as batch:
        for name in ZONES:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    if dialect == "postgresql":
        for name in ZONES:
            op.execute(
                f"ALTER TABLE facilities ADD COLUMN {name}_geom geometry(Geometry, 4326) "
                f"GENERATED ALWAYS AS (ST_SetSRID(ST_GeomFromGeoJSON({name}), 4326)) STORED"
            )
            op.execute(f"CREATE INDEX ix_facilities_{name}_geom ON facilities USING gist ({name}_geom)")
    else:
        op.execute("CREATE VIRTUAL TABLE facility_zone_rtree USING rtree(id, min_x, max_x, min_y, max_y)")
        op.execute(
            "CREATE TRIGGER facilities_zone_rtree_insert AFTER INSERT ON facilities "
            f"WHEN new.protection_zone IS NOT NULL OR new.footprint IS NOT NULL BEGIN "
            f"INSERT INTO facility_zone_rtree {_BOX}; END"
        )
        op.execute(
            "CREATE TRIGGER facilities_zone_rtree_update AFTER UPDATE OF protection_zone, footprint ON facilities "
            "BEGIN DELETE FROM facility_zone_rtree WHERE id = new.id; "
            f"INSERT INTO facility_zone_rtree {_BOX}; END"
        )
        op.execute(
            "CREATE TRIGGER facilities_zone_rtree_delete AFTER DELETE ON facilities BEGIN "
            "DELETE FROM facility_zone_rtree WHERE id = old.id; END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in ZONES:
            op.execute(f"DROP INDEX IF EXISTS ix_facilities_{name}_geom")
            op.execute(f"ALTER TABLE facilities DROP COLUMN IF EXISTS {name}_geom")
    else:
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS facilities_zone_rtree_{trigger}")
        op.execute("DROP TABLE IF EXISTS facility_zone_rtree")
    for name in reversed(ZONES):
        # SQLite (3.35+) drops a column in place: a batch copy would have to drop ``facilities``,
        # which the foreign keys of burials, inspections and attachments forbid.
        op.execute(f"ALTER TABLE facilities DROP COLUMN {name}")
