"""OGC API – Features: GDAL's own OAPIF client pages through the registry into a GeoPackage."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from tests.factories import PASSWORD

OGR2OGR = shutil.which("ogr2ogr")


def _token(server, role="planner", jurisdiction="421122") -> str:
    name = server.add_user(role, jurisdiction)
    form = urllib.parse.urlencode({"username": name, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{server.url}/api/v1/auth/token", data=form, timeout=30) as resp:
        return json.load(resp)["access_token"]


def test_landing_conformance_collections_and_paging(demo_api):
    headers = demo_api.user("planner")
    landing = demo_api.get("/ogc", headers=headers).json()
    assert {"self", "service-desc", "conformance", "data"} <= {link["rel"] for link in landing["links"]}
    conf = demo_api.get("/ogc/conformance", headers=headers).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    cols = demo_api.get("/ogc/collections", headers=headers).json()["collections"]
    assert [c["id"] for c in cols] == ["facilities", "protection_zones"]
    assert all(len(c["extent"]["spatial"]["bbox"][0]) == 4 for c in cols)
    seen, url, pages = [], "/ogc/collections/facilities/items?limit=7", 0
    while url:
        resp = demo_api.get(url, headers=headers)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
        body = resp.json()
        seen += [f["id"] for f in body["features"]]
        assert body["numberReturned"] == len(body["features"])
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages > 1 and len(seen) == len(set(seen)) == body["numberMatched"]
    one = demo_api.get(f"/ogc/collections/facilities/items/{seen[0]}", headers=headers).json()
    assert one["id"] == seen[0] and one["geometry"]["type"] == "Point"
    box = demo_api.get("/ogc/collections/facilities/items", headers=headers,
                       params={"bbox": "114.62,31.29,114.63,31.30"}).json()
    assert 0 < box["numberMatched"] < len(seen)
    assert all(114.62 <= f["geometry"]["coordinates"][0] <= 114.63 for f in box["features"])
    assert demo_api.get("/ogc/collections/nope/items", headers=headers).status_code == 404
    assert demo_api.get("/ogc/collections/facilities/items", headers=headers,
                        params={"bbox": "1,2,3"}).status_code == 422
    assert demo_api.get("/ogc/collections").status_code == 401
    outsider = demo_api.user("planner", jurisdiction="421181")
    assert demo_api.get(f"/ogc/collections/facilities/items/{seen[0]}", headers=outsider).status_code == 404


@pytest.mark.skipif(OGR2OGR is None, reason="needs ogr2ogr (Debian gdal-bin)")
def test_ogr2ogr_pulls_the_registry_into_a_geopackage_through_ogc(live_server, tmp_path):
    import pyogrio

    token = _token(live_server)
    out = tmp_path / "registry.gpkg"
    result = subprocess.run(
        [OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_server.url}/ogc", "-oo", "PAGE_SIZE=10",
         "--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}", "--config", "CPL_DEBUG", "ON"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.count("cursor=") >= 2  # GDAL followed the next links (by cursor): more than one page
    request = urllib.request.Request(f"{live_server.url}/ogc/collections/facilities/items?limit=1",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        matched = json.load(resp)["numberMatched"]
    facilities = pyogrio.read_dataframe(out, layer="facilities")
    assert matched > 10 and len(facilities) == matched
    assert "红安县烈士陵园" in set(facilities["name"])
    zones = pyogrio.read_dataframe(out, layer="protection_zones")
    assert "421122-0001" in set(zones["code"])  # the demo's protection zones
    assert len(zones) >= 4 and set(zones.geometry.geom_type) == {"Polygon"}
    refused = subprocess.run([shutil.which("ogrinfo") or "ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0  # without the token: nothing
