"""Repair projects: their facilities and defects, budget lines, adjustments, expenditures, evidence.

Amounts are whole fen in BIGINT columns on both backends (``memorials.money``).

Revision ID: repairs_0001
Revises: 0005_evidence
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "repairs_0001"
down_revision = "0005_evidence"
branch_labels = ("repairs",)
depends_on = None

KINDS = ("maintenance", "renovation", "relocation", "upgrade")
SOURCES = ("local", "central", "provincial", "city", "donation")
STATES = ("proposed", "approved", "in_progress", "completed", "cancelled")
PHASES = ("before", "during", "after", "invoice", "acceptance", "approval")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str = "amount") -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "repair_projects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("contractor_name", sa.String(200), nullable=False),
        sa.Column("contractor_credit_code", sa.String(18), nullable=False),
        sa.Column("approval_authority", sa.String(200), nullable=False),
        sa.Column("approval_document_no", sa.String(100), nullable=False),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("acceptance_date", sa.Date(), nullable=True),
        sa.Column("acceptance_by", sa.String(200), nullable=False),
        sa.Column("acceptance_result", sa.Text(), nullable=False),
        sa.Column("acceptance_document_no", sa.String(100), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATES), name="status"),
        sa.CheckConstraint("planned_end >= planned_start", name="planned_span"),
        sa.UniqueConstraint("created_by_id", "idempotency_key", name="uq_repair_projects_creator_key"),
    )
    op.create_index("ix_repair_projects_kind", "repair_projects", ["kind"])
    op.create_index("ix_repair_projects_division_code", "repair_projects", ["division_code"])
    op.create_index("ix_repair_projects_status", "repair_projects", ["status"])

    op.create_table(
        "repair_facilities",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), primary_key=True),
    )
    op.create_index("ix_repair_facilities_facility_id", "repair_facilities", ["facility_id"])

    op.create_table(
        "repair_defects",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), primary_key=True),
        sa.Column("defect_id", sa.Integer(), sa.ForeignKey("defects.id"), primary_key=True),
    )
    op.create_index("ix_repair_defects_defect_id", "repair_defects", ["defect_id"])

    op.create_table(
        "repair_budget_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        _money(),
        sa.Column("document_no", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(_in("source", SOURCES), name="source"),
        sa.CheckConstraint("amount > 0", name="amount"),
    )
    op.create_index("ix_repair_budget_lines_project_id", "repair_budget_lines", ["project_id"])

    op.create_table(
        "repair_adjustments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        _money(),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_no", sa.String(100), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(_in("source", SOURCES), name="source"),
        sa.CheckConstraint("amount > 0", name="amount"),
    )
    op.create_index("ix_repair_adjustments_project_id", "repair_adjustments", ["project_id"])

    op.create_table(
        "repair_expenditures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        _money(),
        sa.Column("payee", sa.String(200), nullable=False),
        sa.Column("invoice_no", sa.String(100), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("amount > 0", name="amount"),
    )
    op.create_index("ix_repair_expenditures_project_id", "repair_expenditures", ["project_id"])
    op.create_index("ix_repair_expenditures_facility_id", "repair_expenditures", ["facility_id"])
    op.create_index("ix_repair_expenditures_paid_on", "repair_expenditures", ["paid_on"])

    op.create_table(
        "repair_evidence",
        sa.Column("attachment_id", sa.Integer(), sa.ForeignKey("attachments.id"), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("repair_projects.id"), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), nullable=True),
        sa.Column("expenditure_id", sa.Integer(), sa.ForeignKey("repair_expenditures.id"), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.CheckConstraint(_in("phase", PHASES), name="phase"),
    )
    op.create_index("ix_repair_evidence_project_id", "repair_evidence", ["project_id"])


def downgrade() -> None:
    for table in ("repair_evidence", "repair_expenditures", "repair_adjustments", "repair_budget_lines",
                  "repair_defects", "repair_facilities", "repair_projects"):
        op.drop_table(table)
