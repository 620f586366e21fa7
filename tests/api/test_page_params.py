"""Page routes answer bad parameters with 4xx (a Chinese page naming the field), never 5xx."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from tests.api.test_route_permissions import app_routes

BAD_VALUES = ["x", "²", "-1", "1e309", "9" * 60, "\x00", "10000-01", "1,2"]
QUERY_NAMES = ["within_m", "near", "bbox", "division", "kind", "status", "q", "page", "from", "to", "facility_id",
               "crs", "next"]
PATH_VALUES = ["²", "0", "9" * 30, "2147483648"]


def _page_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for method, path, context in app_routes(app):
        route = context.original_route
        if method == "GET" and isinstance(route, APIRoute) and not route.include_in_schema:
            paths.append(path)
    return sorted(set(paths))


def test_every_page_survives_bad_parameters(demo_api):
    headers = demo_api.user("admin")
    failures = []
    for path in _page_routes(demo_api.app):
        if path.startswith("/docs"):
            continue
        names = re.findall(r"{([^}]+)}", path)
        concrete = [path] if not names else [re.sub(r"{[^}]+}", value, path) for value in PATH_VALUES]
        for url in concrete:
            for name in QUERY_NAMES:
                for value in BAD_VALUES:
                    resp = demo_api.get(url, params={name: value}, headers=headers)
                    if resp.status_code >= 500:
                        failures.append((url, name, value, resp.status_code))
    assert failures == []


def test_a_bad_page_parameter_gets_a_chinese_page_naming_it(demo_api):
    headers = demo_api.user("viewer")
    resp = demo_api.get("/map/frame", params={"within_m": "x", "near": "114.6,31.3"}, headers=headers)
    assert resp.status_code == 422 and "within_m" in resp.text and "输入有误" in resp.text
    resp = demo_api.get("/facilities", params={"bbox": "1,2"}, headers=headers)
    assert resp.status_code == 422 and "bbox" in resp.text
