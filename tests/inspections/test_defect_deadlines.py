"""A rectification deadline someone sets is today or later, in the bureau's time zone."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from tests.factories import inspection_files, inspection_json, site_photo

FACILITY = 10
CST = timezone(timedelta(hours=8))


def _today() -> date:
    return datetime.now(CST).date()


def _file(api, headers, performed_at=None, **entry):  # type: ignore[no-untyped-def]
    visit = {"performed_at": performed_at.isoformat()} if performed_at else {}
    body = inspection_json(FACILITY, checklist={"vegetation": {"result": "problem", "note": "杂草丛生", **entry}},
                           **visit)
    return api.post("/api/v1/inspections", headers=headers, data={"inspection": json.dumps(body)},
                    files=inspection_files([site_photo()]))


def test_a_checklist_deadline_in_the_past_is_refused(demo_api):
    inspector = demo_api.user("inspector")
    # filed late: a visit ten days ago, a deadline after the visit but already past
    visited = datetime.now(timezone.utc) - timedelta(days=10)
    for deadline, when in ((_today() - timedelta(days=5), visited), (_today() - timedelta(days=1), None)):
        resp = _file(demo_api, inspector, performed_at=when, deadline=deadline.isoformat())
        assert resp.status_code == 422, resp.text
        [problem] = resp.json()["detail"]
        assert problem["loc"] == ["body", "checklist.vegetation.deadline"] and "in the past" in problem["msg"]
    assert demo_api.get("/api/v1/defects", headers=inspector).json()["total"] == 0
    ok = _file(demo_api, inspector, deadline=_today().isoformat())
    assert ok.status_code == 201, ok.text
    assert ok.json()["defects_opened"][0]["deadline"] == _today().isoformat()


def test_a_changed_deadline_in_the_past_is_refused(demo_api):
    inspector, planner = demo_api.user("inspector"), demo_api.user("planner")
    visited = datetime.now(timezone.utc) - timedelta(days=100)
    defect = _file(demo_api, inspector, performed_at=visited).json()["defects_opened"][0]
    assert defect["overdue"] is True                   # its default deadline has passed: that is allowed
    url = f"/api/v1/defects/{defect['id']}"
    resp = demo_api.patch(url, json={"deadline": (_today() - timedelta(days=1)).isoformat()}, headers=planner)
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "deadline"]
    # the deadline it has may be sent back unchanged with other changes
    same = demo_api.patch(url, json={"deadline": defect["deadline"], "responsible_person": "王主任"}, headers=planner)
    assert same.status_code == 200 and same.json()["responsible_person"] == "王主任"
    # a later deadline is an extension: it needs a reason (issue 11)
    unexplained = demo_api.patch(url, json={"deadline": _today().isoformat()}, headers=planner)
    assert unexplained.status_code == 422 and unexplained.json()["detail"][0]["loc"] == ["body", "deadline_reason"]
    today = demo_api.patch(url, json={"deadline": _today().isoformat(), "deadline_reason": "材料未到"}, headers=planner)
    assert today.status_code == 200 and today.json()["overdue"] is False
