"""Commemoration: events, stops, groups, slots, bookings, proxy visits, trips, tribute pages and messages.

Revision ID: commemoration_0001
Revises: 0005_evidence
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "commemoration_0001"
down_revision = "0005_evidence"
branch_labels = ("commemoration",)
depends_on = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=nullable)


def _fk(name: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable)


def _created(table: str) -> list:
    return [_fk("created_by_id", "users.id", nullable=True), _str("idempotency_key", 200, nullable=True),
            sa.UniqueConstraint("created_by_id", "idempotency_key", name=f"uq_{table}_creator_key")]


def upgrade() -> None:
    op.create_table(
        "commemoration_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _str("name", 200), _str("kind", 20), sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False), _str("organiser", 200), _str("division_code", 12),
        _str("status", 20), sa.Column("readiness_days", sa.Integer(), nullable=False), _str("notes"),
        *_created("commemoration_events"), _ts("created_at"), _ts("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("kind", ("qingming", "anniversary", "cross_region_visit", "other")), name="kind"),
        sa.CheckConstraint(_in("status", ("planned", "held", "cancelled")), name="status"),
        sa.CheckConstraint("end_date >= date", name="span"),
        sa.CheckConstraint("readiness_days BETWEEN 1 AND 365", name="readiness_days"),
    )
    for column in ("kind", "date", "division_code"):
        op.create_index(f"ix_commemoration_events_{column}", "commemoration_events", [column])

    op.create_table(
        "commemoration_event_stops",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("commemoration_events.id"), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facilities.id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("minutes_on_site", sa.Integer(), nullable=False),
    )
    op.create_index("ix_commemoration_event_stops_facility_id", "commemoration_event_stops", ["facility_id"])

    op.create_table(
        "commemoration_event_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("event_id", "commemoration_events.id"), _str("kind", 20), _str("name", 200),
        sa.Column("headcount", sa.Integer(), nullable=False), _str("contact_name", 100), _str("contact_phone", 40),
        sa.CheckConstraint(_in("kind", ("school", "unit", "families", "public")), name="kind"),
        sa.CheckConstraint("headcount > 0", name="headcount"),
    )
    op.create_index("ix_commemoration_event_groups_event_id", "commemoration_event_groups", ["event_id"])

    op.create_table(
        "commemoration_slots",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("event_id", "commemoration_events.id"), _fk("facility_id", "facilities.id"),
        sa.Column("date", sa.Date(), nullable=False), sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False), sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
        sa.CheckConstraint("end_time > start_time", name="span"),
        sa.UniqueConstraint("event_id", "facility_id", "date", "start_time", name="uq_commemoration_slots_start"),
    )
    op.create_index("ix_commemoration_slots_event_id", "commemoration_slots", ["event_id"])
    op.create_index("ix_commemoration_slots_facility_id", "commemoration_slots", ["facility_id"])

    op.create_table(
        "commemoration_bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("slot_id", "commemoration_slots.id"), _str("group_name", 200),
        sa.Column("people", sa.Integer(), nullable=False), _str("contact_name", 100), _str("contact_phone", 40),
        _str("status", 20), *_created("commemoration_bookings"), _ts("created_at"), _ts("cancelled_at", True),
        _str("cancel_reason", 200),
        sa.CheckConstraint(_in("status", ("booked", "cancelled")), name="status"),
        sa.CheckConstraint("people > 0", name="people"),
    )
    op.create_index("ix_commemoration_bookings_slot_id", "commemoration_bookings", ["slot_id"])

    op.create_table(
        "commemoration_proxy_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("martyr_id", "martyrs.id"), _fk("facility_id", "facilities.id"), _str("division_code", 12),
        _str("requester_name", 100), _str("requester_phone", 40), _str("relation", 40), _str("message"),
        _str("status", 20), _str("source", 20), _fk("assignee_id", "users.id", nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=True), sa.Column("acts", sa.JSON(), nullable=False),
        _str("call_note"), _str("decline_reason"), _str("token_hash", 64, nullable=True),
        _ts("token_expires_at", True), _ts("created_at"), _ts("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("status", ("requested", "assigned", "visited", "notified", "declined")),
                           name="status"),
        sa.UniqueConstraint("token_hash", name="uq_commemoration_proxy_visits_token_hash"),
    )
    for column in ("martyr_id", "facility_id", "division_code", "status"):
        op.create_index(f"ix_commemoration_proxy_visits_{column}", "commemoration_proxy_visits", [column])

    op.create_table(
        "commemoration_trips",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("event_id", "commemoration_events.id", nullable=True), _str("division_code", 12),
        _fk("martyr_id", "martyrs.id", nullable=True), _str("martyr_name", 100),
        _fk("destination_facility_id", "facilities.id", nullable=True), _str("destination_name", 200),
        _str("destination_place", 300), _str("receiving_bureau", 200), _str("receiving_division_code", 12),
        _str("receiving_contact", 200), sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("depart_on", sa.Date(), nullable=False), sa.Column("return_on", sa.Date(), nullable=False),
        _str("status", 20), _str("outcome"), _str("issuing_bureau", 200), _str("letter_no", 60),
        sa.Column("issued_on", sa.Date(), nullable=False),
        *_created("commemoration_trips"), _ts("created_at"), _ts("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("status", ("planned", "completed", "cancelled")), name="status"),
        sa.CheckConstraint("return_on >= depart_on", name="span"),
        sa.UniqueConstraint("division_code", "letter_no", name="uq_commemoration_trips_letter_no"),
    )
    for column in ("event_id", "division_code", "martyr_id"):
        op.create_index(f"ix_commemoration_trips_{column}", "commemoration_trips", [column])

    op.create_table(
        "tribute_pages",
        sa.Column("martyr_id", sa.Integer(), sa.ForeignKey("martyrs.id"), primary_key=True),
        sa.Column("public", sa.Boolean(), nullable=False), _str("initials", 40),
        sa.Column("flowers", sa.Integer(), nullable=False), _ts("updated_at"),
    )
    op.create_index("ix_tribute_pages_public", "tribute_pages", ["public"])
    op.create_index("ix_tribute_pages_initials", "tribute_pages", ["initials"])

    op.create_table(
        "tribute_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("martyr_id", "martyrs.id"), _str("division_code", 12), _str("text"), _str("author", 40),
        _str("status", 20), _str("client", 64), _ts("created_at"),
        _fk("moderated_by_id", "users.id", nullable=True), _ts("moderated_at", True),
        sa.CheckConstraint(_in("status", ("pending", "approved", "rejected")), name="status"),
    )
    for column in ("martyr_id", "division_code", "status"):
        op.create_index(f"ix_tribute_messages_{column}", "tribute_messages", [column])


def downgrade() -> None:
    for table in ("tribute_messages", "tribute_pages", "commemoration_trips", "commemoration_proxy_visits",
                  "commemoration_bookings", "commemoration_slots", "commemoration_event_groups",
                  "commemoration_event_stops", "commemoration_events"):
        op.drop_table(table)
