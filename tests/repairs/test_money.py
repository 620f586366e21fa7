"""Budget lines, adjustments and expenditures: exact to the fen, refused beyond the approved total."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2 as httpx
import pytest

from memorials import clock
from tests.factories import PASSWORD
from tests.repairs.helpers import GRAVE, MONUMENT, approve, facility, project_body


def _approved_project(api, facility_ids) -> int:  # type: ignore[no-untyped-def]
    pid = api.post("/api/v1/repairs", headers=api.user("planner"), json=project_body(facility_ids)).json()["id"]
    assert approve(api, pid).status_code == 200
    return pid


def _spend(api, pid, amount, **extra):  # type: ignore[no-untyped-def]
    body = {"date": clock.today().isoformat(), "amount": amount, "payee": "红安县古建修缮有限公司（虚构）",
            "invoice_no": "No.00012345", "purpose": "墓碑修补材料", **extra}
    return api.post(f"/api/v1/repairs/{pid}/expenditures", headers=api.user("planner"), json=body)


@pytest.mark.both_backends
def test_amounts_are_exact_and_spending_stops_at_the_approved_total(demo_api):
    planner, admin = demo_api.user("planner"), demo_api.user("admin")
    grave = facility(demo_api, GRAVE)
    pid = _approved_project(demo_api, [grave["id"]])
    lines = f"/api/v1/repairs/{pid}/budget-lines"
    year = clock.today().year
    for source, amount in (("local", "0.10"), ("central", "0.20"), ("provincial", "12345.60")):
        resp = demo_api.post(lines, headers={**planner, "Idempotency-Key": f"b-{source}"},
                             json={"source": source, "amount": amount, "document_no": "鄂财社〔2026〕8号", "year": year})
        assert resp.status_code == 201, resp.text
        assert resp.json()["amount"] == amount
    replay = demo_api.post(lines, headers={**planner, "Idempotency-Key": "b-local"},
                           json={"source": "local", "amount": "0.10", "document_no": "鄂财社〔2026〕8号", "year": year})
    assert replay.status_code == 201
    assert len(demo_api.get(lines, headers=planner).json()) == 3
    project = demo_api.get(f"/api/v1/repairs/{pid}", headers=planner).json()
    assert project["budget_total"] == "12345.90"

    assert _spend(demo_api, pid, "12345.80").status_code == 201
    assert _spend(demo_api, pid, 0.1).status_code == 201  # a JSON number is read as typed, exactly
    over = _spend(demo_api, pid, "0.01")
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"][-1] == "amount" and "12345.90" in over.json()["detail"][0]["msg"]

    adjust = f"/api/v1/repairs/{pid}/adjustments"
    body = {"source": "local", "amount": "1000.00", "reason": "发现基座沉降，增加加固工程", "document_no": "红财〔2026〕21号",
            "date": clock.today().isoformat()}
    assert demo_api.post(adjust, headers=planner, json=body).status_code == 403
    resp = demo_api.post(adjust, headers=admin, json=body)
    assert resp.status_code == 201, resp.text
    assert _spend(demo_api, pid, "0.01").status_code == 201
    project = demo_api.get(f"/api/v1/repairs/{pid}", headers=planner).json()
    assert (project["budget_total"], project["spent"], project["remaining"]) == ("13345.90", "12345.91", "999.99")
    spent = demo_api.get(f"/api/v1/repairs/{pid}/expenditures", headers=planner).json()
    assert [e["amount"] for e in spent] == ["12345.80", "0.10", "0.01"]


def test_bad_money_is_refused_naming_the_field(demo_api):
    planner = demo_api.user("planner")
    grave, monument = facility(demo_api, GRAVE), facility(demo_api, MONUMENT)
    pid = _approved_project(demo_api, [grave["id"], monument["id"]])
    lines = f"/api/v1/repairs/{pid}/budget-lines"
    year = clock.today().year
    for body, field in (({"source": "local", "amount": "0", "year": year}, "amount"),
                        ({"source": "local", "amount": "-5.00", "year": year}, "amount"),
                        ({"source": "local", "amount": "1.234", "year": year}, "amount"),
                        ({"source": "local", "amount": "abc", "year": year}, "amount"),
                        ({"source": "lottery", "amount": "5.00", "year": year}, "source"),
                        ({"source": "local", "amount": "5.00", "year": 1800}, "year")):
        resp = demo_api.post(lines, headers=planner, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["detail"][0]["loc"][-1] == field, (body, resp.json())
    demo_api.post(lines, headers=planner, json={"source": "local", "amount": "500.00", "year": year})
    today = clock.today()
    for extra, field in (({"amount": "0.00"}, "amount"), ({"amount": "-1.00"}, "amount"),
                         ({"date": (today + timedelta(days=1)).isoformat()}, "date"),
                         ({"date": (today - timedelta(days=60)).isoformat()}, "date"),
                         ({"facility_id": None}, "facility_id")):
        body = {"amount": "10.00", "facility_id": grave["id"], **extra}
        if body["facility_id"] is None:
            del body["facility_id"]
        resp = _spend(demo_api, pid, body.pop("amount"), **body)
        assert resp.status_code == 422, (extra, resp.text)
        assert resp.json()["detail"][0]["loc"][-1] == field, (extra, resp.json())
    proposed = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([grave["id"]])).json()["id"]
    assert _spend(demo_api, proposed, "1.00").status_code == 422


@pytest.mark.both_backends
def test_payments_racing_each_other_never_pass_the_total(live_server):
    def token(role: str) -> dict[str, str]:
        name = live_server.add_user(role)
        resp = httpx.post(f"{live_server.url}/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    planner, admin = token("planner"), token("admin")
    fid = live_server.demo_facility_id(GRAVE)
    url = f"{live_server.url}/api/v1/repairs"
    pid = httpx.post(url, headers=planner, json=project_body([fid])).json()["id"]
    resp = httpx.post(f"{url}/{pid}/transitions", headers=admin,
                      json={"to": "approved", "authority": "红安县退役军人事务局", "document_no": "红退役发〔2026〕1号",
                            "date": clock.today().isoformat()})
    assert resp.status_code == 200, resp.text
    httpx.post(f"{url}/{pid}/budget-lines", headers=planner,
               json={"source": "local", "amount": "1000.00", "year": clock.today().year})

    def pay(i: int) -> int:
        return httpx.post(f"{url}/{pid}/expenditures", headers=planner, timeout=60,
                          json={"date": clock.today().isoformat(), "amount": "300.00", "payee": "某公司",
                                "invoice_no": f"INV-{i}", "purpose": "分期付款"}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(pay, range(6)))
    assert codes == [201, 201, 201, 422, 422, 422]
    assert httpx.get(f"{url}/{pid}", headers=planner).json()["spent"] == "900.00"
