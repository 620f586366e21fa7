"""Relocation cases and family searches: the ``cases`` package's own tables.

Revision ID: cases_0001
Revises: 0005_evidence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0001"
down_revision = "0005_evidence"
branch_labels = ("cases",)
depends_on = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _text(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "relocation_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        _text("number", 30),
        _text("kind", 20),
        _text("status", 20),
        _ts("status_since"),
        _text("title", 200),
        _text("division_code", 12),
        sa.Column("destination_facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=True),
        sa.Column("receiving_division_code", sa.String(12), nullable=True),
        _text("receiving_bureau", 200),
        _text("receiving_contact", 200),
        _text("receiving_place", 400),
        _text("approval_authority", 200),
        _text("approval_document_no", 100),
        sa.Column("approval_date", sa.String(10), nullable=True),
        sa.Column("exhumed_on", sa.String(10), nullable=True),
        _text("exhumation_present"),
        sa.Column("reburied_on", sa.String(10), nullable=True),
        _text("reburial_present"),
        _text("confirmation_document_no", 100),
        sa.Column("confirmed_on", sa.String(10), nullable=True),
        _text("withdrawn_reason"),
        _text("note"),
        _text("created_by", 100),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("kind IN ('consolidation', 'cross_region')", name="kind"),
        sa.CheckConstraint("status IN ('proposed', 'consulting_family', 'approved', 'exhumed', 'reburied', 'closed', "
                           "'withdrawn')", name="status"),
        sa.UniqueConstraint("number", name="uq_relocation_cases_number"),
    )
    op.create_index("ix_relocation_cases_status", "relocation_cases", ["status"])
    op.create_index("ix_relocation_cases_division_code", "relocation_cases", ["division_code"])
    op.create_index("ix_relocation_cases_receiving_division_code", "relocation_cases", ["receiving_division_code"])
    op.create_table(
        "relocation_case_martyrs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("relocation_cases.id"), nullable=False),
        sa.Column("martyr_id", sa.Integer(), sa.ForeignKey("martyrs.id"), nullable=False),
        sa.Column("origin_burial_id", sa.Integer(), sa.ForeignKey("burials.id"), nullable=False),
        sa.Column("origin_facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        _text("plot", 60),
        sa.Column("shared_grave", sa.Boolean(), nullable=False),
        _text("cemetery_reason"),
        _text("decision", 20),
        _text("decided_by", 100),
        _text("relation", 40),
        sa.Column("decided_on", sa.String(10), nullable=True),
        _text("decision_note"),
        sa.Column("new_burial_id", sa.Integer(), sa.ForeignKey("burials.id"), nullable=True),
        sa.UniqueConstraint("case_id", "martyr_id", name="uq_relocation_case_martyrs_case_martyr"),
        sa.CheckConstraint("decision IN ('agree', 'disagree', 'pending', 'no_family_found')", name="decision"),
    )
    op.create_index("ix_relocation_case_martyrs_case_id", "relocation_case_martyrs", ["case_id"])
    op.create_index("ix_relocation_case_martyrs_martyr_id", "relocation_case_martyrs", ["martyr_id"])
    op.create_table(
        "family_searches",
        sa.Column("id", sa.Integer(), primary_key=True),
        _text("number", 30),
        sa.Column("martyr_id", sa.Integer(), sa.ForeignKey("martyrs.id"), nullable=False),
        _text("division_code", 12),
        _text("status", 20),
        _ts("status_since"),
        sa.Column("clues", sa.JSON(), nullable=False),
        _text("opened_on", 10),
        sa.Column("closed_on", sa.String(10), nullable=True),
        _text("outcome_note"),
        _text("created_by", 100),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("status IN ('open', 'leads', 'verifying', 'found', 'closed_not_found')", name="status"),
        sa.UniqueConstraint("number", name="uq_family_searches_number"),
    )
    op.create_index("ix_family_searches_martyr_id", "family_searches", ["martyr_id"])
    op.create_index("ix_family_searches_division_code", "family_searches", ["division_code"])
    op.create_index("ix_family_searches_status", "family_searches", ["status"])
    op.create_table(
        "family_search_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("search_id", sa.Integer(), sa.ForeignKey("family_searches.id"), nullable=False),
        _text("kind", 20),
        _text("occurred_on", 10),
        _text("source", 200),
        _text("given_by", 100),
        _text("content"),
        sa.Column("method", sa.String(20), nullable=True),
        _text("lab", 200),
        _text("result", 20),
        _ts("created_at"),
        sa.CheckConstraint("kind IN ('lead', 'contact', 'verification')", name="kind"),
        sa.CheckConstraint("method IS NULL OR method IN ('document', 'testimony', 'dna')", name="method"),
    )
    op.create_index("ix_family_search_entries_search_id", "family_search_entries", ["search_id"])


def downgrade() -> None:
    op.drop_table("family_search_entries")
    op.drop_table("family_searches")
    op.drop_table("relocation_case_martyrs")
    op.drop_table("relocation_cases")
