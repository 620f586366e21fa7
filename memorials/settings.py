"""Typed settings, read from ``MEMORIALS_*`` environment variables.

Nothing is built at import time: the app factory and the CLI create a
``Settings`` and hand it down; tests build their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TileProvider = Literal["osm", "tianditu", "gaode", "custom", "none"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEMORIALS_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite at ``<data_dir>/memorials.db``."""

    tiles: TileProvider = "osm"
    tianditu_key: str = ""
    tiles_url: str = ""
    """With ``tiles=custom``: the intranet tile server's URL template (``{z}``, ``{x}``, ``{y}``, optional ``{s}``)."""
    tiles_attribution: str = ""
    """With ``tiles=custom``: the attribution shown on the map (e.g. 审图号 and the map's owner)."""
    tiles_crs: Literal["wgs84", "gcj02"] = "wgs84"
    """With ``tiles=custom``: gcj02 when the server draws in GCJ-02 (points and shapes are shifted)."""
    base_maps: list[TileProvider] = []
    """Further base maps the planner's map offers beside ``tiles`` (JSON list); each widens the image CSP."""

    host: str = "127.0.0.1"
    port: int = 8000

    token_ttl_minutes: int = Field(default=12 * 60, ge=5)
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    login_rate_per_address: int = Field(default=30, ge=1)
    """Sign-in attempts allowed from one client address per minute (429 beyond)."""
    login_rate_per_username: int = Field(default=10, ge=1)
    """Sign-in attempts allowed for one username per minute (429 beyond)."""
    tribute_flowers_per_minute: int = Field(default=20, ge=1)
    """Flowers one client address may lay per minute on the public tribute pages (429 beyond)."""
    tribute_messages_per_hour: int = Field(default=5, ge=1)
    """Messages one client address may leave per hour (429 beyond)."""
    tribute_requests_per_hour: int = Field(default=3, ge=1)
    """Proxy-visit requests one client address may send per hour through the public form (429 beyond)."""
    tribute_blocked_words: list[str] = []
    """Words refused in tribute messages, beside the built-in list (JSON list)."""
    login_hash_concurrency: int = Field(default=2, ge=1)
    """Passwords hashed at once (Argon2 takes ~0.2 s of a core each)."""
    cookie_secure: bool = False

    time_zone: str = "Asia/Shanghai"
    """The bureau's time zone (IANA name): months of patrols, today's date for deadlines."""

    worker_threads: int = Field(default=40, ge=4, le=1000)
    """Threads that run request handlers; each database pool is sized to match."""
    db_max_connections: int | None = Field(default=None, ge=1, le=1000)
    """PostgreSQL connections one server process may hold at once (default: worker_threads + 10). With
    several processes (``memorials serve --workers N``) keep N × this under the server's max_connections."""

    photo_dir: Path | None = None
    photo_store: Literal["disk", "s3"] = "disk"
    """Where photos and documents live: files under ``photo_dir``, or an S3-compatible bucket."""
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    """e.g. ``http://minio.intranet:9000``; empty: the cloud provider's default endpoint."""
    s3_prefix: str = ""
    s3_region: str = ""
    """Where photos (originals and display sizes) and documents live; default ``<data_dir>/photos``."""
    max_photo_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_photo_pixels: int = Field(default=60_000_000, ge=1_000_000)
    max_document_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    """Largest PDF document accepted (signed consents, approval scans)."""
    max_request_bytes: int = Field(default=160 * 1024 * 1024, ge=1024)
    max_photos_per_inspection: int = Field(default=12, ge=1)
    photo_verify_radius_m: float = Field(default=200.0, gt=0)
    position_gap_flag_m: float = Field(default=500.0, gt=0)
    photo_required_levels: list[str] = ["patrol"]
    """Inspection levels refused without any photo (JSON list, e.g. ``["patrol", "county_check"]``)."""
    max_position_accuracy_m: float = Field(default=100.0, gt=0)
    """A phone position less accurate than this is refused unless the inspector confirms it."""
    max_report_months: int = Field(default=36, ge=1, le=1200)
    """Longest span of months a compliance report or patrol ledger may cover (422 beyond)."""

    job_threshold_rows: int = Field(default=50_000, ge=0)
    """A ledger or export of more rows than this (facilities × months for a patrol ledger, facilities or martyrs
    for a list) is made as a background job with a progress page instead of inside the request; 0: always."""
    job_workers: int = Field(default=1, ge=0, le=8)
    """Threads of each server process that run background jobs (0: this process runs none)."""
    job_dir: Path | None = None
    """Where finished jobs' files are kept for download; default ``<data_dir>/jobs``."""
    job_poll_seconds: float = Field(default=2.0, gt=0)
    """How often an idle worker looks for a job queued by another process."""
    job_stale_seconds: int = Field(default=120, ge=5)
    """A running job whose process has not reported for this long is taken up again by another."""
    job_max_attempts: int = Field(default=3, ge=1)
    """Times a job is started before it is marked failed (a job that kills its process each time)."""

    @model_validator(mode="after")
    def _bucket_named(self) -> Settings:
        if self.photo_store == "s3" and not self.s3_bucket:
            raise ValueError("MEMORIALS_S3_BUCKET is required with MEMORIALS_PHOTO_STORE=s3")
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'memorials.db').as_posix()}"

    def resolved_job_dir(self) -> Path:
        return self.job_dir if self.job_dir is not None else self.data_dir / "jobs"

    def resolved_photo_dir(self) -> Path:
        return self.photo_dir if self.photo_dir is not None else self.data_dir / "photos"
