"""The office's editing pages in a real browser: a planner registers and corrects a facility and a martyr."""

from __future__ import annotations

import re

import pytest

from api.main import create_app
from gis.coords import gcj02_to_wgs84
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.browser.conftest import open_page, sign_in
from tests.conftest import make_settings, serving
from tests.factories import DEMO_DISTRICT, PASSWORD

pytestmark = pytest.mark.browser

# Latin letters a Chinese page may show: coordinate systems and metric units.
ALLOWED_LATIN = {"GPS", "WGS", "CGCS", "GCJ", "BD", "km", "m", "Excel", "CSV", "XLSX", "PDF"}


def english_on(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Latin words in what the page shows (its text and its controls' labels), beyond the allowed ones."""
    text = page.evaluate("() => document.body.innerText + ' ' + Array.from(document.querySelectorAll("
                         "'input[placeholder], [title], [aria-label]')).map(e => (e.placeholder || '') + ' ' + "
                         "(e.title || '') + ' ' + (e.getAttribute('aria-label') || '')).join(' ')")
    return sorted({w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED_LATIN})


def page_errors(record) -> list[str]:  # type: ignore[no-untyped-def]
    """Script errors; a refused form is answered 422 on purpose, which the console also reports."""
    return [e for e in record.errors if "status of 422" not in e]


def add_planner(server, name: str = "planner_office") -> str:  # type: ignore[no-untyped-def]
    with transaction(session_factory(server.app.state.engine, write=True)) as s:
        create_user(session=s, username=name, password=PASSWORD, role="planner", jurisdiction=DEMO_DISTRICT,
                    display_name="王建国")
    return name


def pick_division(page, index: int = 1) -> str:  # type: ignore[no-untyped-def]
    """Choose the ``index``-th township in the first division picker; returns its code."""
    first = page.locator(".divpicker select[data-depth='0']").first
    first.wait_for()
    page.wait_for_function("() => document.querySelector(\".divpicker select[data-depth='0']\").options.length > 2")
    code = first.locator("option").nth(index).get_attribute("value")
    first.select_option(code)
    return code


def test_planner_creates_and_edits_a_facility(live_server, browser, tmp_path):
    record = open_page(browser, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(record, live_server, add_planner(live_server))
    page = record.page
    page.goto(f"{live_server.url}/facilities")
    page.click("text=新增设施")
    page.wait_for_url("**/facilities/new")
    township = pick_division(page)
    # Nothing but a division: every refusal in Chinese beside its field, nothing stored.
    page.click("button:has-text('保存')")
    page.locator(".field-error").first.wait_for()
    assert page.locator("label:has(input[name=name]) .field-error").inner_text() == "必填"
    assert "必填" in page.locator("label:has(input[name=longitude]) .field-error").inner_text()
    assert english_on(page) == []
    # Swapped coordinates are named as such.
    page.fill("input[name=name]", "测试村零散烈士墓")
    page.fill("input[name=longitude]", "31.30")
    page.fill("input[name=latitude]", "114.62")
    page.click("button:has-text('保存')")
    page.locator("label:has(input[name=longitude]) .field-error").wait_for()
    assert "填反" in page.locator("label:has(input[name=longitude]) .field-error").inner_text()
    assert page.input_value("input[name=name]") == "测试村零散烈士墓"  # what was typed stays
    # Typed in GCJ-02 (a point read off Gaode): stored in WGS84.
    page.fill("input[name=longitude]", "114.6230")
    page.fill("input[name=latitude]", "31.2850")
    page.select_option("select[name=crs]", "gcj02")
    page.fill("input[name=custodian]", "测试村村委会")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r".*/facilities/\d+$"))
    assert "测试村零散烈士墓" in page.locator("h1").inner_text()
    facility_id = int(page.url.rsplit("/", 1)[1])
    api = live_server.app  # the stored record, read back through the service the API uses
    from memorials.models import Facility
    with transaction(session_factory(api.state.engine)) as s:
        stored = s.get(Facility, facility_id)
        assert stored.division_code == township
        expected = gcj02_to_wgs84(114.6230, 31.2850)
        assert (round(stored.longitude, 6), round(stored.latitude, 6)) == tuple(round(x, 6) for x in expected)
    # Edit: a new carer, and a point picked on the small map.
    page.click("text=修改设施信息")
    page.wait_for_url(f"**/facilities/{facility_id}/edit")
    assert page.locator(".divpicker select[data-depth='0']").input_value() == township
    page.fill("input[name=custodian_person]", "李守义")
    before = page.input_value("input[name=longitude]")
    page.locator("#pickmap").click(position={"x": 60, "y": 60})
    assert page.input_value("input[name=longitude]") != before
    assert page.input_value("select[name=crs]") == "wgs84"
    assert english_on(page) == []
    page.screenshot(path=str(tmp_path / "facility_form.png"), full_page=True)
    page.click("button:has-text('保存')")
    page.wait_for_url(f"**/facilities/{facility_id}")
    assert "李守义" in page.locator(".facts").inner_text()
    history = page.locator("section:has(h2:has-text('变更记录'))").inner_text()
    assert "管护责任人" in history and "王建国" in history and "planner_office" not in history
    assert english_on(page) == []
    assert page_errors(record) == []


def test_planner_creates_and_edits_a_martyr(live_server, browser, tmp_path):
    record = open_page(browser, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(record, live_server, add_planner(live_server))
    page = record.page
    page.goto(f"{live_server.url}/martyrs")
    page.click("text=新增烈士")
    page.wait_for_url("**/martyrs/new")
    page.locator(".divpicker select").first.wait_for()
    page.fill("input[name=name]", "赵振华")
    page.select_option("select[name=gender]", "male")
    page.fill("input[name=birth_date]", "1950")
    page.fill("input[name=death_date]", "1938年5月")
    page.fill("input[name=hometown]", "湖北省黄安县")
    page.click("button:has-text('保存')")
    error = page.locator("label:has(input[name=death_date]) .field-error")
    error.wait_for()
    assert "早于出生时间" in error.inner_text()
    page.screenshot(path=str(tmp_path / "martyr_form_refused.png"), full_page=True)
    page.fill("input[name=birth_date]", "1915年13月")
    page.click("button:has-text('保存')")
    page.locator("label:has(input[name=birth_date]) .field-error").wait_for()
    assert "没有 13 月" in page.locator("label:has(input[name=birth_date]) .field-error").inner_text()
    assert english_on(page) == []
    page.fill("input[name=birth_date]", "1915")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r".*/martyrs/\d+$"))
    facts = page.locator(".facts").inner_text()
    assert "1938-05" in facts and "1915" in facts
    page.click("text=修改烈士信息")
    page.fill("input[name=death_date]", "1938年5月12日")
    page.fill("input[name=unit]", "新四军第五师")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r".*/martyrs/\d+$"))
    assert "1938-05-12" in page.locator(".facts").inner_text()
    history = page.locator("section:has(h2:has-text('变更记录'))").inner_text()
    assert "牺牲时间" in history and "1938-05 → 1938-05-12" in history and "王建国" in history
    assert english_on(page) == []
    assert page_errors(record) == []


OPEN_POPUP_OF = """(facilityId) => window.memorialsPlanner.layers.kinds.eachLayer(l => {
    if (l.feature && l.feature.properties.id === facilityId) l.openPopup(); })"""


@pytest.mark.parametrize(("tiles", "says"), [("none", "未配置底图"), ("osm", "底图（开放街图）无法加载")])
def test_map_says_when_its_base_map_cannot_load_and_shows_the_last_patrol(demo_db_url, browser, tmp_path, tiles,
                                                                         says):
    settings = make_settings(demo_db_url, tmp_path).model_copy(update={"tiles": tiles})
    with serving(create_app(settings)) as live_server:
        _check_map(live_server, browser, tmp_path, says)


def _check_map(live_server, browser, tmp_path, says: str) -> None:  # type: ignore[no-untyped-def]
    import json

    from fastapi.testclient import TestClient

    from memorials import clock
    from tests.factories import gps_jpeg, inspection_files, inspection_json

    facility_id = live_server.demo_facility_id("421122-0010")
    inspector = live_server.add_user("inspector")
    with TestClient(live_server.app) as client:
        token = client.post("/api/v1/auth/token", data={"username": inspector, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        fac = client.get(f"/api/v1/facilities/{facility_id}", headers=headers).json()
        body = inspection_json(facility_id, performed_at=clock.now().isoformat(),
                               period=clock.now().strftime("%Y-%m"), grade="fair")
        sent = client.post("/api/v1/inspections", headers=headers, data={"inspection": json.dumps(body)},
                           files=inspection_files([gps_jpeg(fac["longitude"], fac["latitude"])]))
        assert sent.status_code == 201, sent.text
    record = open_page(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    sign_in(record, live_server, add_planner(live_server))
    page = record.page
    page.goto(f"{live_server.url}/map/frame?q=421122-0010")   # one marker, drawn unclustered
    note = page.locator("#basemap-note")
    note.wait_for(state="visible", timeout=20000)   # no tiles configured, or no internet: the tiles fail
    assert note.inner_text().startswith(says)
    assert page.locator(".leaflet-control-scale-line").count() == 1     # metric only
    assert page.locator(".leaflet-control-scale-line").inner_text().endswith(("m", "km"))
    page.wait_for_function("() => document.documentElement.dataset.mapReady === '1'")
    page.wait_for_function("(id) => { let found = false; window.memorialsPlanner.layers.kinds.eachLayer(l => {"
                           " if (l.feature && l.feature.properties.id === id) found = true; }); return found; }",
                           arg=facility_id)
    page.evaluate(OPEN_POPUP_OF, facility_id)
    page.locator(".leaflet-popup-content").wait_for(timeout=10000)
    from playwright.sync_api import expect

    popup = page.locator(".leaflet-popup-content .patrol")   # 正在读取巡查情况… until its answer comes
    expect(popup).to_have_text(f"最近巡查：{clock.today().isoformat()}，状况一般；未逾期", timeout=20000)
    page.screenshot(path=str(tmp_path / "map.png"))
    assert english_on(page) == []
    # The tile server cannot be reached from here: those failures are what the note is about.
    assert [e for e in page_errors(record) if "net::ERR_" not in e] == []


def test_patrol_figures_say_what_they_count_on_one_basis(live_server, browser, tmp_path):
    from memorials import clock

    record = open_page(browser, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(record, live_server, add_planner(live_server))
    page = record.page
    page.goto(f"{live_server.url}/inspections")
    notice = page.locator("#patrol-notice").inner_text()
    month = clock.now().strftime("%Y-%m")
    standing, due_facilities = (int(x) for x in re.search(r"在用设施 (\d+) 处，其中 (\d+) 处本期应巡查", notice).groups())
    # The demo has facilities on quarterly cycles: in the month that ends their quarter every standing
    # facility is due, in the other months some are not, and the notice says how many.
    assert due_facilities <= standing and notice.startswith(month)
    if due_facilities < standing:
        assert f"其余 {standing - due_facilities} 处巡查周期较长" in notice
    else:
        assert "巡查周期较长" not in notice
    cycles = int(re.search(r"共有 (\d+) 个到期的巡查周期", notice).group(1))
    cards = page.locator(".stats").inner_text()
    assert f"应巡查 {cycles} 个设施巡查周期" in cards and f"/{due_facilities}" in cards
    # The division picker offers the townships of the planner's county.
    page.locator(".divpicker select[data-depth='0'] option").nth(2).wait_for(state="attached")
    assert page.locator(".divpicker select[data-depth='0'] option").count() > 3
    assert english_on(page) == []
    page.screenshot(path=str(tmp_path / "inspections.png"), full_page=True)
    assert page_errors(record) == []
