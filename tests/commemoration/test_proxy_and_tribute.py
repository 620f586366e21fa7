"""Proxy visits from the family's public request to their private page; the online tribute and its moderation."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from memorials import clock
from memorials.db import session_factory, transaction
from memorials.models import User
from tests.factories import gps_jpeg
from tests.repairs.helpers import photo_taken

ACTS = ["clean_stone", "lay_flowers", "photograph", "call_family"]


def _publish(api, name: str = "张德胜") -> int:  # type: ignore[no-untyped-def]
    martyr_id = api.demo_martyr_id(name)
    resp = api.put(f"/api/v1/tribute/pages/{martyr_id}", headers=api.user("organizer"), json={"public": True})
    assert resp.status_code == 200, resp.text
    return martyr_id


def test_a_proxy_visit_from_request_to_the_familys_private_page(demo_api):
    organizer = demo_api.user("organizer")
    martyr_id = _publish(demo_api)
    # The family asks through the public form: no sign-in; a retry with the same key files it once.
    body = {"martyr_id": martyr_id, "requester_name": "张卫东", "requester_phone": "13912345678", "relation": "曾孙"}
    resp = demo_api.post("/tribute/proxy-requests", json=body, headers={"Idempotency-Key": "family-1"})
    assert resp.status_code == 201, resp.text
    again = demo_api.post("/tribute/proxy-requests", json=body, headers={"Idempotency-Key": "family-1"})
    assert again.json()["id"] == resp.json()["id"]
    visit_id = resp.json()["id"]
    bad = demo_api.post("/tribute/proxy-requests", json={**body, "requester_phone": "123"})
    assert bad.status_code == 422 and "requester_phone" in bad.text

    url = f"/api/v1/proxy-visits/{visit_id}"
    visit = demo_api.get(url, headers=organizer).json()
    assert visit["status"] == "requested" and visit["requester_phone"] == "13912345678"
    assert demo_api.get(url, headers=demo_api.user("viewer")).json()["requester_phone"] != "13912345678"
    steps = f"{url}/transitions"
    early = demo_api.post(steps, headers=organizer, json={"to": "visited", "date": clock.today().isoformat(),
                                                         "acts": ACTS})
    assert early.status_code == 409
    with transaction(session_factory(demo_api.app_engine)) as s:
        assignee = s.scalar(select(User.id).where(User.username == "organizer_421122"))
    assert demo_api.post(steps, headers=organizer, json={"to": "assigned", "assignee_id": assignee}).status_code == 200

    # The visit needs the four acts and a photo proven at the grave.
    lacking = demo_api.post(steps, headers=organizer, json={"to": "visited", "date": clock.today().isoformat(),
                                                           "acts": ACTS[:2]})
    assert lacking.status_code == 409 and "拍照留念" in lacking.json()["detail"] and "照片" in lacking.json()["detail"]
    grave = visit["facility_id"]
    fac = demo_api.get(f"/api/v1/facilities/{grave}", headers=organizer).json()
    far = demo_api.post(f"{url}/photos", headers=organizer,
                        files=[("photos", ("far.jpg", gps_jpeg(fac["longitude"] + 0.05, fac["latitude"],
                                                               taken=photo_taken(3)), "image/jpeg"))])
    assert far.status_code == 201 and far.json()[0]["verification"] == "far"
    still = demo_api.post(steps, headers=organizer, json={"to": "visited", "date": clock.today().isoformat(),
                                                         "acts": ACTS})
    assert still.status_code == 409
    near = demo_api.post(f"{url}/photos", headers=organizer,
                         files=[("photos", ("near.jpg", gps_jpeg(fac["longitude"] + 0.0002, fac["latitude"],
                                                                 taken=photo_taken(2)), "image/jpeg"))])
    assert near.status_code == 201 and near.json()[0]["verification"] == "verified"
    done = demo_api.post(steps, headers=organizer, json={"to": "visited", "date": clock.today().isoformat(),
                                                        "acts": ACTS, "call_note": "已电话告知"})
    assert done.status_code == 200, done.text
    told = demo_api.post(steps, headers=organizer, json={"to": "notified", "link_days": 30})
    assert told.status_code == 200
    link = told.json()["family_link"]
    assert re.fullmatch(r"/tribute/visits/[A-Za-z0-9_-]{40,}", link)
    assert demo_api.get(url, headers=organizer).json()["family_link"] is None  # shown once, stored as a hash

    # The family's page: the martyr, the date and the photos, nothing else; no sign-in.
    page = demo_api.get(link)
    assert page.status_code == 200 and "张德胜" in page.text and "13912345678" not in page.text
    thumbs = re.findall(r'src="(/tribute/visits/[^"]+/thumb)"', page.text)
    assert len(thumbs) == 2 and all(demo_api.get(t).headers["content-type"] == "image/jpeg" for t in thumbs)
    assert demo_api.get(thumbs[0].replace("/thumb", "/original")).status_code == 422  # no GPS-bearing originals
    assert demo_api.get(link[:-3] + "abc").status_code == 404
    listed = demo_api.get("/api/v1/proxy-visits", params={"status": "notified"}, headers=organizer).json()
    assert visit_id in [v["id"] for v in listed["items"]]


def test_a_request_for_a_martyr_without_a_public_page_is_refused(demo_api):
    hidden = demo_api.demo_martyr_id("陈国华")
    resp = demo_api.post("/tribute/proxy-requests", json={"martyr_id": hidden, "requester_name": "陈某",
                                                         "requester_phone": "13912345678", "relation": "侄孙"})
    assert resp.status_code == 422 and "martyr_id" in resp.text
    assert demo_api.get(f"/tribute/martyrs/{hidden}").status_code == 404


def test_tribute_flowers_messages_moderation_and_search(demo_api):
    martyr_id = _publish(demo_api)
    page = demo_api.get(f"/tribute/martyrs/{martyr_id}")
    assert page.status_code == 200 and "张德胜" in page.text
    first = demo_api.post(f"/tribute/martyrs/{martyr_id}/flowers").json()["flowers"]
    assert demo_api.post(f"/tribute/martyrs/{martyr_id}/flowers").json()["flowers"] == first + 1
    keyed = [demo_api.post(f"/tribute/martyrs/{martyr_id}/flowers", headers={"Idempotency-Key": "f-1"}).json()
             for _ in range(2)]
    assert keyed[0] == keyed[1] and keyed[0]["flowers"] == first + 2  # a retried flower is laid once

    text = "<script>alert(1)</script>先烈千古"
    resp = demo_api.post(f"/tribute/martyrs/{martyr_id}/messages", json={"text": text, "author": "学生"})
    assert resp.status_code == 201 and resp.json()["status"] == "pending"
    assert "先烈千古" not in demo_api.get(f"/tribute/martyrs/{martyr_id}").text  # waits for moderation
    for spam in ("加微信领取奖品", "访问 www.example.com", "联系 139 1234 5678"):
        refused = demo_api.post(f"/tribute/martyrs/{martyr_id}/messages", json={"text": spam})
        assert refused.status_code == 422 and "text" in refused.text, spam
    too_long = demo_api.post(f"/tribute/martyrs/{martyr_id}/messages", json={"text": "缅" * 301})
    assert too_long.status_code == 422

    organizer = demo_api.user("organizer")
    queue = demo_api.get("/api/v1/tribute/messages", params={"status": "pending"}, headers=organizer).json()
    mine = next(m for m in queue["items"] if m["id"] == resp.json()["id"])
    assert demo_api.get("/api/v1/tribute/messages", headers=demo_api.user("viewer")).status_code == 403
    approved = demo_api.patch(f"/api/v1/tribute/messages/{mine['id']}", headers=organizer,
                              json={"status": "approved"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    shown = demo_api.get(f"/tribute/martyrs/{martyr_id}").text
    assert "先烈千古" in shown and "<script>alert(1)</script>" not in shown and "&lt;script&gt;" in shown
    audit = demo_api.get("/api/v1/audit", params={"entity": "tribute_message", "id": mine["id"]},
                         headers=organizer).json()
    assert any(e["action"] == "moderate" for e in (audit["items"] if isinstance(audit, dict) else audit))
    assert demo_api.patch(f"/api/v1/tribute/messages/{mine['id']}", headers=organizer,
                          json={"status": "pending"}).status_code == 422

    # Nothing about relatives on the public page; search by simplified, traditional, initials and hometown.
    relatives = demo_api.get(f"/api/v1/martyrs/{martyr_id}/relatives", headers=demo_api.user("admin")).json()
    for r in relatives if isinstance(relatives, list) else relatives.get("items", []):
        assert r["name"] not in shown
    for q in ({"q": "张德胜"}, {"q": "張德勝"}, {"q": "zds"}, {"hometown": "黄安县"}, {"hometown": "红安县"}):
        found = demo_api.get("/tribute/search", params=q).text
        assert f'href="/tribute/martyrs/{martyr_id}"' in found, q
    hidden = demo_api.demo_martyr_id("陈国华")
    assert f'href="/tribute/martyrs/{hidden}"' not in demo_api.get("/tribute/search", params={"q": "陈国华"}).text


def test_public_writes_are_rate_limited(demo_api):
    martyr_id = _publish(demo_api)
    codes = [demo_api.post(f"/tribute/martyrs/{martyr_id}/messages", json={"text": f"缅怀先烈{n}"}).status_code
             for n in range(7)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]
    flowers = [demo_api.post(f"/tribute/martyrs/{martyr_id}/flowers").status_code for _ in range(25)]
    assert flowers.count(429) == 5


def test_the_years_figures_match_the_records(demo_api):
    organizer = demo_api.user("organizer")
    year = (clock.today() + timedelta(days=10)).year
    before = demo_api.get("/api/v1/commemoration/summary", params={"year": year}, headers=organizer).json()
    trip = demo_api.post("/api/v1/trips", headers=organizer, json={
        "martyr_name": "陈家宝", "destination_name": "沈阳抗美援朝烈士陵园", "receiving_bureau": "沈阳市退役军人事务局",
        "people": [{"name": "陈国强", "relation": "侄子"}, {"name": "陈丽", "relation": "侄孙女"},
                   {"name": "陈明", "relation": "侄孙"}],
        "depart_on": (clock.today() + timedelta(days=10)).isoformat(),
        "return_on": (clock.today() + timedelta(days=12)).isoformat()})
    assert trip.status_code == 201, trip.text
    from tests.commemoration.helpers import make_event, make_slot

    event = make_event(demo_api)
    slot = make_slot(demo_api, event, event["facility_ids"][0], capacity=40)
    booked = demo_api.post("/api/v1/bookings", headers=organizer,
                           json={"slot_id": slot["id"], "group_name": "红安一中", "people": 35})
    assert booked.status_code == 201, booked.text
    asked = demo_api.post("/api/v1/proxy-visits", headers=organizer, json={
        "martyr_id": demo_api.demo_martyr_id("张德胜"), "requester_name": "张卫东", "requester_phone": "13912345678",
        "relation": "曾孙"})
    assert asked.status_code == 201, asked.text
    after = demo_api.get("/api/v1/commemoration/summary", params={"year": year}, headers=organizer).json()
    assert after["trips"] == before["trips"] + 1 and after["trip_people"] == before["trip_people"] + 3
    assert after["bookings"] == before["bookings"] + 1 and after["booked_people"] == before["booked_people"] + 35
    assert after["events"] == before["events"] + 1
    if year == clock.today().year:  # proxy requests count in the year they were made
        assert after["proxy_visits"]["requested"] == before["proxy_visits"]["requested"] + 1
