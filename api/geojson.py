"""GeoJSON shapes of the registry's answers (RFC 7946: WGS84 lon/lat), and facilities as plain JSON.

A list page reads its facilities as plain rows (``list_facilities(plain=True)``)
and turns them into ``FacilityOut``'s JSON here without building the model:
validating fifty models per page cost more than reading them. The test
``test_plain_facility_json`` holds the two equal, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from memorials.facilities import PLAIN_COLUMNS
from memorials.schemas import FacilityOut

PLAIN_FIELDS = tuple(column.name for column in PLAIN_COLUMNS)
ON_MAP = ("longitude", "latitude")


def dumps(body: Any) -> bytes:
    """JSON as pydantic writes it (datetimes in UTC end in ``Z``)."""
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)


def plain_facility(row: Sequence[Any], distance: float | None = None) -> dict[str, Any]:
    """``FacilityOut``'s fields from a row of ``PLAIN_COLUMNS`` (serialize with ``dumps``)."""
    item = dict(zip(PLAIN_FIELDS, row, strict=False))
    item["distance_m"] = round(distance, 1) if distance is not None else None
    return item


def plain_feature(item: Mapping[str, Any]) -> dict[str, Any]:
    """A facility's Feature: its point, and every other field as properties (``distance_m`` when known)."""
    props = {k: v for k, v in item.items() if k not in ON_MAP and (k != "distance_m" or v is not None)}
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [item["longitude"], item["latitude"]]},
        "properties": props,
    }


def facility_feature(facility: FacilityOut) -> dict[str, Any]:
    return plain_feature(facility.model_dump(mode="json"))


def facility_collection(items: Sequence[Mapping[str, Any]], *, total: int, limit: int,
                        offset: int) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [plain_feature(f) for f in items],
        "numberMatched": total,
        "numberReturned": len(items),
        "limit": limit,
        "offset": offset,
    }
