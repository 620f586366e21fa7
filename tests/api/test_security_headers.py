"""Every response carries the security headers; map pages' scripts carry the CSP nonce."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_settings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
}


def _check(resp) -> str:  # type: ignore[no-untyped-def]
    for name, value in HEADERS.items():
        assert resp.headers.get(name) == value, (resp.request.url, name)
    policy = resp.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    return re.search(r"'nonce-([^']+)'", script_src).group(1)


def test_every_kind_of_response_has_the_headers(demo_api):
    h = demo_api.user("viewer")
    responses = [
        demo_api.get("/health"),
        demo_api.get("/login"),
        demo_api.get("/docs"),
        demo_api.get("/openapi.json"),
        demo_api.get("/static/app/app.css"),
        demo_api.get("/static/vendor/leaflet/leaflet.js"),
        demo_api.get("/api/v1/facilities"),  # 401
        demo_api.get("/api/v1/facilities", headers=h),
        demo_api.get("/api/v1/facilities/99999999", headers=h),  # 404
        demo_api.get("/api/v1/facilities?limit=x", headers=h),  # 422
        demo_api.get("/facilities", headers=h),
        demo_api.get("/map/frame", headers=h),
        demo_api.post("/api/v1/auth/token", data={"username": "x", "password": "y"}),  # 401
    ]
    nonces = [_check(r) for r in responses]
    assert len(set(nonces)) == len(nonces)  # fresh per response


def test_map_scripts_carry_this_responses_nonce_and_docs_have_no_inline_script(demo_api):
    h = demo_api.user("viewer")
    frame = demo_api.get("/map/frame", headers=h)
    nonce = _check(frame)
    tags = re.findall(r"<script\b[^>]*>", frame.text)
    assert tags and all(f'nonce="{nonce}"' in t for t in tags)
    docs = demo_api.get("/docs")
    assert all("src=" in t for t in re.findall(r"<script\b[^>]*>", docs.text))


def test_tile_server_is_the_only_other_image_source(db_url, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = make_settings(db_url, tmp_path).model_copy(update={"tiles": "gaode"})
    with TestClient(create_app(settings)) as client:
        policy = client.get("/health").headers["content-security-policy"]
    img = re.search(r"img-src ([^;]+)", policy).group(1).split()
    assert img == ["'self'", "data:", "blob:", "https://*.is.autonavi.com"]
