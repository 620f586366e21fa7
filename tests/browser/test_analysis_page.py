"""The planners' analysis page in a real browser: upload a construction site, read the graves in it."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import open_page, sign_in

pytestmark = pytest.mark.browser


def test_a_planner_uploads_a_site_and_reads_the_facilities_inside_with_distances(live_server, browser, tmp_path):
    site = tmp_path / "拟建道路.geojson"
    road = [[114.6180, 31.2985], [114.6260, 31.2980]]
    site.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "拟建道路"}, "geometry": {"type": "LineString", "coordinates": road}}]},
        ensure_ascii=False), "utf-8")
    record = open_page(browser, viewport={"width": 1280, "height": 1600})
    sign_in(record, live_server, live_server.add_user("planner"))
    page = record.page
    page.click("nav >> text=空间分析")
    page.wait_for_url(re.compile(r".*/analysis$"))
    assert "零散烈士墓最近的陵园或集中安葬区" in page.inner_text("body")
    assert page.locator("section:nth-of-type(2) tbody tr").count() >= 20  # the demo county's scattered graves
    page.set_input_files("input[name=site]", str(site))
    page.fill("input[name=buffer_m]", "300")
    page.click("button[value=page]")
    page.wait_for_url(re.compile(r".*/analysis/within$"))
    rows = page.locator("section:first-of-type tbody tr")
    assert rows.count() >= 2
    assert "红安县烈士陵园" in rows.first.inner_text()
    distances = [float(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(rows.count())]
    assert distances == sorted(distances) and distances[-1] <= 300
    page.screenshot(path=str(tmp_path / "analysis.png"), full_page=True)
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    english = [w for w in re.findall(r"[A-Za-z]{4,}", body) if w not in ("EPSG", "GeoJSON", "GeoPackage", "Shapefile", "Excel")]
    assert english == [], english
    page.set_input_files("input[name=site]", str(site))
    with page.expect_download() as download:
        page.click("button[value=xlsx]")
    saved = tmp_path / "within.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook

    sheet = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert sheet[0][:2] == ("登记编号", "名称") and len(sheet) == len(distances) + 1
    assert record.errors == []
