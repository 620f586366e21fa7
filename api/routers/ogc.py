"""OGC API – Features under /ogc: the registry's layers for QGIS and GDAL (OAPIF).

Landing page, conformance, collections (facilities, protection zones),
items with ``bbox``, ``limit``, ``offset`` paging and ``next`` links, single
items; GeoJSON in WGS84 (CRS84). Jurisdiction applies as everywhere: send the
bearer token (QGIS: an authentication configuration; GDAL:
``--config GDAL_HTTP_HEADERS "Authorization: Bearer …"``).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from api.auth import RegistryReader
from api.deps import Cursor, IdPath, Offset, ReadSession, query_problem
from api.geojson import dumps, facility_feature, plain_facility, plain_feature
from gis.geodesy import parse_bbox
from memorials import analysis
from memorials import facilities as service
from memorials.errors import NotFound
from memorials.models import Facility
from memorials.schemas import FacilityOut

router = APIRouter(prefix="/ogc", tags=["ogc"])

GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
COLLECTIONS = {
    "facilities": ("纪念设施", "Memorial facilities (points): cemeteries, scattered graves, monuments, …"),
    "protection_zones": ("保护范围", "Protection zones of facilities (polygons)"),
}
CHINA_BBOX = [73.4, 3.8, 135.1, 53.6]


def _json(body: Any, media_type: str = "application/json") -> Response:
    return Response(dumps(body), media_type=media_type)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _collection(request: Request, cid: str) -> dict[str, Any]:
    title, description = COLLECTIONS[cid]
    base = _base(request)
    return {
        "id": cid, "title": title, "description": description, "itemType": "feature", "crs": [CRS84],
        "extent": {"spatial": {"bbox": [CHINA_BBOX], "crs": CRS84}},
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json", "title": title},
            {"href": f"{base}/collections/{cid}/items", "rel": "items", "type": GEOJSON, "title": title},
        ],
    }


@router.get("")
def landing(request: Request, actor: RegistryReader) -> Response:
    """The landing page: links to the API definition, conformance and the collections."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return _json({
        "title": "烈士纪念设施登记系统 OGC API – Features",
        "description": "Memorial registry layers for QGIS and GDAL",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {"href": f"{root}/openapi.json", "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
             "title": "the API definition"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json",
             "title": "conformance classes"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json", "title": "collections"},
        ],
    })


@router.get("/conformance")
def conformance(actor: RegistryReader) -> Response:
    return _json({"conformsTo": CONFORMANCE})


@router.get("/collections")
def collections(request: Request, actor: RegistryReader) -> Response:
    base = _base(request)
    return _json({"links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
                  "collections": [_collection(request, cid) for cid in COLLECTIONS]})


def _known(cid: str) -> None:
    if cid not in COLLECTIONS:
        raise NotFound("collection", cid)


@router.get("/collections/{collection_id}")
def collection(request: Request, collection_id: str, actor: RegistryReader) -> Response:
    _known(collection_id)
    return _json(_collection(request, collection_id))


def _zone_feature(f: Facility) -> dict[str, Any]:
    return {"type": "Feature", "id": f.id, "geometry": orjson.loads(f.protection_zone or "null"),
            "properties": {"code": f.code, "name": f.name, "kind": f.kind, "status": f.status,
                           "division_code": f.division_code}}


@router.get("/collections/{collection_id}/items", responses={200: {"content": {GEOJSON: {}}}})
def items(
    request: Request,
    collection_id: str,
    session: ReadSession,
    actor: RegistryReader,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
    datetime: Annotated[str | None, Query(max_length=100, description="accepted; facilities carry no time")] = None,
    f: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Features of a collection, a page at a time (follow the ``next`` link)."""
    _known(collection_id)
    box = None
    if bbox:
        try:
            box = parse_bbox(bbox)
        except ValueError as exc:
            raise query_problem("bbox", str(exc).removeprefix("bbox: ")) from None
    here = f"{_base(request)}/collections/{collection_id}/items"
    keep = "".join(f"&{k}={v}" for k, v in (("bbox", bbox),) if v)
    at = f"cursor={cursor}" if cursor else f"offset={offset}"
    links = [{"href": f"{here}?limit={limit}&{at}{keep}", "rel": "self", "type": GEOJSON}]
    matched: dict[str, int] = {}
    if collection_id == "facilities":
        page = service.list_facilities(session=session, query=service.FacilityQuery(bbox=box), actor=actor,
                                       limit=limit, offset=offset, cursor=cursor, with_divisions=False, plain=True)
        features = [plain_feature(plain_facility(row)) for row, _ in page.rows]
        if not page.total_estimated:  # numberMatched is optional: left out rather than guessed
            matched["numberMatched"] = page.total
        if page.next_cursor:  # by cursor: deep pages cost what the first one does
            links.append({"href": f"{here}?limit={limit}&cursor={page.next_cursor}{keep}", "rel": "next",
                          "type": GEOJSON})
    else:
        zones, total = analysis.zones_page(session=session, actor=actor, bbox=box, limit=limit, offset=offset)
        features = [_zone_feature(z) for z in zones]
        matched["numberMatched"] = total
        if offset + len(features) < total:
            links.append({"href": f"{here}?limit={limit}&offset={offset + limit}{keep}", "rel": "next",
                          "type": GEOJSON})
    return _json({"type": "FeatureCollection", "features": features, **matched,
                  "numberReturned": len(features), "links": links}, GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}", responses={200: {"content": {GEOJSON: {}}}})
def item(request: Request, collection_id: str, feature_id: IdPath, session: ReadSession,
         actor: RegistryReader) -> Response:
    _known(collection_id)
    facility = service.get_facility(session=session, facility_id=feature_id, actor=actor)
    if collection_id == "facilities":
        feature = facility_feature(FacilityOut.model_validate(facility))
    elif facility.protection_zone:
        feature = _zone_feature(facility)
    else:
        raise NotFound("feature", feature_id)
    base = f"{_base(request)}/collections/{collection_id}"
    feature["links"] = [{"href": f"{base}/items/{feature_id}", "rel": "self", "type": GEOJSON},
                        {"href": base, "rel": "collection", "type": "application/json"}]
    return _json(feature, GEOJSON)
