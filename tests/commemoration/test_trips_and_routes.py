"""Cross-region trips with their numbered letter (PDF), and the day's route through the API."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf

from memorials import clock
from tests.commemoration.helpers import make_event, make_slot


def _trip(api, **overrides):  # type: ignore[no-untyped-def]
    body = {"martyr_name": "陈家宝", "destination_name": "沈阳抗美援朝烈士陵园", "destination_place": "辽宁省沈阳市皇姑区",
            "receiving_bureau": "沈阳市退役军人事务局", "receiving_division_code": "210100",
            "people": [{"name": "陈国强", "relation": "侄子"}, {"name": "陈丽", "relation": "侄孙女"}],
            "depart_on": (clock.today() + timedelta(days=5)).isoformat(),
            "return_on": (clock.today() + timedelta(days=8)).isoformat(), **overrides}
    return api.post("/api/v1/trips", headers=api.user("organizer"), json=body)


def test_a_trip_gets_a_numbered_letter_in_chinese(demo_api):
    first, second = _trip(demo_api), _trip(demo_api, martyr_name="王<b>某&")
    assert first.status_code == 201 and second.status_code == 201, first.text
    year = clock.today().year
    numbers = [first.json()["letter_no"], second.json()["letter_no"]]
    assert numbers[0].startswith(f"红安县退役军人事务局介〔{year}〕") and numbers[0] != numbers[1]
    resp = demo_api.get(f"/api/v1/trips/{second.json()['id']}/letter.pdf", headers=demo_api.user("viewer"))
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(resp.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("介绍信", "红安县退役军人事务局", "沈阳市退役军人事务局", "王<b>某&", "陈国强", "沈阳抗美援朝烈士陵园",
                     numbers[1]):
        assert expected in text.replace("\n", ""), expected
    assert b"/FontFile2" in resp.content  # the CJK font travels inside the PDF (see tests/commemoration/test_letters.py)


def test_trip_input_and_outcome(demo_api):
    assert _trip(demo_api, people=[]).status_code == 422
    backwards = _trip(demo_api, return_on=clock.today().isoformat())
    assert backwards.status_code == 422 and "return_on" in backwards.text
    trip = _trip(demo_api).json()
    url = f"/api/v1/trips/{trip['id']}"
    organizer = demo_api.user("organizer")
    assert demo_api.patch(url, headers=organizer, json={"status": "completed"}).status_code == 422
    done = demo_api.patch(url, headers=organizer, json={"status": "completed", "outcome": "顺利祭扫，接待热情"})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert demo_api.get(url, headers=demo_api.user("organizer", "420602")).status_code == 404


def test_the_days_route_keeps_the_booked_slots(demo_api):
    event = make_event(demo_api)
    a, b, c = event["facility_ids"]
    make_slot(demo_api, event, c, start="08:30", end="09:30")   # the grave first: its slot is early
    make_slot(demo_api, event, a, start="14:00", end="15:00")   # the cemetery last
    resp = demo_api.get(f"/api/v1/events/{event['id']}/route", headers=demo_api.user("viewer"))
    assert resp.status_code == 200, resp.text
    route = resp.json()
    assert route["feasible"] and [leg["facility_id"] for leg in route["legs"]][0] == c
    assert route["legs"][-1]["facility_id"] == a and route["legs"][-1]["start"] >= "14:00"
    assert route["total_m"] > 0
    # Road distances from a routing engine replace straight lines.
    n = 4
    roads = [[0.0 if i == j else 50_000.0 for j in range(n)] for i in range(n)]
    on_roads = demo_api.post(f"/api/v1/events/{event['id']}/route", headers=demo_api.user("viewer"),
                             json={"matrix_m": roads, "round_trip": False})
    assert on_roads.status_code == 200, on_roads.text
    assert on_roads.json()["total_m"] == 150_000.0
    assert demo_api.post(f"/api/v1/events/{event['id']}/route", headers=demo_api.user("viewer"),
                         json={"matrix_m": [[0.0]]}).status_code == 422
    page = demo_api.get(f"/events/{event['id']}/route", headers=demo_api.user("viewer"))
    assert page.status_code == 200 and "参观路线" in page.text
    assert b in [leg["facility_id"] for leg in route["legs"]]
