"""The case pages' forms refuse bad input in Chinese, naming the field, with no English left over."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse


def _error(resp) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == 303, resp.text
    return parse_qs(urlparse(resp.headers["location"]).query).get("error", [""])[0]


def test_malformed_consent_and_transition_forms_answer_in_chinese(demo_api):
    officer = demo_api.user("case_officer")
    martyr_id = demo_api.demo_martyr_id("张德胜")
    case = demo_api.post("/api/v1/cases/relocations", headers=officer, json={
        "kind": "cross_region", "martyr_ids": [martyr_id], "receiving_division_code": "411523",
        "receiving_bureau": "新县退役军人事务局", "receiving_place": "新县烈士陵园"}).json()
    path = f"/cases/relocations/{case['id']}"
    cases = [
        (f"{path}/consents", {"martyr_id": str(martyr_id), "decision": "agree", "date": "去年"}, "日期"),
        (f"{path}/consents", {"martyr_id": str(martyr_id), "decision": "maybe"}, "亲属意愿"),
        (f"{path}/consents", {"martyr_id": str(martyr_id), "decision": "agree", "date": "2026-01-02"}, "决定人"),
        (f"{path}/transitions", {"to": "nowhere"}, "操作"),
    ]
    for url, form, field in cases:
        message = _error(demo_api.post(url, data=form, headers=officer, follow_redirects=False))
        assert message and field in message, (form, message)
        assert not re.search(r"[A-Za-z]{4,}", message), (form, message)
