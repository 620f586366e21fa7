"""How much mobile data one patrol uses: three original 12 MP photos, the page and the offline pack.

The page sends photos as taken (the original carries the EXIF proof: time and
position), so a patrol's upload is the photos' own size plus a few kilobytes.
Measured through the real app (TestClient, SQLite, the demo district): the
multipart body exactly as the page builds it (JSON part and three photo
parts), the answer, the offline pack of a county, and the page with its files
(downloaded once, then kept by the service worker).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

TITLE = "Mobile data of one patrol (three original 12 MP photos)"
PAGE_FILES = ("/inspect", "/static/app/inspect.js", "/static/app/inspect-outbox.js", "/static/app/app.css",
              "/inspect-sw.js", "/inspect.webmanifest", "/static/app/offline.html", "/static/app/favicon.svg")


def run(args: argparse.Namespace) -> str:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from benchmarks.photo_ingest import _variant, make_photo
    from inspections.checklist import CHECKLIST
    from memorials.db import create_db_engine, session_factory, transaction
    from memorials.demo import load_demo
    from memorials.settings import Settings
    from memorials.users import create_user

    photos = [_variant(make_photo(seed, 1), seed) for seed in range(3)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'data.db'}", tiles="none")
        with TestClient(create_app(settings)) as client:
            engine = create_db_engine(settings.resolved_database_url())
            with transaction(session_factory(engine, write=True)) as session:
                load_demo(session)
                create_user(session=session, username="data_inspector", password="Bench-photo-2026!",
                            role="inspector", jurisdiction="421122")
            engine.dispose()
            token = client.post("/api/v1/auth/token", data={"username": "data_inspector",
                                                             "password": "Bench-photo-2026!"}).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            body = {"facility_id": 10, "level": "patrol", "performed_at": datetime.now(timezone.utc).isoformat(),
                    "checklist": {i.key: {"result": "ok"} for i in CHECKLIST}, "grade": "good", "notes": "",
                    "position": {"longitude": 114.62, "latitude": 31.29, "crs": "wgs84", "accuracy_m": 8},
                    "accuracy_confirmed": False, "unverified_reason": None,
                    "photos": [{"position": {"longitude": 114.62, "latitude": 31.29, "crs": "wgs84",
                                             "accuracy_m": 8}, "item": None}] * 3, "resolves": []}
            files = [("photos", (f"IMG_2026040{i}_0930{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
            request = client.build_request("POST", "/api/v1/inspections", headers=auth,
                                           data={"inspection": json.dumps(body)}, files=files)
            upload = len(request.read())
            answer = client.send(request)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /api/v1/inspections answered {answer.status_code}: {answer.text}")
            pack = client.get("/api/v1/patrol-pack", headers=auth)
            facilities = len(pack.json()["facilities"])
            client.cookies.clear()
            page_bytes = 0
            for path in PAGE_FILES:
                resp = client.get(path, headers=auth)
                page_bytes += len(resp.content)
    originals = sum(len(p) for p in photos)
    total = upload + len(answer.content)
    mb = 1024 * 1024
    return "\n".join([
        f"- Three synthetic 12 MP JPEGs (4000×3000, quality 90, EXIF with GPS; `benchmarks.photo_ingest.make_photo`): "
        f"{', '.join(f'{len(p) / mb:.2f}' for p in photos)} MB, {originals / mb:.2f} MB together.",
        f"- Upload of the patrol (multipart body as the page sends it): {upload / mb:.2f} MB, of which "
        f"{(upload - originals) / 1024:.1f} KB is not photo bytes (JSON, part headers); the answer "
        f"{len(answer.content) / 1024:.1f} KB. One patrol: {total / mb:.2f} MB.",
        f"- Offline pack of the demo county ({facilities} facilities, refreshed each time the page opens online): "
        f"{len(pack.content) / 1024:.1f} KB.",
        f"- The page and its files, downloaded once and then kept by the service worker: {page_bytes / 1024:.1f} KB "
        "(sent again only when their version changes).",
    ])
