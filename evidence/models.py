"""The attachment table: one photo or document, attached to one owner.

The owner is named by ``owner_type`` and ``owner_id``: ``("inspection", 17)``
today; a repair project, a relocation case's document (signed consent,
approval scan) or a proxy visit tomorrow. Each domain package registers the
owner types it uses and says who may see them (:mod:`evidence.owners`);
``evidence`` itself knows no owner, and no foreign key can name "any
owner", so the owning package writes and reads its rows by type and id.

Where the inspection-specific facts live. The location proof (distance to
the facility, ``verification`` including ``reused``, the phone's own
position and its gap) is on the attachment row, in nullable columns,
rather than on an inspection link table:

* it is evidence's own work (:mod:`evidence.location`) and not the
  inspection's: a proxy visitor's photo of a grave and a repair's before
  and after photos prove presence at a facility in the same way, so the
  columns serve several owners;
* DESIGN's Photo is one noun holding "distance to the facility, whether the
  location is verified"; a link table would split it in two and every list
  of photos would need a join, while the order within the owner
  (``position``) already belongs to the attachment;
* the columns are ``NULL`` where nothing was proven: documents always (a
  CHECK says so), and photos whose owner has no place to prove.

Which proof counts as reused is the owner's rule (an inspection's photo was
used for an earlier inspection of the same facility): the owner queries
these columns (``inspections.service``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence.location import Verification
from memorials.db import Base, one_of
from memorials.models import utcnow


class Kind(StrEnum):
    """What an attachment is: a photo (with display sizes) or a document (PDF, original only)."""

    photo = "photo"
    document = "document"


SYNTHETIC_PREFIX = "synthetic/"
"""How the photo rows of a synthetic registry (``memorials demo --synthetic``) start their filename: their
sha256 is random and no file exists for them, by design; ``memorials fsck`` counts them apart."""

MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic", "PDF": "application/pdf"}


class Attachment(Base):
    """A photo or document of one owner, and what it proves about where and when."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(one_of("kind", Kind), name="kind"),
        CheckConstraint(one_of("verification", Verification), name="verification"),
        CheckConstraint("kind = 'photo' OR verification IS NULL", name="proof_of_photos"),
        UniqueConstraint("owner_type", "owner_id", "position", name="uq_attachments_owner_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(30))
    """The owner's kind as its domain package registered it: ``inspection``, …"""
    owner_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    """Order within the owner."""
    kind: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(10))
    """``JPEG``, ``PNG``, ``HEIF`` or ``PDF``, from the content."""
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    """As displayed (after the EXIF orientation); ``None`` for documents."""
    pages: Mapped[int | None] = mapped_column(Integer)
    """Pages of a document; ``None`` for photos."""
    taken_at: Mapped[datetime | None] = mapped_column()
    gps_longitude: Mapped[float | None] = mapped_column(Float)
    gps_latitude: Mapped[float | None] = mapped_column(Float)
    """Where the photo's EXIF says it was taken (WGS84)."""
    distance_m: Mapped[float | None] = mapped_column(Float)
    """Location proof: from the photo's GPS position to the facility."""
    verification: Mapped[str | None] = mapped_column(String(10))
    """``verified``, ``far``, ``no_gps`` or ``reused`` (see :mod:`evidence.location`); ``None``: nothing proven."""
    device_longitude: Mapped[float | None] = mapped_column(Float)
    device_latitude: Mapped[float | None] = mapped_column(Float)
    """The phone's own position when the photo was taken (WGS84), as the page sent it."""
    device_gap_m: Mapped[float | None] = mapped_column(Float)
    """Between the photo's GPS and the phone's position; large gaps are flagged."""
    gap_flagged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format, "application/octet-stream")


def has_files() -> ColumnElement[bool]:
    """Attachment rows whose bytes should be in the store: all but a synthetic registry's photo rows."""
    return Attachment.filename.not_like(f"{SYNTHETIC_PREFIX}%")
