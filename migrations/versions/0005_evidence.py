"""Photos become ``evidence`` attachments: ``inspection_photos`` rows move into ``attachments``.

Every inspection photo becomes an attachment of owner ``("inspection", id)``
with its order, facts and location proof unchanged; the photo files stay
where they are (keys are by content). Downgrade moves them back, and refuses
while attachments exist that ``inspection_photos`` cannot hold (documents,
other owners): nothing is lost either way.

Revision ID: 0005_evidence
Revises: 0004_photo_reuse
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_evidence"
down_revision = "0004_photo_reuse"
branch_labels = None
depends_on = None

VERIFICATIONS = "verification IN ('verified', 'far', 'no_gps', 'reused')"
# Columns both tables share, in the same meaning.
SHARED = ("position", "sha256", "filename", "format", "size_bytes", "width", "height", "taken_at", "gps_longitude",
          "gps_latitude", "distance_m", "verification", "device_longitude", "device_latitude", "device_gap_m",
          "gap_flagged")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_type", sa.String(30), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        _ts("taken_at", nullable=True),
        sa.Column("gps_longitude", sa.Float(), nullable=True),
        sa.Column("gps_latitude", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("verification", sa.String(10), nullable=True),
        sa.Column("device_longitude", sa.Float(), nullable=True),
        sa.Column("device_latitude", sa.Float(), nullable=True),
        sa.Column("device_gap_m", sa.Float(), nullable=True),
        sa.Column("gap_flagged", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint("kind IN ('photo', 'document')", name="kind"),
        sa.CheckConstraint(VERIFICATIONS, name="verification"),
        sa.CheckConstraint("kind = 'photo' OR verification IS NULL", name="proof_of_photos"),
        sa.UniqueConstraint("owner_type", "owner_id", "position", name="uq_attachments_owner_position"),
    )
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])
    columns = ", ".join(SHARED)
    photo_columns = ", ".join(f"p.{c}" for c in SHARED)
    op.execute(
        f"INSERT INTO attachments (owner_type, owner_id, kind, created_at, {columns}) "
        f"SELECT 'inspection', p.inspection_id, 'photo', i.created_at, {photo_columns} "
        "FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id ORDER BY p.id"
    )
    op.drop_index("ix_inspection_photos_sha256", table_name="inspection_photos")
    op.drop_index("ix_inspection_photos_inspection_id", table_name="inspection_photos")
    op.drop_table("inspection_photos")


def downgrade() -> None:
    others = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM attachments WHERE owner_type <> 'inspection' OR kind <> 'photo'"
    )).scalar_one()
    if others:
        raise RuntimeError(f"{others} attachments are not inspection photos and inspection_photos cannot hold "
                           "them: move or remove them before downgrading below 0005_evidence")
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
        sa.CheckConstraint(VERIFICATIONS, name="verification"),
    )
    op.create_index("ix_inspection_photos_inspection_id", "inspection_photos", ["inspection_id"])
    op.create_index("ix_inspection_photos_sha256", "inspection_photos", ["sha256"])
    columns = ", ".join(SHARED)
    # Inspection photos always carry their size and proof; NULL would only come from elsewhere.
    values = ", ".join({"width": "COALESCE(width, 0)", "height": "COALESCE(height, 0)",
                        "verification": "COALESCE(verification, 'no_gps')"}.get(c, c) for c in SHARED)
    op.execute(
        f"INSERT INTO inspection_photos (inspection_id, {columns}) "
        f"SELECT owner_id, {values} FROM attachments ORDER BY id"
    )
    op.drop_index("ix_attachments_sha256", table_name="attachments")
    op.drop_table("attachments")
