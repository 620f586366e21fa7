"""Every route of the app, for every role, inside and outside the jurisdiction.

The rule of a route is the one permission its ``requires`` dependency names
(or ``public``). A route without a rule fails this test; so does a route
whose answers disagree with ``memorials.permissions.PERMISSIONS``: a role
the table allows must not be refused (401/403), a role it does not allow
must get 403, nobody signed in gets 401 (API) or the sign-in page, and an
object outside the user's jurisdiction answers 404.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.auth import Requires
from memorials.actors import SYSTEM
from memorials.db import session_factory, transaction
from memorials.facilities import create_facility
from memorials.martyrs import create_martyr, get_martyr
from memorials.permissions import PERMISSIONS, Permission, Role
from memorials.relatives import create_relative
from memorials.schemas import FacilityCreate, MartyrCreate, RelativeCreate
from repairs.schemas import ProjectIn
from repairs.service import create_project
from tests.factories import (
    DEMO_DISTRICT,
    OTHER_DISTRICT,
    OTHER_POINT,
    facility_body,
    gps_jpeg,
    inspection_files,
    inspection_json,
    martyr_body,
    repair_body,
)

PUBLIC = "public"


def rule_of(route: Any) -> Permission | str | None:
    """The permission a route requires, ``"public"``, or None when it declares neither."""
    found: set[Permission | str] = set()

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for dep in dependant.dependencies:
            call = dep.call
            if getattr(call, "permission", None) is not None:
                found.add(call.permission)
            if getattr(call, "is_public", False):
                found.add(PUBLIC)
            walk(dep)

    walk(route.dependant)
    if len(found) > 1:
        raise AssertionError(f"{route.path} declares several rules: {found}")
    return found.pop() if found else None


def app_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every FastAPI route, those of included routers too."""
    out = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in sorted((context.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, context.path, context))
    return out


@dataclass
class World:
    inside: dict[str, str]
    outside: dict[str, str]


# How to fill each path parameter: inside the demo district / outside it
# (None: reference data that every signed-in user may read).
def _params(inside: dict[str, str], outside: dict[str, str]) -> World:
    return World(
        inside={"facility_id": "1", "martyr_id": "1", "entity": "facility", "entity_id": "1", "code": "421122101",
                "size": "thumb", "fmt": "xlsx", "collection_id": "facilities", "feature_id": "1",
                "token": "x" * 40, **inside},
        outside={"entity": "facility", "entity_id": outside["facility_id"], "code": None, "size": "thumb",
                 "token": "x" * 40,
                 "fmt": "xlsx", "collection_id": "facilities", "feature_id": outside["facility_id"],
                 **outside},  # type: ignore[dict-item]
    )


# Required query parameters, by route path.
QUERIES = {
    "/api/v1/audit": lambda p: {"entity": "facility", "id": p["facility_id"]},
    "/api/v1/compliance": lambda p: {"division": "421122", "from": "2026-01", "to": "2026-06"},
    "/api/v1/reports/patrols.{fmt}": lambda p: {"division": "421122", "from": "2026-01", "to": "2026-06"},
    "/map/data": lambda p: {"bbox": "113,30,116,32", "zoom": "9"},
    "/map/zones": lambda p: {"bbox": "113,30,116,32", "zoom": "14"},
    "/map/boundaries": lambda p: {"bbox": "113,30,116,32", "zoom": "12"},
}
# Scoped lists, tested apart (tests/api/test_map_data.py for the map's layers).
NOT_JURISDICTION_CHECKED = {"/api/v1/compliance", "/api/v1/reports/patrols.{fmt}", "/map/data", "/map/zones",
                            "/map/boundaries"}
# Valid bodies, so that a request gets past validation to the jurisdiction check.
BODIES = {
    ("POST", "/api/v1/facilities"): lambda: facility_body(),
    ("PATCH", "/api/v1/facilities/{facility_id}"): lambda: {"description": "巡查后更新"},
    ("POST", "/api/v1/facilities/{facility_id}/burials"): lambda: {"martyr_id": 1, "since": "2000", "until": "2001"},
    ("POST", "/api/v1/martyrs"): lambda: martyr_body(),
    ("PATCH", "/api/v1/martyrs/{martyr_id}"): lambda: {"biography": "补充事迹"},
    ("POST", "/api/v1/martyrs/{martyr_id}/relatives"): lambda: {"name": "李某"},
    ("PATCH", "/api/v1/defects/{defect_id}"): lambda: {"responsible_person": "王主任"},
    ("PUT", "/api/v1/interval-rules"): lambda: {"level": "patrol", "facility_id": 1, "days": 60},
    ("POST", "/api/v1/repairs"): lambda: repair_body(),
    ("PATCH", "/api/v1/repairs/{repair_id}"): lambda: {"description": "补充说明"},
    ("POST", "/api/v1/repairs/{repair_id}/transitions"): lambda: {"to": "cancelled", "reason": "测试"},
    ("POST", "/api/v1/repairs/{repair_id}/budget-lines"): lambda: {"source": "local", "amount": "100.00",
                                                                   "year": 2026},
    ("POST", "/api/v1/repairs/{repair_id}/adjustments"): lambda: {"source": "local", "amount": "100.00",
                                                                  "reason": "增项", "document_no": "1号",
                                                                  "date": "2026-01-02"},
    ("POST", "/api/v1/repairs/{repair_id}/expenditures"): lambda: {"date": "2026-01-02", "amount": "1.00",
                                                                   "payee": "某公司", "invoice_no": "1",
                                                                   "purpose": "材料"},
    ("PATCH", "/api/v1/cases/relocations/{case_id}"): lambda: {"note": "补充说明"},
    ("POST", "/api/v1/cases/relocations/{case_id}/consents"): lambda: {"martyr_id": 1, "decision": "pending"},
    ("POST", "/api/v1/cases/relocations/{case_id}/transitions"): lambda: {"to": "closed"},
    ("PATCH", "/api/v1/cases/family-searches/{search_id}"): lambda: {"outcome_note": "补充"},
    ("POST", "/api/v1/cases/family-searches/{search_id}/leads"): lambda: {"content": "线索"},
    ("POST", "/api/v1/cases/family-searches/{search_id}/transitions"): lambda: {"to": "found"},
    ("POST", "/api/v1/cases/family-search/match"): lambda: {"name": "张德胜"},
    ("POST", "/api/v1/events"): lambda: {"name": "祭扫", "kind": "other", "date": "2030-04-05"},
    ("PATCH", "/api/v1/events/{event_id}"): lambda: {"notes": "补充说明"},
    ("POST", "/api/v1/events/{event_id}/groups"): lambda: {"kind": "school", "name": "一中", "headcount": 10},
    ("POST", "/api/v1/events/{event_id}/slots"): lambda: {"facility_id": 1, "date": "2030-04-05", "start": "13:00",
                                                          "end": "14:00", "capacity": 10},
    ("POST", "/api/v1/bookings"): lambda: {"slot_id": 1, "group_name": "一中", "people": 1},
    ("POST", "/api/v1/proxy-visits"): lambda: {"martyr_id": 1, "requester_name": "李某", "requester_phone": "13812345678",
                                               "relation": "侄子"},
    ("POST", "/api/v1/proxy-visits/{visit_id}/transitions"): lambda: {"to": "declined", "reason": "测试"},
    ("POST", "/api/v1/trips"): lambda: {"martyr_name": "某烈士", "destination_name": "某陵园", "receiving_bureau": "某局",
                                        "people": [{"name": "李某", "relation": "侄子"}], "depart_on": "2030-04-01",
                                        "return_on": "2030-04-03"},
    ("PATCH", "/api/v1/trips/{trip_id}"): lambda: {"outcome": "顺利"},
    ("PATCH", "/api/v1/tribute/messages/{message_id}"): lambda: {"status": "approved"},
    ("PUT", "/api/v1/tribute/pages/{martyr_id}"): lambda: {"public": True},
    ("POST", "/tribute/martyrs/{martyr_id}/messages"): lambda: {"text": "缅怀先烈"},
    ("POST", "/tribute/proxy-requests"): lambda: {"martyr_id": 1, "requester_name": "李某",
                                                  "requester_phone": "13812345678", "relation": "侄子"},
}
MULTIPART = {"/api/v1/inspections"}
EVIDENCE_UPLOADS = {"/api/v1/repairs/{repair_id}/evidence"}
PHOTO_UPLOADS = {"/api/v1/proxy-visits/{visit_id}/photos"}
FIXED_UPLOADS = {"/api/v1/defects/{defect_id}/fixed"}
CASE_FILES = {"/api/v1/cases/relocations/{case_id}/evidence": {"purpose": "document"},
              "/api/v1/cases/family-searches/{search_id}/evidence": {"entry_id": "1"}}
FORMS = {
    "/api/v1/auth/token": {"username": "nobody", "password": "wrong-password"},
    "/login": {"username": "nobody", "password": "wrong-password", "csrf_token": "x"},
    "/cases/relocations/{case_id}/consents": {"martyr_id": "1", "decision": "pending"},
    "/cases/relocations/{case_id}/evidence": {"purpose": "document"},
    "/cases/relocations/{case_id}/transitions": {"to": "closed"},
    "/cases/family-searches/{search_id}/entries": {"kind": "lead"},
    "/cases/family-searches/{search_id}/transitions": {"to": "found"},
}


def _file_inspection(api, headers, facility_id: int, lon: float, lat: float) -> dict:
    resp = api.post("/api/v1/inspections", headers=headers,
                    data={"inspection": json.dumps(inspection_json(facility_id))},
                    files=inspection_files([gps_jpeg(lon, lat)]))
    assert resp.status_code == 201, resp.text
    return resp.json()


def _cases(api, district: str, *, facility_id: int | None = None, martyr_id: int | None = None) -> dict[str, str]:
    """A relocation case and a family search in ``district`` (the martyr given, or the demo's 张德胜)."""
    officer = api.user("case_officer", district)
    if martyr_id is None:
        martyr_id = api.demo_martyr_id("张德胜")
    else:
        burial = api.post(f"/api/v1/facilities/{facility_id}/burials", headers=api.user("admin", district),
                          json={"martyr_id": martyr_id, "since": "1950"})
        assert burial.status_code == 201, burial.text
    case = api.post("/api/v1/cases/relocations", headers=officer, json={
        "kind": "cross_region", "martyr_ids": [martyr_id], "receiving_division_code": "411523",
        "receiving_bureau": "新县退役军人事务局", "receiving_place": "新县烈士陵园"})
    assert case.status_code == 201, case.text
    search = api.post("/api/v1/cases/family-searches", headers=officer, json={"martyr_id": martyr_id})
    assert search.status_code == 201, search.text
    return {"case_id": str(case.json()["id"]), "search_id": str(search.json()["id"])}


def _commemoration(api, district: str, facility_id: int, martyr_id: int) -> dict[str, str]:
    """An event with a slot and a booking, a proxy visit, a trip and a tribute message in ``district``."""
    organizer = api.user("organizer", district)
    event = api.post("/api/v1/events", headers=organizer, json={
        "name": "清明祭扫", "kind": "other", "date": "2030-04-05", "facility_ids": [facility_id]})
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    slot = api.post(f"/api/v1/events/{event_id}/slots", headers=organizer, json={
        "facility_id": facility_id, "date": "2030-04-05", "start": "09:00", "end": "10:00", "capacity": 20})
    assert slot.status_code == 201, slot.text
    booking = api.post("/api/v1/bookings", headers=organizer, json={
        "slot_id": slot.json()[0]["id"], "group_name": "一中", "people": 5})
    assert booking.status_code == 201, booking.text
    visit = api.post("/api/v1/proxy-visits", headers=organizer, json={
        "martyr_id": martyr_id, "requester_name": "李某", "requester_phone": "13812345678", "relation": "侄子"})
    assert visit.status_code == 201, visit.text
    trip = api.post("/api/v1/trips", headers=organizer, json={**BODIES[("POST", "/api/v1/trips")](),
                                                             "division_code": district})
    assert trip.status_code == 201, trip.text
    assert api.put(f"/api/v1/tribute/pages/{martyr_id}", headers=organizer, json={"public": True}).status_code == 200
    message = api.post(f"/tribute/martyrs/{martyr_id}/messages", json={"text": "缅怀先烈"})
    assert message.status_code == 201, message.text
    return {"event_id": str(event_id), "booking_id": str(booking.json()["id"]), "visit_id": str(visit.json()["id"]),
            "trip_id": str(trip.json()["id"]), "message_id": str(message.json()["id"])}


def _ledger_job(api, district: str) -> str:  # type: ignore[no-untyped-def]
    """A patrol ledger made in the background for a planner of ``district`` (/api/v1/jobs/…, /jobs/…)."""
    resp = api.get("/api/v1/reports/patrols.xlsx", headers=api.user("planner", district),
                   params={"division": district, "from": "2026-01", "to": "2026-06", "background": "true"})
    assert resp.status_code == 202, resp.text
    return str(resp.json()["id"])


@pytest.fixture
def world(demo_api):
    """Users of every role in the demo district; a facility, martyr, inspection and defect on each side."""
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        lon, lat = OTHER_POINT
        fac = create_facility(session=s, data=FacilityCreate(**facility_body(division_code=OTHER_DISTRICT,
                                                                             longitude=lon, latitude=lat)),
                              actor=SYSTEM)
        mar = create_martyr(session=s, data=MartyrCreate(**martyr_body(division_code=OTHER_DISTRICT)), actor=SYSTEM)
        fac_id, mar_id = fac.id, mar.id
        our_martyr = get_martyr(session=s, martyr_id=1, actor=SYSTEM)
        relatives = [create_relative(session=s, martyr=m, data=RelativeCreate(name="李某"), actor=SYSTEM).id
                     for m in (our_martyr, mar)]
    headers = {role.value: demo_api.user(role.value) for role in Role}
    theirs = _file_inspection(demo_api, demo_api.user("inspector", OTHER_DISTRICT), fac_id, lon, lat)
    ours = _file_inspection(demo_api, headers["inspector"], 10, 114.72, 31.46)
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        our_repair = create_project(session=s, actor=SYSTEM, data=ProjectIn(**repair_body(facility_ids=[10]))).id
        their_repair = create_project(session=s, actor=SYSTEM, data=ProjectIn(**repair_body(facility_ids=[fac_id]))).id
    inside = {"relative_id": str(relatives[0]), "inspection_id": str(ours["id"]),
              "defect_id": str(ours["defects_opened"][0]["id"]), "sha256": ours["photos"][0]["sha256"],
              "repair_id": str(our_repair), **_cases(demo_api, DEMO_DISTRICT)}
    outside = {"relative_id": str(relatives[1]), "facility_id": str(fac_id), "martyr_id": str(mar_id),
               "inspection_id": str(theirs["id"]), "defect_id": str(theirs["defects_opened"][0]["id"]),
               "sha256": theirs["photos"][0]["sha256"], "repair_id": str(their_repair),
               **_cases(demo_api, OTHER_DISTRICT, facility_id=fac_id, martyr_id=mar_id)}
    inside.update(_commemoration(demo_api, DEMO_DISTRICT, 1, demo_api.demo_martyr_id("张德胜")))
    outside.update(_commemoration(demo_api, OTHER_DISTRICT, fac_id, mar_id))
    inside["job_id"], outside["job_id"] = (_ledger_job(demo_api, district) for district in (DEMO_DISTRICT,
                                                                                           OTHER_DISTRICT))
    return _params(inside, outside), headers


def _fill(path: str, values: dict[str, str | None]) -> str | None:
    names = re.findall(r"{(\w+)}", path)
    for name in names:
        if name not in values:
            raise AssertionError(f"no value for path parameter {name!r} of {path}: add it to _params")
        if values[name] is None:
            return None
        path = path.replace("{" + name + "}", values[name])  # type: ignore[arg-type]
    return path


def _call(api, method: str, path: str, route_path: str, headers: dict[str, str], params: dict[str, str]):  # type: ignore[no-untyped-def]
    query = QUERIES.get(route_path, lambda p: {})(params)
    kwargs: dict[str, object] = {"headers": headers, "params": query, "follow_redirects": False}
    if method in ("POST", "PATCH", "PUT"):
        if route_path in FIXED_UPLOADS:
            kwargs["files"] = [("photos", ("after.jpg", gps_jpeg(114.72, 31.46), "image/jpeg"))]
        elif route_path in PHOTO_UPLOADS:
            kwargs["files"] = [("photos", ("visit.jpg", gps_jpeg(114.72, 31.46), "image/jpeg"))]
        elif route_path in EVIDENCE_UPLOADS:
            kwargs["data"] = {"phase": "before"}
            kwargs["files"] = [("files", ("before.jpg", gps_jpeg(114.72, 31.46), "image/jpeg"))]
        elif route_path in MULTIPART:
            kwargs["data"] = {"inspection": json.dumps(inspection_json(int(params["facility_id"])))}
            kwargs["files"] = inspection_files([gps_jpeg(114.72, 31.46)])
        elif route_path in CASE_FILES:
            kwargs["data"] = CASE_FILES[route_path]
            kwargs["files"] = inspection_files([gps_jpeg(114.72, 31.46)])
        elif route_path in FORMS:
            kwargs["data"] = FORMS[route_path]
        else:
            kwargs["json"] = BODIES.get((method, route_path), dict)()
    return api.request(method, path, **kwargs)


def test_every_route_has_a_rule(demo_api):
    routes = app_routes(demo_api.app)
    missing = [(m, p) for m, p, r in routes if rule_of(r) is None]
    assert missing == [], "routes without a permission rule (use Requires(...) or Public)"
    enumerated = {(m, p) for m, p, _ in routes}
    documented = {(m.upper(), p) for p, ops in demo_api.app.openapi()["paths"].items() for m in ops}
    assert documented <= enumerated
    assert len(enumerated) > len(documented)  # the pages are there too


def test_rule_finder_notices_a_route_without_rule():
    app = FastAPI()

    @app.get("/with-rule")
    def with_rule(actor=Requires(Permission.registry_read)):  # type: ignore[no-untyped-def]
        return {}

    @app.get("/without-rule")
    def without_rule():  # type: ignore[no-untyped-def]
        return {}

    rules = {path: rule_of(route) for _, path, route in app_routes(app)}
    assert rules == {"/with-rule": Permission.registry_read, "/without-rule": None}


def test_roles_and_jurisdiction_on_every_route(demo_api, world):
    params, headers = world
    checked = 0
    for method, route_path, route in app_routes(demo_api.app):
        rule = rule_of(route)
        inside = _fill(route_path, params.inside)
        assert inside is not None
        anonymous = _call(demo_api, method, inside, route_path, {}, params.inside)
        if rule == PUBLIC:
            assert anonymous.status_code < 500, (method, route_path, anonymous.status_code)
            continue
        is_api = route_path.startswith(("/api/", "/ogc"))  # /ogc serves GDAL and QGIS: 401, not a sign-in page
        if is_api:
            assert anonymous.status_code == 401, (method, route_path, anonymous.status_code)
        else:
            assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login"), \
                (method, route_path, anonymous.status_code)
        for role in Role:
            resp = _call(demo_api, method, inside, route_path, headers[role.value], params.inside)
            allowed = role in PERMISSIONS[rule]  # type: ignore[index]
            assert resp.status_code < 500, (method, route_path, role.value, resp.text[:300])
            if allowed:
                assert resp.status_code not in (401, 403), (method, route_path, role.value, resp.status_code)
            else:
                assert resp.status_code == 403, (method, route_path, role.value, resp.status_code)
            outside = _fill(route_path, params.outside)
            if allowed and outside is not None and outside != inside:
                resp = _call(demo_api, method, outside, route_path, headers[role.value], params.outside)
                assert resp.status_code == 404, (method, route_path, role.value, "outside", resp.status_code)
            elif allowed and route_path in QUERIES and route_path not in NOT_JURISDICTION_CHECKED:
                resp = _call(demo_api, method, inside, route_path, headers[role.value], params.outside)
                assert resp.status_code == 404, (method, route_path, role.value, "outside", resp.status_code)
            checked += 1
    assert checked > 100
