"""Query results shaped for maps: the bridge between the registry and ``maps``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inspections.checklist import GRADE_LABELS
from inspections.compliance import LastVisit, last_visits, overdue_days
from maps.facilities import FacilityMarker
from memorials import clock
from memorials.actors import Actor
from memorials.facilities import FacilityQuery, map_rows, martyr_names_by_facility
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STANDING_STATUSES, STATUS_LABELS

MAP_LIMIT = 200_000
EMBED_NAMES_UP_TO = 5_000
"""Maps with more facilities fetch who lies there when a popup opens."""


def facility_markers(
    *, session: Session, actor: Actor, query: FacilityQuery, embed_names_up_to: int | None = EMBED_NAMES_UP_TO
) -> list[FacilityMarker]:
    """Markers for every facility matching ``query`` (up to ``MAP_LIMIT``).

    Who lies in each facility is embedded when there are at most
    ``embed_names_up_to`` facilities (None: always, for standalone files).
    """
    rows = map_rows(session=session, query=query, actor=actor, limit=MAP_LIMIT)
    embed = embed_names_up_to is None or len(rows) <= embed_names_up_to
    names = martyr_names_by_facility(session=session, facility_ids=[r.id for r in rows]) if embed else {}
    visits = last_visits(session=session, actor=actor)
    today = clock.today()
    return [
        FacilityMarker(
            id=r.id, name=r.name, kind=r.kind, kind_label=KIND_LABELS[r.kind],
            level_label=LEVEL_LABELS[r.protection_level],
            status_label="" if r.status == "in_use" else STATUS_LABELS[r.status],
            longitude=r.longitude, latitude=r.latitude,
            martyrs=tuple(names.get(r.id, ())) if embed else None,
            **patrol_line(visits.get(r.id), r.patrol_interval_days, r.status, today=today),
        )
        for r in rows
    ]


def patrol_line(visit: LastVisit | None, interval_days: int, status: str, *, today) -> dict:  # type: ignore[no-untyped-def]
    """The popup's line about patrols: the last one's date and grade, and whether the next is overdue."""
    standing = status in STANDING_STATUSES
    if visit is None:
        return {"patrol_text": "从未巡查" + (f"（应每 {interval_days} 天巡查一次）" if standing else ""),
                "overdue": standing}
    late = overdue_days(visit.day, interval_days, today=today) if standing else 0
    text = f"最近巡查：{visit.day.isoformat()}，状况{GRADE_LABELS.get(visit.grade, visit.grade)}"
    text += f"；已逾期 {late} 天未巡查" if late else ("；未逾期" if standing else "")
    return {"patrol_text": text, "overdue": bool(late)}
