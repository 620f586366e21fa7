"""Page routes answer bad parameters with 4xx (a Chinese page naming the field), never 5xx.

Every page gets every bad value in every parameter it declares or may read
from the query string itself, at a path that exists; a bad path value is
tried alone (the page is not found before its query is read). Values a
database reads differently (ids beyond int4, far months, huge numbers) run on
PostGIS too; the rest is refused before any query runs and runs on SQLite.
"""

from __future__ import annotations

import inspect
import re
import sys

import pytest
from fastapi.routing import APIRoute

from tests.api.test_hostile_input import CONTROL, DB_READS, _declared, _fill
from tests.api.test_route_permissions import app_routes

BAD_VALUES = {"sqlite": ["x", "-1", "1,2", "²", "٣", *CONTROL, *DB_READS], "postgis": DB_READS}
# Names pages read from the query string themselves (``request.query_params``), besides the declared ones.
QUERY_NAMES = ["within_m", "near", "bbox", "division", "kind", "status", "q", "page", "from", "to", "facility_id",
               "crs", "next"]
PATH_VALUES = ["²", "0", "9" * 30, "2147483648"]
PARTS = 4  # the sweep is split so that xdist's workers share it


def _page_routes(app) -> list[tuple[str, APIRoute]]:  # type: ignore[no-untyped-def]
    pages = {}
    for method, path, context in app_routes(app):
        route = context.original_route
        if method == "GET" and isinstance(route, APIRoute) and not route.include_in_schema \
                and not path.startswith("/docs"):
            pages[path] = route
    return sorted(pages.items())


def _names(route: APIRoute) -> set[str]:
    """The page's declared parameters, and the names pages read themselves if its module reads the query."""
    names = set(_declared(route.dependant, "query_params"))
    if "query_params" in inspect.getsource(sys.modules[route.endpoint.__module__]):
        names |= set(QUERY_NAMES)
    return names


@pytest.mark.both_backends
@pytest.mark.parametrize("part", range(PARTS))
def test_every_page_survives_bad_query_parameters(demo_api, backend, part):
    headers = demo_api.user("admin")
    failures = []
    for path, route in _page_routes(demo_api.app)[part::PARTS]:
        url = _fill(path)
        for name in sorted(_names(route)):
            for value in BAD_VALUES[backend]:
                resp = demo_api.get(url, params={name: value}, headers=headers, follow_redirects=False)
                if resp.status_code >= 500:
                    failures.append((url, name, repr(value), resp.status_code))
                elif value in CONTROL and (resp.status_code != 422 or name not in resp.text):
                    failures.append((url, name, repr(value), resp.status_code, "page does not name the parameter"))
    assert failures == []


@pytest.mark.both_backends
def test_every_page_survives_bad_path_values(demo_api, backend):
    headers = demo_api.user("admin")
    failures = []
    for path, _route in _page_routes(demo_api.app):
        if "{" not in path:
            continue
        for value in PATH_VALUES:
            url = re.sub(r"{[^}]+}", value, path)
            resp = demo_api.get(url, headers=headers, follow_redirects=False)
            if resp.status_code >= 500:
                failures.append((url, resp.status_code))
    assert failures == []


def test_a_bad_page_parameter_gets_a_chinese_page_naming_it(demo_api):
    headers = demo_api.user("viewer")
    resp = demo_api.get("/map/frame", params={"within_m": "x", "near": "114.6,31.3"}, headers=headers)
    assert resp.status_code == 422 and "within_m" in resp.text and "输入有误" in resp.text
    resp = demo_api.get("/facilities", params={"bbox": "1,2"}, headers=headers)
    assert resp.status_code == 422 and "bbox" in resp.text
