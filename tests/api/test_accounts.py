"""Sign-in, sessions, CSRF, lockout, jurisdictions and the audit trail."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from memorials.db import session_factory, transaction
from memorials.models import AuditEntry, AuthToken, User
from memorials.users import set_active
from tests.factories import (
    DEMO_FACILITIES,
    OTHER_DISTRICT,
    OTHER_POINT,
    PASSWORD,
    facility_body,
    martyr_body,
)


def test_token_shape_and_expiry(api):
    api.user("viewer")
    resp = api.post("/api/v1/auth/token", data={"username": "viewer_421122", "password": PASSWORD})
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600 and len(body["access_token"]) > 30
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert api.get("/api/v1/facilities", headers=headers).status_code == 200
    with transaction(session_factory(api.app_engine, write=True)) as s:
        s.execute(update(AuthToken).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert api.get("/api/v1/facilities", headers=headers).status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(api):
    api.user("viewer")
    a = api.post("/api/v1/auth/token", data={"username": "viewer_421122", "password": "wrong-password"})
    b = api.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_repeated_failures_lock_the_account_and_are_logged(api):
    api.user("viewer")
    for _ in range(5):
        api.post("/api/v1/auth/token", data={"username": "viewer_421122", "password": "wrong-password"})
    locked = api.post("/api/v1/auth/token", data={"username": "viewer_421122", "password": PASSWORD})
    assert locked.status_code == 401
    with transaction(session_factory(api.app_engine)) as s:
        user = s.scalar(select(User).where(User.username == "viewer_421122"))
        assert user.locked_until > datetime.now(timezone.utc) + timedelta(minutes=14)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "login_locked"))
        assert entry is not None and entry.entity_id == str(user.id)
        s.execute(update(User).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
        s.commit()
    assert api.post("/api/v1/auth/token", data={"username": "viewer_421122", "password": PASSWORD}).status_code == 200


def test_disabled_user_loses_access(api):
    headers = api.user("planner")
    with transaction(session_factory(api.app_engine, write=True)) as s:
        set_active(session=s, user=s.scalar(select(User).where(User.username == "planner_421122")), active=False)
    assert api.get("/api/v1/facilities", headers=headers).status_code == 401
    assert api.post("/api/v1/auth/token", data={"username": "planner_421122", "password": PASSWORD}).status_code == 401


def _page_login(api, username):
    form = api.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    resp = api.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/map"},
                    follow_redirects=False)
    return resp


def test_page_session_cookie_and_csrf(api):
    api.user("planner")
    resp = _page_login(api, "planner_421122")
    assert resp.status_code == 303 and resp.headers["location"] == "/map"
    cookie = resp.headers["set-cookie"]
    assert "memorials_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert api.get("/facilities").status_code == 200
    # a change made with the cookie needs the session's CSRF token
    no_token = api.post("/api/v1/facilities", json=facility_body())
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    page = api.get("/").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    with_token = api.post("/api/v1/facilities", json=facility_body(), headers={"X-CSRF-Token": csrf})
    assert with_token.status_code == 201
    assert api.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    out = api.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert api.get("/facilities", follow_redirects=False).status_code == 303


def test_login_form_refuses_a_forged_form(api):
    api.user("viewer")
    resp = api.post("/login", data={"username": "viewer_421122", "password": PASSWORD, "csrf_token": "forged"},
                    follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert "memorials_session" not in resp.headers.get("set-cookie", "")


def test_login_redirect_stays_on_site(api):
    api.user("viewer")
    form = api.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    resp = api.post("/login", data={"username": "viewer_421122", "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/x"}, follow_redirects=False)
    assert resp.headers["location"] == "/"


def test_two_counties_never_see_each_other(demo_api):
    hongan = demo_api.user("planner")
    macheng = demo_api.user("planner", OTHER_DISTRICT)
    lon, lat = OTHER_POINT
    theirs = demo_api.post("/api/v1/facilities", json=facility_body(division_code=OTHER_DISTRICT, longitude=lon,
                                                                    latitude=lat), headers=macheng).json()
    their_martyr = demo_api.post("/api/v1/martyrs", json=martyr_body(division_code=OTHER_DISTRICT),
                                 headers=macheng).json()
    # Hong'an cannot find, read, change or map Macheng's records, nor create records there
    everything = demo_api.get("/api/v1/facilities?limit=1000", headers=hongan).json()
    assert theirs["id"] not in [f["id"] for f in everything["items"]] and everything["total"] == DEMO_FACILITIES
    assert demo_api.get(f"/api/v1/facilities/{theirs['id']}", headers=hongan).status_code == 404
    assert demo_api.patch(f"/api/v1/facilities/{theirs['id']}", json={"name": "x"}, headers=hongan).status_code == 404
    assert demo_api.get(f"/api/v1/martyrs/{their_martyr['id']}", headers=hongan).status_code == 404
    assert demo_api.get(f"/api/v1/audit?entity=facility&id={theirs['id']}", headers=hongan).status_code == 404
    near = demo_api.get(f"/api/v1/facilities?near={lon},{lat}&limit=1", headers=hongan).json()["items"]
    assert near[0]["id"] != theirs["id"]
    geo = demo_api.get("/api/v1/facilities?f=geojson&limit=1000", headers=hongan).json()
    assert theirs["id"] not in [f["id"] for f in geo["features"]]
    intrude = demo_api.post("/api/v1/facilities", json=facility_body(division_code=OTHER_DISTRICT, longitude=lon,
                                                                     latitude=lat), headers=hongan)
    assert intrude.status_code == 422 and "jurisdiction" in intrude.json()["detail"][0]["msg"]
    assert demo_api.get("/map/frame", headers=hongan).text.count(f'"/facilities/{theirs["id"]}"') == 0
    # and Macheng sees only its own
    assert demo_api.get("/api/v1/facilities", headers=macheng).json()["total"] == 1
    assert demo_api.get(f"/api/v1/facilities/{demo_api.demo_facility_id('421122-0001')}", headers=macheng).status_code == 404


def test_every_change_is_in_the_audit_trail(api):
    h = api.user("planner")
    fac = api.post("/api/v1/facilities", json=facility_body(name="檀树岗烈士墓"), headers=h).json()
    api.patch(f"/api/v1/facilities/{fac['id']}", json={"name": "檀树岗村烈士墓", "patrol_interval_days": 90}, headers=h)
    api.patch(f"/api/v1/facilities/{fac['id']}", json={"status": "under_repair"}, headers=h)
    api.patch(f"/api/v1/facilities/{fac['id']}", json={"status": "under_repair"}, headers=h)  # no change, no entry
    trail = api.get("/api/v1/audit", params={"entity": "facility", "id": fac["id"]}, headers=h).json()["items"]
    assert [e["action"] for e in trail] == ["status", "update", "create"]
    assert trail[0]["old"] == {"status": "in_use"} and trail[0]["new"] == {"status": "under_repair"}
    assert trail[1]["old"] == {"name": "檀树岗烈士墓", "patrol_interval_days": 30}
    assert trail[1]["new"] == {"name": "檀树岗村烈士墓", "patrol_interval_days": 90}
    assert trail[2]["new"]["name"] == "檀树岗烈士墓" and trail[2]["old"] is None
    assert all(e["username"] == "planner_421122" for e in trail)
    page = api.get(f"/facilities/{fac['id']}", headers=h).text
    assert "变更记录" in page and "檀树岗村烈士墓" in page


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE", "POST"])
def test_no_route_edits_the_audit_trail(api, method):
    h = api.user("admin")
    assert api.request(method, "/api/v1/audit", headers=h).status_code == 405


def test_pages_render_every_label(demo_api):
    h = demo_api.user("planner")
    page = demo_api.get(f"/facilities/{demo_api.demo_facility_id('421122-0044')}", headers=h).text
    assert "其他纪念设施" in page and "未定级" in page and "每 90 天" in page
    cemetery, martyr = demo_api.demo_facility_id("421122-0001"), demo_api.demo_martyr_id("张德胜")
    for path in ("/", "/facilities", f"/facilities/{cemetery}", "/martyrs", f"/martyrs/{martyr}", "/map",
                 "/inspections", "/defects", f"/audit/facility/{cemetery}"):
        assert demo_api.get(path, headers=h).status_code == 200, path
