"""Tables of the registry core: divisions, facilities, martyrs, burials, relatives.

Points are stored as WGS84 longitude/latitude columns on both backends. The
spatial index lives beside them and is kept by the database itself: an
R*Tree table filled by triggers on SQLite, generated ``geometry`` and
``geography`` columns with GiST indexes on PostGIS (see the migrations and
``memorials.spatial``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from memorials.db import Base, one_of
from memorials.permissions import Role
from memorials.vocab import (
    DivisionLevel,
    FacilityKind,
    FacilityStatus,
    Gender,
    ProtectionLevel,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Division(Base):
    """An administrative division (GB/T 2260 and the statistical codes below it)."""

    __tablename__ = "divisions"
    __table_args__ = (CheckConstraint(one_of("level", DivisionLevel), name="level"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[dict | None] = mapped_column(JSON)
    """Optional GeoJSON polygon, WGS84."""


class Facility(Base):
    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint(one_of("kind", FacilityKind), name="kind"),
        CheckConstraint(one_of("protection_level", ProtectionLevel), name="protection_level"),
        CheckConstraint(one_of("status", FacilityStatus), name="status"),
        CheckConstraint("longitude BETWEEN -180 AND 180 AND latitude BETWEEN -90 AND 90", name="lonlat"),
        CheckConstraint("patrol_interval_days > 0", name="patrol_interval"),
        # A division's compliance reads these columns only: on PostgreSQL, from the index alone.
        Index("ix_facilities_division_code", "division_code",
              postgresql_include=["id", "status", "patrol_interval_days", "kind", "created_at"]),
        Index("ix_facilities_updated_at", "updated_at"),  # the latest change: whether a kept report still holds
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    protection_level: Mapped[str] = mapped_column(String(20), default=ProtectionLevel.unrated.value)
    status: Mapped[str] = mapped_column(String(20), default=FacilityStatus.in_use.value)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    address: Mapped[str] = mapped_column(String(400), default="")
    longitude: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float] = mapped_column(Float)
    custodian: Mapped[str] = mapped_column(String(200), default="")
    custodian_person: Mapped[str] = mapped_column(String(100), default="")
    patrol_interval_days: Mapped[int] = mapped_column(Integer, default=30)
    description: Mapped[str] = mapped_column(Text, default="")
    relocated_to_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    footprint: Mapped[str | None] = mapped_column(Text)
    """占地范围: a GeoJSON Polygon/MultiPolygon in WGS84 (indexed: see migration 0006_gis_zones)."""
    protection_zone: Mapped[str | None] = mapped_column(Text)
    """保护范围: a GeoJSON Polygon/MultiPolygon in WGS84."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    division: Mapped[Division] = relationship(lazy="joined", innerjoin=True)
    burials: Mapped[list[Burial]] = relationship(back_populates="facility", order_by="Burial.id")


class Martyr(Base):
    __tablename__ = "martyrs"
    __table_args__ = (CheckConstraint(one_of("gender", Gender), name="gender"),
                      Index("ix_martyrs_name_id", "name", "id"),
                      Index("ix_martyrs_initials_name", "name_initials", "name", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    name_key: Mapped[str] = mapped_column(String(600), index=True)
    """Simplified, lower-case name and variants, ``|``-separated: what ``q`` searches (trigram index on PostGIS)."""
    name_initials: Mapped[str | None] = mapped_column(String(60))
    """Pinyin initials of the name and variants (``zds``), ``|``-separated; None until computed (bulk loads)."""
    gender: Mapped[str] = mapped_column(String(10), default=Gender.unknown.value)
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    birth_date: Mapped[str | None] = mapped_column(String(10))
    death_date: Mapped[str | None] = mapped_column(String(10))
    hometown: Mapped[str] = mapped_column(String(200), default="")
    hometown_division_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    """Indexed: families trace martyrs by hometown (``cases.matching``, the martyr list's filter)."""
    unit: Mapped[str] = mapped_column(String(200), default="")
    rank: Mapped[str] = mapped_column(String(100), default="")
    place_of_death: Mapped[str] = mapped_column(String(200), default="")
    battle: Mapped[str] = mapped_column(String(200), default="")
    certificate_no: Mapped[str | None] = mapped_column(String(60), unique=True)
    biography: Mapped[str] = mapped_column(Text, default="")
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    """The division whose bureau keeps this record (where he lies, or registered him)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    burials: Mapped[list[Burial]] = relationship(back_populates="martyr", order_by="Burial.id")


class Burial(Base):
    """Martyr M lies (or lay) in facility F, plot P, from ``since`` until ``until``.

    A relocation ends one burial and starts another, so history stays. At most
    one burial per martyr is current (``until`` is null).
    """

    __tablename__ = "burials"
    __table_args__ = (
        Index(
            "uq_burials_current_martyr",
            "martyr_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    plot: Mapped[str] = mapped_column(String(60), default="")
    since: Mapped[str | None] = mapped_column(String(10))
    until: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="burials")
    martyr: Mapped[Martyr] = relationship(back_populates="burials")


class Relative(Base):
    """A martyr's relative. Phone, ID number and address are personal data."""

    __tablename__ = "relatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    id_number: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who changed what, when, with the old and new values. Never edited, never deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity_at", "entity", "entity_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)


class User(Base):
    """A person who signs in. Works only on what lies inside ``jurisdiction``."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(20))
    jurisdiction: Mapped[str] = mapped_column(String(12), default="")
    """A division code, or empty for nationwide (only sensible for admins of a national deployment)."""
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuthToken(Base):
    """A bearer token or a page session; only the token's SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    csrf_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked: Mapped[bool] = mapped_column(default=False)


class IdempotencyRecord(Base):
    """The first answer to a request sent with an ``Idempotency-Key``, to give again on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateCounter(Base):
    """Requests counted per key (a client address, a username) in one fixed time window, shared by every server
    process (``memorials.ratelimits``)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The window's number: seconds since the epoch divided by the window's length."""
    hits: Mapped[int] = mapped_column(Integer, default=0)


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Base):
    """A report made in the background (``memorials.jobs``): its request, state, progress and file."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(one_of("state", JobState), name="state"),
                      Index("ix_jobs_state_id", "state", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    """The part of the registry the report covers ('' nationwide): who else may download it."""
    params: Mapped[dict] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    active_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    """``owner:kind:fingerprint`` while queued or running, NULL after: one live job per request."""
    state: Mapped[str] = mapped_column(String(10), default=JobState.queued)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(String(100), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str] = mapped_column(String(200), default="")
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    result_bytes: Mapped[int | None] = mapped_column(Integer)
