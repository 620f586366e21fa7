"""A big list export goes to the job queue, as the patrol ledger does: 303 to the job's page for a browser, 202
and the job for a script, one job per list (its filters) while it is live, the file with every row of the
filtered list and its cells escaped, for those who could have asked for it; small lists still come at once."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from tests.conftest import ApiClient, make_settings
from tests.factories import DEMO_DISTRICT, OTHER_DISTRICT, facility_body, martyr_body, register_table

THRESHOLD = 5
HOSTILE = "=cmd|' /C calc'!A0"
ESCAPED = "'" + HOSTILE
HEADER = ["序号", "编号", "名称", "类型", "保护级别", "状态", "所在区划"]


@pytest.fixture
def queued_api(demo_db_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    """The app with no job worker of its own and a threshold of five rows: the test runs the jobs."""
    app = create_app(make_settings(demo_db_url, tmp_path, job_workers=0, job_threshold_rows=THRESHOLD))
    with TestClient(app) as client:
        yield ApiClient(client=client, app_engine=app.state.engine)


def _export(api: ApiClient, path: str, headers: dict[str, str], params: dict[str, str]):  # type: ignore[no-untyped-def]
    return api.get(path, params=params, headers=headers, follow_redirects=False)


def _run(api: ApiClient, headers: dict[str, str], job_id: int) -> dict:
    """Run queued jobs in this process, as a server's worker thread would, until this one is done."""
    deadline = time.monotonic() + 30
    while True:
        job = api.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        if not api.app.state.job_worker.run_once():
            time.sleep(0.05)


def _no_formulas(book) -> None:  # type: ignore[no-untyped-def]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


@pytest.mark.both_backends
def test_a_big_facility_list_is_one_job_downloaded_by_its_jurisdiction(queued_api):
    planner = queued_api.user("planner")
    made = queued_api.post("/api/v1/facilities", headers=planner,
                           json=facility_body(name=HOSTILE, kind="scattered_grave", address="@SUM(1)"))
    assert made.status_code == 201, made.text
    filters = {"kind": "scattered_grave", "division": DEMO_DISTRICT}
    listed = queued_api.get("/api/v1/facilities", params={**filters, "limit": 1000}, headers=planner).json()
    everything = queued_api.get("/api/v1/facilities", params={"limit": 1000}, headers=planner).json()
    assert THRESHOLD < listed["total"] < everything["total"]

    first = _export(queued_api, "/facilities/export.xlsx", planner, filters)
    assert first.status_code == 202, first.text
    job = first.json()
    assert first.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "facility_list" and job["label"] == "纪念设施名录" and job["state"] == "queued"
    assert job["params"]["kind"] == ["scattered_grave"] and job["params"]["division"] == DEMO_DISTRICT
    assert job["file_url"] is None
    again = _export(queued_api, "/facilities/export.xlsx", planner, filters)    # a retried click: the same job
    assert again.status_code == 202 and again.json()["id"] == job["id"]
    browser = _export(queued_api, "/facilities/export.xlsx", {**planner, "Accept": "text/html"}, filters)
    assert browser.status_code == 303 and browser.headers["location"] == f"/jobs/{job['id']}"
    other_filter = _export(queued_api, "/facilities/export.xlsx", planner, {"division": DEMO_DISTRICT})
    assert other_filter.status_code == 202 and other_filter.json()["id"] != job["id"]
    as_csv = _export(queued_api, "/facilities/export.csv", planner, filters)
    assert as_csv.status_code == 202 and as_csv.json()["id"] not in (job["id"], other_filter.json()["id"])

    page = queued_api.get(f"/jobs/{job['id']}", headers=planner)
    assert page.status_code == 200 and "纪念设施名录" in page.text and "排队中" in page.text
    assert "期间" not in page.text and DEMO_DISTRICT in page.text

    done = _run(queued_api, planner, job["id"])
    assert done["state"] == "done" and done["progress"] == 1.0, done
    assert done["result_name"] == "纪念设施名录.xlsx" and done["result_bytes"] > 0
    colleague = queued_api.user("viewer")                       # same county: could have asked for it
    download = queued_api.get(done["file_url"], headers=colleague)
    assert download.status_code == 200 and download.headers["content-type"].startswith(
        "application/vnd.openxmlformats")
    assert "filename*=utf-8''%E7%BA%AA%E5%BF%B5%E8%AE%BE%E6%96%BD%E5%90%8D%E5%BD%95.xlsx" in \
        download.headers["content-disposition"]
    outsider = queued_api.user("planner", OTHER_DISTRICT)       # the next county: as if there were no such job
    for path in (f"/api/v1/jobs/{job['id']}", done["file_url"], f"/jobs/{job['id']}"):
        assert queued_api.get(path, headers=outsider).status_code == 404, path

    book = load_workbook(io.BytesIO(download.content))
    _no_formulas(book)
    sheet = book.active
    assert sheet["A1"].value == "红安县退役军人事务局烈士纪念设施名录"
    assert "类型：零散烈士墓" in sheet["A2"].value and "区划：" in sheet["A2"].value
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$3"
    table = register_table(sheet)
    assert list(table[0]) == HEADER
    assert [r[1] for r in table[1:]] == sorted(f["code"] for f in listed["items"])   # every row, in code order
    assert {r[3] for r in table[1:]} == {"零散烈士墓"} and ESCAPED in {r[2] for r in table[1:]}

    done_csv = _run(queued_api, planner, as_csv.json()["id"])
    assert done_csv["state"] == "done" and done_csv["result_name"] == "纪念设施名录.csv", done_csv
    got = queued_api.get(done_csv["file_url"], headers=colleague)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER and len(rows) == 1 + listed["total"]
    assert ESCAPED in {r[2] for r in rows} and HOSTILE not in {r[2] for r in rows}

    fresh = _export(queued_api, "/facilities/export.xlsx", planner, filters)   # once done: a fresh export
    assert fresh.status_code == 202 and fresh.json()["id"] != job["id"]


@pytest.mark.both_backends
def test_a_small_list_still_comes_at_once(queued_api):
    planner = queued_api.user("planner")
    made = queued_api.post("/api/v1/facilities", headers=planner, json=facility_body(name=HOSTILE))
    assert made.status_code == 201, made.text
    resp = _export(queued_api, "/facilities/export.csv", planner, {"q": made.json()["code"]})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv"), resp.text
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == [ESCAPED]
    queued = _export(queued_api, "/facilities/export.csv", planner, {"q": made.json()["code"], "background": "true"})
    assert queued.status_code == 202 and queued.json()["params"]["q"] == made.json()["code"]


@pytest.mark.both_backends
def test_a_big_martyr_list_is_a_job_with_its_filters(queued_api):
    planner = queued_api.user("planner")
    for n in range(THRESHOLD + 2):
        made = queued_api.post("/api/v1/martyrs", headers=planner, json=martyr_body(
            name=f"王德{'甲乙丙丁戊己庚辛'[n]}", unit=f"{HOSTILE}测试纵队",
            death_date="1947" if n % 2 else "1948"))
        assert made.status_code == 201, made.text
    filters = {"unit": "测试纵队"}
    first = _export(queued_api, "/martyrs/export.xlsx", {**planner, "Accept": "text/html"}, filters)
    assert first.status_code == 303, first.text
    job_id = int(first.headers["location"].rsplit("/", 1)[1])
    page = queued_api.get(first.headers["location"], headers=planner)
    assert page.status_code == 200 and "烈士名录" in page.text
    again = _export(queued_api, "/martyrs/export.xlsx", planner, filters)
    assert again.status_code == 202 and again.json()["id"] == job_id
    assert again.json()["params"]["unit"] == "测试纵队" and again.json()["label"] == "烈士名录"
    narrower = _export(queued_api, "/martyrs/export.xlsx", planner, {**filters, "death_year": "1947"})
    assert narrower.status_code == 200   # three rows: under the threshold, at once
    assert len(register_table(load_workbook(io.BytesIO(narrower.content)).active)) == 1 + 3
    other = _export(queued_api, "/martyrs/export.xlsx", planner, {**filters, "background": "true", "q": "王德"})
    assert other.status_code == 202 and other.json()["id"] != job_id

    done = _run(queued_api, planner, job_id)
    assert done["state"] == "done" and done["result_name"] == "烈士名录.xlsx", done
    book = load_workbook(io.BytesIO(queued_api.get(done["file_url"], headers=queued_api.user("viewer")).content))
    _no_formulas(book)
    assert "部队：测试纵队" in book.active["A2"].value
    table = register_table(book.active)
    assert table[0][:3] == ("序号", "姓名", "曾用名") and len(table) == 1 + THRESHOLD + 2
    assert [r[1] for r in table[1:]] == sorted(r[1] for r in table[1:])     # in the list's order (name)
    assert {r[7] for r in table[1:]} == {ESCAPED + "测试纵队 · 战士"}
    outsider = queued_api.user("viewer", OTHER_DISTRICT)
    assert queued_api.get(done["file_url"], headers=outsider).status_code == 404


def test_the_list_page_export_button_leads_to_the_job_page(queued_api):
    planner = queued_api.user("planner")
    page = queued_api.get("/facilities", params={"kind": "scattered_grave"}, headers=planner)
    assert page.status_code == 200
    href = re.search(r'href="(/facilities/export\.xlsx[^"]*)">导出 Excel', page.text)
    assert href is not None and "kind=scattered_grave" in href.group(1)
    clicked = queued_api.get(href.group(1).replace("&amp;", "&"), headers={**planner, "Accept": "text/html"},
                             follow_redirects=False)
    assert clicked.status_code == 303 and clicked.headers["location"].startswith("/jobs/")
    job_page = queued_api.get(clicked.headers["location"], headers=planner)
    assert job_page.status_code == 200 and "纪念设施名录" in job_page.text

    martyrs = queued_api.get("/martyrs", params={"unit": "红军", "death_year": "1932"}, headers=planner)
    link = re.search(r'href="(/martyrs/export\.csv[^"]*)">导出 CSV', martyrs.text)
    assert link is not None and "unit=" in link.group(1) and "death_year=1932" in link.group(1)


def test_bad_export_parameters_name_the_field(queued_api):
    planner = queued_api.user("planner")
    for path, params, field in (("/martyrs/export.xlsx", {"death_year": "abc"}, "death_year"),
                                ("/martyrs/export.csv", {"background": "maybe"}, "background"),
                                ("/facilities/export.xlsx", {"background": "maybe"}, "background"),
                                ("/facilities/export.xlsx", {"kind": "castle"}, "kind")):
        resp = _export(queued_api, path, planner, params)
        assert resp.status_code == 422, (path, params, resp.text)
        assert field in resp.text, resp.text


@pytest.mark.both_backends
def test_the_server_worker_runs_a_queued_martyr_list(demo_api):
    viewer = demo_api.user("viewer")
    queued = _export(demo_api, "/martyrs/export.csv", viewer, {"background": "true"})
    assert queued.status_code == 202, queued.text
    everyone = demo_api.get("/api/v1/martyrs", params={"limit": 1000}, headers=viewer).json()
    deadline = time.monotonic() + 30
    while (job := demo_api.get(f"/api/v1/jobs/{queued.json()['id']}", headers=viewer).json())["state"] in (
            "queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job["state"] == "done" and job["result_name"] == "烈士名录.csv", job
    rows = list(csv.reader(io.StringIO(demo_api.get(job["file_url"], headers=viewer).content.decode("utf-8-sig"))))
    assert len(rows) == 1 + everyone["total"]
