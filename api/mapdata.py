"""Query results shaped for maps: the bridge between the registry and ``maps``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from maps.facilities import FacilityMarker
from memorials.actors import Actor
from memorials.facilities import FacilityQuery, map_rows, martyr_names_by_facility
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

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
    return [
        FacilityMarker(
            id=r.id, name=r.name, kind=r.kind, kind_label=KIND_LABELS[r.kind],
            level_label=LEVEL_LABELS[r.protection_level],
            status_label="" if r.status == "in_use" else STATUS_LABELS[r.status],
            longitude=r.longitude, latitude=r.latitude,
            martyrs=tuple(names.get(r.id, ())) if embed else None,
        )
        for r in rows
    ]
