"""Hostile text in every registry field runs nowhere: pages, maps, tooltips, popups, history.

The browser here ignores the Content-Security-Policy (``bypass_csp``), so
what is proven is that every text is escaped by construction; the policy
is a second wall, checked on its own at the end.
"""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest

from tests.browser.conftest import open_page, sign_in
from tests.factories import (
    DEMO_TOWNSHIP,
    PASSWORD,
    facility_body,
    inspection_files,
    inspection_json,
    martyr_body,
    site_photo,
)

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=window.__xss(1)>",
    "\"><svg onload=window.__xss(2)>",
    "</script><script>window.__xss(3)</script>",
    "'-window.__xss(4)-'",
    "<a href=javascript:window.__xss(5)>x</a>",
]


def _text(n: int) -> str:
    return f"红安XSS{n}" + PAYLOADS[n % len(PAYLOADS)]


def _seed(server) -> dict[str, int]:  # type: ignore[no-untyped-def]
    admin = server.add_user("admin", name="xss_admin")
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post("/api/v1/auth/token", data={"username": admin, "password": PASSWORD}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        facility = client.post("/api/v1/facilities", headers=h, json=facility_body(
            name=_text(0), address=_text(1), custodian=_text(2), description=_text(3),
            division_code=DEMO_TOWNSHIP))
        assert facility.status_code == 201, facility.text
        fid = facility.json()["id"]
        martyr = client.post("/api/v1/martyrs", headers=h, json=martyr_body(
            name="张XSS", name_variants=_text(4), hometown=_text(0), unit=_text(1), rank=_text(2),
            place_of_death=_text(3), battle=_text(4), biography=_text(0), certificate_no="鄂XSS<b>1</b>"))
        assert martyr.status_code == 201, martyr.text
        mid = martyr.json()["id"]
        burial = client.post(f"/api/v1/facilities/{fid}/burials", headers=h,
                             json={"martyr_id": mid, "plot": _text(1)})
        assert burial.status_code == 201, burial.text
        relative = client.post(f"/api/v1/martyrs/{mid}/relatives", headers=h,
                               json={"name": "李XSS", "relation": PAYLOADS[0], "address": _text(3), "phone": "13800001111"})
        assert relative.status_code == 201, relative.text
        patched = client.patch(f"/api/v1/facilities/{fid}", headers=h, json={"description": _text(4)})
        assert patched.status_code == 200, patched.text
        body = inspection_json(fid, notes=_text(0), checklist={
            "structure": {"result": "ok"},
            "vegetation": {"result": "problem", "note": _text(1), "responsible_person": _text(2)},
        })
        inspection = client.post("/api/v1/inspections", headers=h, data={"inspection": json.dumps(body)},
                                 files=inspection_files([site_photo()]))
        assert inspection.status_code == 201, inspection.text
    return {"facility": fid, "martyr": mid, "inspection": inspection.json()["id"], "admin": admin}


INJECTED = """() => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            if (attr.name.startsWith('on') || /^\\s*javascript:/i.test(attr.value)) bad.push(el.outerHTML.slice(0, 120));
        }
    }
    for (const s of document.querySelectorAll('script')) {
        if (s.textContent.trim().startsWith('window.__xss')) bad.push(s.outerHTML.slice(0, 120));
    }
    return bad;
}"""


def _injected(page) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for frame in page.frames:
        frame.wait_for_load_state("load")
        found += frame.evaluate(INJECTED)
    return found


SHOW_OUR_MARKER = """(fid) => fetch('/api/v1/facilities/' + fid).then(r => r.json()).then(f => {
    window.memorialsPlanner.map.setView([f.latitude, f.longitude], 18, {animate: false});
})"""


def test_no_registry_text_runs_as_script_on_any_page(live_server, browser):
    ids = _seed(live_server)
    record = open_page(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = record.page
    fired: list[str] = []
    page.expose_function("__xss", lambda n: fired.append(str(n)))
    page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    sign_in(record, live_server, ids["admin"])
    fid, mid = ids["facility"], ids["martyr"]
    paths = ["/", "/facilities", f"/facilities?q={_text(0)}", f"/facilities/{fid}", "/martyrs", "/martyrs?q=张XSS",
             f"/martyrs/{mid}", f"/martyrs/{mid}/relatives", f"/audit/facility/{fid}", f"/audit/martyr/{mid}",
             "/inspections", f"/inspections/{ids['inspection']}", "/defects", "/inspect", "/map",
             f"/map/point/{fid}"]
    for path in paths:
        page.goto(live_server.url + path)
        assert _injected(page) == [], path
    page.goto(f"{live_server.url}/map/frame")
    page.wait_for_function("() => document.documentElement.dataset.mapReady === '1'")
    page.evaluate(SHOW_OUR_MARKER, fid)
    page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('zoom=18'))"
                           " && document.documentElement.dataset.mapPending === '0'")
    page.wait_for_function("() => { const p = window.memorialsPlanner; let found = null;"
                           " p.layers.kinds.eachLayer(l => { if (l.feature && l.feature.properties.id === %d) found = l; });"
                           " window.__ours = found; return found && found._map; }" % fid)  # a wait with a timeout
    page.evaluate("() => window.__ours.openTooltip()")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "onerror" in tooltip.inner_text()  # shown as text, not run
    assert _injected(page) == []
    page.evaluate("() => window.__ours.openPopup()")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "红安XSS0" in popup.inner_text()
    assert _injected(page) == []
    assert fired == []


def test_the_policy_blocks_an_inline_script_that_escaped(live_server, browser):
    """Under the real policy a page's own inline script without the nonce does not run."""
    record = open_page(browser, viewport={"width": 800, "height": 600})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/facilities")
    ran = page.evaluate("""() => new Promise((resolve) => {
        window.__ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
        setTimeout(() => resolve(window.__ran), 0);
    })""")
    assert ran is False
    assert any("Content Security Policy" in e for e in record.errors)
