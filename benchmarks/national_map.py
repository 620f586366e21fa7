"""The whole registry on one map at national scale, four ways, in headless Chromium.

A SQLite registry gets N synthetic facilities (``memorials demo --synthetic``:
real counties, patrols, defects). Then, in one run, each map is opened in
Debian's Chromium (Playwright) signed in as a national admin, and measured
with the DevTools protocol: bytes on the wire (every response, headers
included, as sent), time until the map has drawn its data, when the main
thread settled (the end of the last long task, none for 1 s after), and
the JavaScript heap after a garbage collection.

- naive: one ``folium.Marker`` per facility (capped: it takes minutes; the
  figures are scaled linearly to N and say so);
- FastMarkerCluster: ``folium.plugins.FastMarkerCluster`` with every point;
- previous map: what ``/map/frame`` served before (every facility embedded, clustered
  in the browser, no compression);
- planner map: today's ``/map/frame``, a shell whose layers fetch GeoJSON
  by viewport (cold: first request after the server started; warm: the next
  browser, the server's cache filled).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import folium
import uvicorn
from folium.plugins import FastMarkerCluster
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from api.main import create_app
from api.mapdata import facility_markers
from api.static import vendor_mounts
from maps.facilities import facility_map, render_html
from maps.tiles import TILES
from memorials.actors import SYSTEM
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo.synthetic import load_synthetic
from memorials.facilities import FacilityQuery
from memorials.models import Facility
from memorials.settings import Settings
from memorials.users import create_user

TITLE = "National map: 100,000 facilities in the browser"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-password-123"
LONGTASKS = """
window.__longtasks = [];
new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__longtasks.push([e.startTime, e.duration]); });
}).observe({type: 'longtask', buffered: true});
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("national_map")
    group.add_argument("--map-facilities", type=int, default=100_000, help="synthetic facilities (default 100000)")
    group.add_argument("--naive-cap", type=int, default=5_000,
                       help="facilities the naive one-Marker-each map draws (scaled to N; default 5000)")


@contextmanager
def _serve(app):  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _pages(url: str, cap: int) -> tuple[dict[str, str], dict[str, float]]:
    """The three embedded maps' HTML, and the server seconds each took to build."""
    engine = create_db_engine(url)
    seconds: dict[str, float] = {}
    with transaction(session_factory(engine)) as session:
        rows = session.execute(select(Facility.latitude, Facility.longitude, Facility.name).order_by(Facility.id)).all()
        start = time.perf_counter()
        markers = facility_markers(session=session, actor=SYSTEM, query=FacilityQuery())
        current = render_html(facility_map(markers, tiles=TILES["none"], facility_url="/facilities/{id}",
                                           popup_url="/map/popup/{id}"))
        seconds["previous"] = time.perf_counter() - start
    engine.dispose()
    start = time.perf_counter()
    naive = folium.Map(location=[35, 105], zoom_start=5, tiles=None)
    for lat, lon, name in rows[:cap]:
        folium.Marker([lat, lon], tooltip=name).add_to(naive)
    naive_html = render_html(naive)
    seconds["naive"] = time.perf_counter() - start
    start = time.perf_counter()
    fast = folium.Map(location=[35, 105], zoom_start=5, tiles=None)
    fast.options["maxZoom"] = 18  # clustering needs it; folium sets it only with tiles
    # Its default callback draws awesome-markers icons, a plugin this app does not serve: plain markers instead.
    FastMarkerCluster([[lat, lon] for lat, lon, _ in rows],
                      callback="function (row) { return L.marker(new L.LatLng(row[0], row[1])); }").add_to(fast)
    fast_html = render_html(fast)
    seconds["fast"] = time.perf_counter() - start
    return {"naive": naive_html, "fast": fast_html, "previous": current}, seconds


def _measure(browser, url: str, ready: str, *, login: str | None = None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    if login:
        page.goto(f"{login}/login")
        page.fill("input[name=username]", "bench_admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{login}/")
    page.add_init_script(LONGTASKS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    cdp = context.new_cdp_session(page)
    wire = {"bytes": 0}
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__("bytes", wire["bytes"] + e["encodedDataLength"]))
    cdp.send("Network.enable")
    cdp.send("Performance.enable")
    page.goto(url, wait_until="load", timeout=600_000)
    page.wait_for_function(ready, timeout=600_000, polling=100)
    drawn = page.evaluate("() => performance.now()")
    last_seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 1.0:
        count = page.evaluate("() => window.__longtasks.length")
        if count != last_seen:
            last_seen, quiet_since = count, time.monotonic()
        time.sleep(0.1)
    settled = page.evaluate("() => Math.max(0, ...window.__longtasks.map(t => t[0] + t[1]))")
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    if errors:
        raise RuntimeError(f"{url}: the page failed, its figures would mean nothing: {errors[:3]}")
    out = {"wire": wire["bytes"], "drawn_ms": drawn, "settled_ms": max(settled, drawn),
           "heap_mb": metrics["JSHeapUsedSize"] / 1e6}
    context.close()
    return out


def run(args: argparse.Namespace) -> str:
    from playwright.sync_api import sync_playwright

    count, cap = args.map_facilities, min(args.naive_cap, args.map_facilities)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'national.db'}"
        engine = create_db_engine(url)
        prepare_database(engine)
        start = time.perf_counter()
        with transaction(session_factory(engine, write=True)) as session:
            load_synthetic(session, count=count, seed=7, months=1)
            create_user(session=session, username="bench_admin", password=PASSWORD, role="admin", jurisdiction="")
        filled = time.perf_counter() - start
        engine.dispose()
        html, build = _pages(url, cap)
        old = Starlette(routes=[*[Route(f"/{k}", (lambda body: lambda request: HTMLResponse(body))(v))
                                  for k, v in html.items()],
                                *[Mount(prefix, StaticFiles(directory=d)) for prefix, d, _ in vendor_mounts()]])
        app = create_app(Settings(database_url=url, data_dir=Path(tmp), tiles="none"))
        results: dict[str, dict[str, float]] = {}
        with _serve(old) as old_url, _serve(app) as new_url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                        "--enable-precise-memory-info"])
            clustered = "() => document.readyState === 'complete'"
            results["naive"] = _measure(browser, f"{old_url}/naive", clustered)
            results["fast"] = _measure(browser, f"{old_url}/fast", clustered)
            results["previous"] = _measure(browser, f"{old_url}/previous", clustered)
            ready = ("() => document.documentElement.dataset.mapReady === '1' && "
                     "document.documentElement.dataset.mapPending === '0'")
            results["planner (cold server)"] = _measure(browser, f"{new_url}/map/frame", ready, login=new_url)
            results["planner (warm server)"] = _measure(browser, f"{new_url}/map/frame", ready, login=new_url)
            browser.close()
    scale = count / cap
    gz = {k: len(gzip.compress(v.encode(), 6)) for k, v in html.items()}
    lines = [
        f"{count:,} synthetic facilities (`memorials demo --synthetic {count} --months 1 --seed 7`, filled in {filled:.0f} s: "
        "real counties, one month of patrols (~80% patrolled), open defects), a 1280×800 window, Chromium headless, no base map. "
        "Wire = every response as sent (headers included); drawn = the page's data on the map; settled = end of "
        "the last long task on the main thread; heap = JS heap after a GC.",
        "",
        "| map | page built on the server | wire | drawn | main thread settled | JS heap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in [("naive", f"naive `folium.Marker` × {cap:,} (measured at the cap)"),
                       ("fast", "`FastMarkerCluster`"), ("previous", "previous `/map/frame` (embedded, clustered)"),
                       ("planner (cold server)", "planner map, cold server"),
                       ("planner (warm server)", "planner map, warm server")]:
        r = results[key]
        built = f"{build[key]:.1f} s" if key in build else "—"
        lines.append(f"| {label} | {built} | {r['wire'] / 1e6:.2f} MB | {r['drawn_ms'] / 1000:.1f} s | "
                     f"{r['settled_ms'] / 1000:.1f} s | {r['heap_mb']:.0f} MB |")
    naive = results["naive"]
    lines += ["", f"Naive markers scaled linearly from {cap:,} to {count:,} (×{scale:g}; they grow at least "
              f"linearly): page built ≈ {build['naive'] * scale:.0f} s, "
              f"≈ {(naive['wire'] + len(html['naive']) * (scale - 1)) / 1e6:.0f} MB, "
              f"main thread settled ≈ {naive['settled_ms'] * scale / 1000:.0f} s, heap ≈ "
              f"{naive['heap_mb'] * scale:.0f} MB."]
    lines += ["", "The embedded pages gzipped would be: " + ", ".join(
        f"{k} {v / 1e6:.2f} MB" for k, v in gz.items()) + " (they were served uncompressed, as the previous map was).",
              "Targets for the planner map: < 3 MB on the wire, drawn < 2 s, settled < 3 s, heap < 100 MB."]
    return "\n".join(lines)
