"""GeoJSON shapes of the registry's answers (RFC 7946: WGS84 lon/lat)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memorials.schemas import FacilityOut


def facility_feature(facility: FacilityOut) -> dict[str, Any]:
    props = facility.model_dump(mode="json", exclude={"longitude", "latitude"})
    if props.get("distance_m") is None:
        props.pop("distance_m", None)
    return {
        "type": "Feature",
        "id": facility.id,
        "geometry": {"type": "Point", "coordinates": [facility.longitude, facility.latitude]},
        "properties": props,
    }


def facility_collection(items: Sequence[FacilityOut], *, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [facility_feature(f) for f in items],
        "numberMatched": total,
        "numberReturned": len(items),
        "limit": limit,
        "offset": offset,
    }
