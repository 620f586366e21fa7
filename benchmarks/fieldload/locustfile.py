"""Locust users of the field load test: inspectors filing patrols with photos, planners browsing.

Not a benchmark module by itself (it has no ``run``): ``benchmarks/field_load.py``
prepares the registry, the accounts and the photos, writes a plan (JSON) and
runs ``locust -f benchmarks/fieldload/locustfile.py --headless`` with
``MEMORIALS_LOAD_PLAN`` naming that plan. Each simulated person signs in once
with an account of its own and then:

* **inspector** (one county each): fetches the patrol pack its phone keeps,
  then files a patrol of one of the county's facilities with its photos
  (12 MP JPEGs whose EXIF carries a capture time and a GPS position a few
  tens of metres from the facility, so the location proof passes; each
  photo's bytes are new), an ``Idempotency-Key`` per submission as the
  page sends, and syncs its pack again; it thinks ``think.inspector``
  seconds between patrols (and first waits up to that long, so that 200
  phones do not all send at the same second).
* **planner** (one province each): signs in through the login page (cookie
  session) and clicks, ``think.planner`` seconds apart, through the
  facility list pages, facility pages, the map's data for a viewport and
  the API's bounding-box list.

A patrol answered 201 whose photos are not all ``verified`` counts as a
failure: the load test must exercise the location proof, not skip it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import gevent
from locust import HttpUser, between, task

from benchmarks.fieldload.photos import photo_at

PLAN = json.loads(Path(os.environ["MEMORIALS_LOAD_PLAN"]).read_text(encoding="utf-8"))
PHOTOS = [Path(p).read_bytes() for p in PLAN["photos"]]  # 12 MP templates; EXIF is rewritten per shot
CHECKLIST = PLAN["checklist"]
_accounts = {"inspector": itertools.count(), "planner": itertools.count()}
_shots = itertools.count()
_lock = threading.Lock()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _next(kind: str) -> dict:
    with _lock:
        return PLAN[kind + "s"][next(_accounts[kind]) % len(PLAN[kind + "s"])]


class Inspector(HttpUser):
    fixed_count = len(PLAN["inspectors"])
    wait_time = between(*PLAN["think"]["inspector"])

    def on_start(self) -> None:
        self.account = _next("inspector")
        self.rng = random.Random(self.account["username"])
        self.facilities = list(self.account["facilities"])
        self.rng.shuffle(self.facilities)
        self.turn = itertools.cycle(self.facilities)
        with self.client.post("/api/v1/auth/token", name="sign in (token)", catch_response=True,
                              data={"username": self.account["username"], "password": PLAN["password"]}) as resp:
            if resp.status_code != 200:
                resp.failure(f"sign-in answered {resp.status_code}: {resp.text[:200]}")
                self.stop()
                return
            self.client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.client.get("/api/v1/patrol-pack", name="patrol pack")
        gevent.sleep(self.rng.uniform(0, PLAN["think"]["inspector"][1]))  # not 200 patrols in the same second

    @task
    def file_patrol(self) -> None:
        facility_id, lon, lat = next(self.turn)
        now = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
        with _lock:
            shot = next(_shots)
        photos = []
        for i in range(PLAN["photos_per_patrol"]):  # a distinct capture second per photo and patrol
            taken = now - timedelta(minutes=10) + timedelta(seconds=(shot * PLAN["photos_per_patrol"] + i) % 590)
            photos.append(("photos", (f"IMG_{shot:05d}_{i}.jpg", photo_at(self.rng.choice(PHOTOS), lon, lat, taken, self.rng), "image/jpeg")))
        body = {
            "facility_id": facility_id, "level": "patrol", "performed_at": now.isoformat(),
            "checklist": {key: {"result": "ok"} for key in CHECKLIST}, "grade": "good",
            "notes": "负载测试巡查", "position": {"longitude": lon, "latitude": lat, "crs": "wgs84", "accuracy_m": 8},
        }
        name = f"patrol POST ({len(photos)} photos)"
        with self.client.post("/api/v1/inspections", name=name, catch_response=True,
                              headers={"Idempotency-Key": str(uuid.uuid4())},
                              data={"inspection": json.dumps(body, ensure_ascii=False)}, files=photos) as resp:
            if resp.status_code != 201:
                resp.failure(f"{resp.status_code}: {resp.text[:300]}")
                return
            answer = resp.json()
            if answer["verified_count"] != len(photos):
                resp.failure(f"location proof: {answer['verified_count']} of {len(photos)} photos verified")
                return
        self.client.get("/api/v1/patrol-pack", name="patrol pack")


class Planner(HttpUser):
    fixed_count = len(PLAN["planners"])
    wait_time = between(*PLAN["think"]["planner"])

    def on_start(self) -> None:
        self.account = _next("planner")
        self.rng = random.Random(self.account["username"])
        form = self.client.get("/login", name="page: login")
        match = CSRF.search(form.text)
        with self.client.post("/login", name="sign in (login page)", allow_redirects=False, catch_response=True,
                              data={"username": self.account["username"], "password": PLAN["password"],
                                    "csrf_token": match.group(1) if match else "", "next": "/"}) as resp:
            if resp.status_code != 303 or "failed" in resp.headers.get("location", "") or not match:
                resp.failure(f"sign-in answered {resp.status_code} → {resp.headers.get('location')}")
                self.stop()

    def _facility(self) -> list:
        return self.rng.choice(self.account["facilities"])

    @task(3)
    def facility_list(self) -> None:
        page = self.rng.choice([1, 1, 1, 2, 3])
        self.client.get(f"/facilities?division={self.account['division']}&page={page}", name="page: facility list")

    @task(3)
    def facility_page(self) -> None:
        self.client.get(f"/facilities/{self._facility()[0]}", name="page: facility")

    @task(4)
    def map_view(self) -> None:
        _, lon, lat = self._facility()
        zoom = self.rng.choice([7, 9, 11, 13])
        half = 360 / 2 ** zoom * 2  # a screen of about 1000 px wide at that zoom
        bbox = f"{lon - half:.5f},{lat - half * 0.6:.5f},{lon + half:.5f},{lat + half * 0.6:.5f}"
        self.client.get(f"/map/data?bbox={bbox}&zoom={zoom}", name="map data (bbox)")

    @task(2)
    def bbox_list(self) -> None:
        _, lon, lat = self._facility()
        bbox = f"{lon - 0.25:.5f},{lat - 0.25:.5f},{lon + 0.25:.5f},{lat + 0.25:.5f}"
        self.client.get(f"/api/v1/facilities?bbox={bbox}&limit=50", name="API: facilities in bbox")

    @task(1)
    def map_page(self) -> None:
        self.client.get("/map", name="page: map")
