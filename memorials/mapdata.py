"""Query results shaped for maps: the bridge between the registry and ``maps``."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from maps.facilities import FacilityMarker
from memorials.actors import Actor
from memorials.facilities import (
    FacilityQuery,
    list_facilities,
    martyr_names_by_facility,
)
from memorials.models import Facility
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

MAP_LIMIT = 200_000


def marker_of(facility: Facility, *, url: str, martyrs: list[str]) -> FacilityMarker:
    return FacilityMarker(
        id=facility.id,
        name=facility.name,
        kind=facility.kind,
        kind_label=KIND_LABELS[facility.kind],
        level_label=LEVEL_LABELS[facility.protection_level],
        status_label="" if facility.status == "in_use" else STATUS_LABELS[facility.status],
        longitude=facility.longitude,
        latitude=facility.latitude,
        url=url,
        martyrs=tuple(martyrs),
    )


def facility_markers(
    *, session: Session, actor: Actor, query: FacilityQuery, url_for: Callable[[int], str]
) -> list[FacilityMarker]:
    """Markers for every facility matching ``query`` (up to ``MAP_LIMIT``), with who lies there."""
    rows, _ = list_facilities(session=session, query=query, actor=actor, limit=MAP_LIMIT, offset=0)
    ids = [f.id for f, _ in rows]
    names = martyr_names_by_facility(session=session, facility_ids=ids)
    return [marker_of(f, url=url_for(f.id), martyrs=names.get(f.id, [])) for f, _ in rows]
