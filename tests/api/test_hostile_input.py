"""Hostile input on every route, API and pages: a 4xx, never a 5xx.

Text no database can keep (NUL, which PostgreSQL cannot store at all, the
other control characters, lone surrogates) is refused with a 422 naming the
field wherever it is sent: any field of any JSON body, any query, path or
form parameter. Numbers that are no id (non-ASCII digits, 60 digits, beyond
PostgreSQL's integer) are simply not found; months far outside the years
the registry covers are refused.

Text is refused before any query runs, the same way on both backends, so
those tests run on SQLite; what a database reads (ids beyond int4, far
months, huge numbers) runs on PostGIS too. Page parameters are swept in
``test_page_params``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from memorials.schemas import Input
from tests.api.test_route_permissions import app_routes
from tests.factories import gps_jpeg, inspection_json

UNSTORABLE = ["\x00", "a\x00b", "\x1b[2J", "\ud800"]
NOT_IDS = ["²", "٣", "４２", "9" * 60, "2147483648", "-1"]
CONTROL = ["\x00", "\x1b[2J"]
# What a database reads differently (PostgreSQL's ids are int4; dates and numbers have ranges).
DB_READS = ["9" * 60, "2147483648", "1000-01", "10000-01", "1e309"]
QUERY_VALUES = {"sqlite": [*CONTROL, "²", "٣", *DB_READS], "postgis": DB_READS}
PARTS = 3  # the sweep is split so that xdist's workers share it
VALID_PATH = {"code": "421122101", "entity": "facility", "size": "thumb"}


def _declared(dependant: Any, kind: str) -> list[str]:
    names = [field.alias for field in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        names += _declared(sub, kind)
    return names


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    return [(method, path, context.original_route) for method, path, context in app_routes(app)
            if not path.startswith("/docs")]


def _fill(path: str, **values: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), VALID_PATH.get(m.group(1), "1")), path)


def _is_page(path: str) -> bool:
    return not path.startswith("/api/")


def _body_models(app: Any) -> list[tuple[str, str, type[BaseModel]]]:
    out = []
    for method, path, route in _routes(app):
        for field in route.dependant.body_params:
            kind = field.field_info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                out.append((method, path, kind))
    return out


def test_every_request_body_is_an_input_that_checks_its_text(demo_api):
    models = _body_models(demo_api.app)
    assert len(models) >= 7
    assert [(m, p, k.__name__) for m, p, k in models if not issubclass(k, Input)] == []


def test_unstorable_text_in_any_field_of_any_body_is_a_422_naming_it(demo_api):
    headers = demo_api.user("admin")
    failures = []
    for method, path, model in _body_models(demo_api.app):
        for name, field in model.model_fields.items():
            key = field.alias or name
            for bad in UNSTORABLE:
                resp = demo_api.request(method, _fill(path), content=json.dumps({key: bad}),  # \ud800 escaped
                                        headers={**headers, "content-type": "application/json"})
                detail = resp.json()["detail"] if resp.status_code == 422 else []
                if not any(d["loc"] == ["body", key] and d["type"] == "unstorable_text" for d in detail):
                    failures.append((method, path, key, repr(bad), resp.status_code, resp.text[:200]))
    assert failures == []


def test_unstorable_text_deep_inside_a_body_names_where(demo_api):
    headers = demo_api.user("admin")
    resp = demo_api.post("/api/v1/martyrs", json={"name": "王德才", "name_variants": ["王得才", "王\x00才"]},
                         headers=headers)
    assert resp.status_code == 422
    assert [d["loc"] for d in resp.json()["detail"]] == [["body", "name_variants", 1]]
    assert "U+0000" in resp.json()["detail"][0]["msg"]


def test_unstorable_text_in_an_inspection_is_refused_naming_the_field(demo_api):
    inspector = demo_api.user("inspector")
    cases = {
        "inspection.notes": inspection_json(10, notes="围墙\x00破损"),
        "inspection.checklist.vegetation.note": inspection_json(
            10, checklist={"vegetation": {"result": "problem", "note": "杂草\x00"}}),
        "inspection.checklist.vege\x00tation": inspection_json(10, checklist={"vege\x00tation": {"result": "ok"}}),
    }
    for field, body in cases.items():
        resp = demo_api.post("/api/v1/inspections", headers=inspector, data={"inspection": json.dumps(body)})
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"][0]["loc"] == ["body", field]
    raw = demo_api.post("/api/v1/inspections", headers=inspector, data={"inspection": "{\x00}"})
    assert raw.status_code == 422 and raw.json()["detail"][0]["loc"] == ["body", "inspection"]
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="inspection"\r\n\r\n'
            f'{json.dumps(inspection_json(10))}\r\n--{boundary}\r\n'
            'Content-Disposition: form-data; name="photos"; filename="IMG\x00.jpg"\r\n'
            f'Content-Type: image/jpeg\r\n\r\n{gps_jpeg(None, None).hex()}\r\n--{boundary}--\r\n')
    named = demo_api.post("/api/v1/inspections", content=body.encode(),
                          headers={**inspector, "content-type": f"multipart/form-data; boundary={boundary}"})
    assert named.status_code == 422 and named.json()["detail"][0]["loc"] == ["body", "photos"], named.text
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 0


def test_multi_line_text_keeps_its_lines_and_one_line_text_is_one_line(demo_api):
    headers = demo_api.user("admin")
    resp = demo_api.patch("/api/v1/facilities/1", headers=headers,
                          json={"description": "第一段\n\t第二段\r\n", "address": "红安县\t城关镇\n陵园大道1号"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["description"] == "第一段\n\t第二段\r\n"
    assert resp.json()["address"] == "红安县 城关镇 陵园大道1号"


@pytest.mark.both_backends
@pytest.mark.parametrize("part", range(PARTS))
def test_every_query_parameter_of_the_api_survives_hostile_values(demo_api, backend, part):
    headers = demo_api.user("admin")
    failures = []
    routes = [(path, route) for method, path, route in _routes(demo_api.app) if method == "GET" and not _is_page(path)]
    for path, route in routes[part::PARTS]:
        url = _fill(path)
        for name in sorted(set(_declared(route.dependant, "query_params"))):
            for value in QUERY_VALUES[backend]:
                resp = demo_api.get(url, params={name: value}, headers=headers, follow_redirects=False)
                if resp.status_code >= 500:
                    failures.append((url, name, repr(value), resp.status_code))
                elif value in CONTROL:
                    where = resp.json()["detail"][0]["loc"] if resp.status_code == 422 else None
                    if where != ["query", name]:
                        failures.append((url, name, repr(value), resp.status_code, where))
    assert failures == []


@pytest.mark.both_backends
def test_every_path_parameter_survives_hostile_values(demo_api):
    headers = demo_api.user("admin")
    failures = []
    for method, path, route in _routes(demo_api.app):
        for name in _declared(route.dependant, "path_params"):
            for value in ["%00", "%1B", *NOT_IDS]:
                url = _fill(path, **{name: value})
                resp = demo_api.request(method, url, headers=headers, follow_redirects=False,
                                        **({"json": {}} if method in ("POST", "PATCH", "PUT") else {}))
                control = value.startswith("%")
                if resp.status_code >= 500 or (control and resp.status_code not in (404, 422)):
                    failures.append((method, url, resp.status_code))
    assert failures == []


@pytest.mark.both_backends
@pytest.mark.parametrize("ident", NOT_IDS[:5])
def test_an_audit_id_that_is_no_id_is_not_found(demo_api, ident):
    auditor = demo_api.user("admin")
    resp = demo_api.get("/api/v1/audit", params={"entity": "facility", "id": ident}, headers=auditor)
    assert resp.status_code == 404, resp.text
    for entity in ("facility", "martyr", "burial", "relative", "user", "inspection", "defect", "interval_rule"):
        assert demo_api.get("/api/v1/audit", params={"entity": entity, "id": ident},
                            headers=auditor).status_code == 404
        assert demo_api.get(f"/audit/{entity}/{ident}", headers=auditor).status_code == 404


def test_sign_in_forms_refuse_unstorable_text(demo_api):
    resp = demo_api.post("/api/v1/auth/token", data={"username": "admin\x00", "password": "x"})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "username"]
    page = demo_api.post("/login", data={"username": "admin\x00", "password": "x", "csrf_token": "x"},
                         follow_redirects=False)
    assert page.status_code == 422 and "username" in page.text


@pytest.mark.both_backends
@pytest.mark.parametrize("route", ["/api/v1/compliance", "/api/v1/reports/patrols.xlsx"])
def test_months_far_outside_the_registry_are_refused(demo_api, route):
    viewer = demo_api.user("viewer")
    resp = demo_api.get(route, params={"division": "421122", "from": "1000-01", "to": "9999-12"}, headers=viewer)
    assert resp.status_code == 422
    assert [d["loc"] for d in resp.json()["detail"]] == [["query", "from"], ["query", "to"]]



@pytest.mark.parametrize("route", ["/api/v1/facilities", "/api/v1/martyrs", "/api/v1/defects", "/api/v1/inspections"])
def test_a_division_code_in_other_digits_is_refused(demo_api, route):
    resp = demo_api.get(route, params={"division": "４２１１２２"}, headers=demo_api.user("admin"))
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["query", "division"]
