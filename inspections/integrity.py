"""What ``memorials fsck`` checks in the patrols: each inspection has the photos it counts."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.models import Attachment
from inspections.models import DEFECT_OWNER_TYPE, OWNER_TYPE, Defect, Inspection
from memorials.integrity import Finding


def photo_counts(session: Session) -> Iterator[Finding]:
    """Inspections whose ``photo_count`` or ``verified_count`` differ from their attachment rows;
    defects closed by an "after" photo that have none."""
    rows = (select(Attachment.owner_id.label("id"), func.count().label("photos"),
                   func.count().filter(Attachment.verification == "verified").label("verified"))
            .where(Attachment.owner_type == OWNER_TYPE, Attachment.kind == "photo")
            .group_by(Attachment.owner_id).subquery())
    stmt = (select(Inspection.id, Inspection.photo_count, Inspection.verified_count,
                   func.coalesce(rows.c.photos, 0), func.coalesce(rows.c.verified, 0))
            .outerjoin(rows, rows.c.id == Inspection.id)
            .where((Inspection.photo_count != func.coalesce(rows.c.photos, 0))
                   | (Inspection.verified_count != func.coalesce(rows.c.verified, 0)))
            .order_by(Inspection.id))
    for ident, claimed, verified, photos, proven in session.execute(stmt):
        yield Finding("photo_count", "inspection", str(ident),
                      f"counts {claimed} photos ({verified} verified) but has {photos} ({proven} verified)")
    after = select(Attachment.owner_id).where(Attachment.owner_type == DEFECT_OWNER_TYPE)
    for ident in session.scalars(select(Defect.id).where(Defect.resolution_kind == "photo", Defect.id.not_in(after))
                                 .order_by(Defect.id)):
        yield Finding("photo_count", "defect", str(ident), "closed by an after photo but has none")
