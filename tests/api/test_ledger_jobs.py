"""A big patrol ledger goes to the job queue: 202 and the job, the same job for the same request, progress, the
file for those who could have asked for it, the job's page, and a workbook that opens with its rows escaped."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from memorials import clock
from tests.conftest import ApiClient, make_settings
from tests.factories import (
    DEMO_DISTRICT,
    OTHER_DISTRICT,
    facility_body,
    inspection_files,
    inspection_json,
    register_table,
    site_photo,
)


@pytest.fixture
def queued_api(demo_db_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    """The app with no job worker of its own and every ledger sent to the queue: the test runs the jobs."""
    app = create_app(make_settings(demo_db_url, tmp_path, job_workers=0, job_threshold_rows=0))
    with TestClient(app) as client:
        yield ApiClient(client=client, app_engine=app.state.engine)


def _month() -> str:
    return clock.now().strftime("%Y-%m")


def _ask(api: ApiClient, headers: dict[str, str], **extra: str):  # type: ignore[no-untyped-def]
    month = _month()
    return api.get("/api/v1/reports/patrols.xlsx", params={"division": DEMO_DISTRICT, "from": month, "to": month,
                                                           **extra}, headers=headers, follow_redirects=False)


def _wait_done(api: ApiClient, headers: dict[str, str], job_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_big_ledger_is_queued_once_and_downloaded_by_its_jurisdiction(queued_api):
    planner = queued_api.user("planner")
    made = queued_api.post("/api/v1/facilities", headers=planner,
                           json=facility_body(name="=1+1烈士墓", custodian_person="@SUM(1)"))
    assert made.status_code == 201, made.text
    now = clock.now()
    body = inspection_json(made.json()["id"], performed_at=now.isoformat(), period=now.strftime("%Y-%m"),
                           notes="=HYPERLINK(\"http://x\",\"y\")",
                           checklist={"structure": {"result": "problem", "note": "-1+1 碑身裂缝"}})
    sent = queued_api.post("/api/v1/inspections", headers=queued_api.user("inspector"),
                           data={"inspection": json.dumps(body)}, files=inspection_files([site_photo()]))
    assert sent.status_code == 201, sent.text

    first = _ask(queued_api, planner)
    assert first.status_code == 202, first.text
    job = first.json()
    assert first.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["state"] == "queued" and job["label"] == "巡查台账" and job["file_url"] is None
    assert "base_url" not in job["params"] and job["params"]["division"] == DEMO_DISTRICT
    again = _ask(queued_api, planner)                       # a retried request: the same job, not a second one
    assert again.status_code == 202 and again.json()["id"] == job["id"]
    assert queued_api.get(f"/api/v1/jobs/{job['id']}/file", headers=planner).status_code == 409

    browser = _ask(queued_api, {**planner, "Accept": "text/html"}, background="true")
    assert browser.status_code == 303 and browser.headers["location"] == f"/jobs/{job['id']}"
    page = queued_api.get(f"/jobs/{job['id']}", headers=planner)
    assert page.status_code == 200 and "巡查台账" in page.text and "排队中" in page.text
    assert '<script src="/static/app/job.js"></script>' in page.text
    assert queued_api.get("/static/app/job.js").status_code == 200

    assert queued_api.app.state.job_worker.run_once() is True
    done = _wait_done(queued_api, planner, job["id"])
    assert done["state"] == "done" and done["progress"] == 1.0 and done["result_bytes"] > 0
    assert done["result_name"] == f"巡查台账_{DEMO_DISTRICT}_{_month()}_{_month()}.xlsx"

    colleague = queued_api.user("viewer")                     # same county, could have asked for it
    download = queued_api.get(done["file_url"], headers=colleague)
    assert download.status_code == 200 and download.headers["content-type"].startswith(
        "application/vnd.openxmlformats")
    outsider = queued_api.user("planner", OTHER_DISTRICT)     # the next county: as if there were no such job
    for path in (f"/api/v1/jobs/{job['id']}", done["file_url"], f"/jobs/{job['id']}"):
        assert queued_api.get(path, headers=outsider).status_code == 404, path

    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["巡查记录", "六个一", "乡镇汇总", "按月汇总", "整改清单", "照片附录"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    records = register_table(book["巡查记录"])
    ours = next(r for r in records[1:] if r[4] == "'=1+1烈士墓")
    assert ours[9] == "'-1+1 碑身裂缝" and ours[15] == "'=HYPERLINK(\"http://x\",\"y\")"
    summary = register_table(book["按月汇总"])
    assert len(summary) == len(register_table(book["六个一"])) + 1   # a row per facility, and the totals
    assert any(r[2] == "'=1+1烈士墓" and r[5] == 1 for r in summary[1:])

    fresh = _ask(queued_api, planner)                         # once done, asking again makes a fresh report
    assert fresh.status_code == 202 and fresh.json()["id"] != job["id"]


def test_a_small_ledger_still_comes_at_once(demo_api):
    resp = _ask(demo_api, demo_api.user("viewer"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_the_job_worker_of_the_server_runs_a_queued_ledger(demo_api):
    viewer = demo_api.user("viewer")
    job = _ask(demo_api, viewer, background="true")
    assert job.status_code == 202, job.text
    done = _wait_done(demo_api, viewer, job.json()["id"])
    assert done["state"] == "done", done
    assert demo_api.get(done["file_url"], headers=viewer).status_code == 200


def test_national_compliance_drills_down_by_province(demo_api):
    admin = demo_api.user("admin", "")
    month = _month()
    whole = demo_api.get("/api/v1/compliance", params={"division": "", "from": month, "to": month},
                         headers=admin).json()
    top = demo_api.get("/api/v1/compliance", params={"division": "", "from": month, "to": month,
                                                     "detail": "divisions"}, headers=admin)
    assert top.status_code == 200, top.text
    top = top.json()
    assert top["detail"] == "divisions" and top["facilities"] == []
    assert [d["code"] for d in top["divisions"]] == ["420000"] and top["due"] == whole["due"]
    assert whole["detail"] == "facilities" and len(whole["facilities"]) == top["divisions"][0]["facilities"]
    province = demo_api.get("/api/v1/compliance", params={"division": "42", "from": month, "to": month,
                                                          "detail": "divisions"}, headers=admin).json()
    assert [d["code"] for d in province["divisions"]] == ["421100"]
    bad = demo_api.get("/api/v1/compliance", params={"division": "", "from": month, "to": month,
                                                     "detail": "everything"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "detail"


def test_the_patrol_page_drills_down_above_a_county(demo_api):
    admin = demo_api.user("admin", "")
    month = _month()
    province = demo_api.get("/inspections", params={"division": "42", "from": month, "to": month}, headers=admin)
    assert province.status_code == 200
    assert 'division=421100">' in province.text and 'id="drill-note"' in province.text
    county = demo_api.get("/inspections", params={"division": DEMO_DISTRICT, "from": month, "to": month},
                          headers=admin)
    assert county.status_code == 200 and 'id="drill-note"' not in county.text and "逾期天数" in county.text
