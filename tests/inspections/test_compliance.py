"""Compliance in facility-months, the published figures, interval rules, and the ledger."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app as cli
from inspections.cycles import month_index, months_per_cycle, period_of
from tests.factories import DEMO_FACILITIES, inspection_files, inspection_json, register_table, site_photo

pytestmark = pytest.mark.both_backends

CST = timezone(timedelta(hours=8))
TOWNSHIP = "421122104"   # 上新集镇


def _months_back(n: int) -> list[str]:
    """The n whole months before the current one, oldest first."""
    now = datetime.now(CST)
    current = now.year * 12 + now.month - 1
    return [period_of(i) for i in range(current - n, current)]


def _last_half_year() -> list[str]:
    now = datetime.now(CST)
    current = now.year * 12 + now.month - 1
    end = (current // 6) * 6 - 1          # the last month of the previous half-year
    return [period_of(i) for i in range(end - 5, end + 1)]


def _visit(api, headers, facility_id, period, level="patrol", day=10):
    when = datetime(int(period[:4]), int(period[5:]), day, 9, 30, tzinfo=CST)
    body = inspection_json(facility_id, level=level, performed_at=when.isoformat(), period=period,
                           checklist={"structure": {"result": "ok"}}, grade="good")
    resp = api.post("/api/v1/inspections", headers=headers, data={"inspection": json.dumps(body)},
                    files=inspection_files([site_photo()]))
    assert resp.status_code == 201, resp.text


@pytest.fixture
def township(demo_api):
    viewer = demo_api.user("viewer")
    items = demo_api.get(f"/api/v1/facilities?division={TOWNSHIP}&status=in_use,under_repair&limit=100",
                         headers=viewer).json()["items"]
    assert len(items) >= 3
    return items


def test_half_year_figures_and_overdue(demo_api, township):
    inspector = demo_api.user("inspector")
    planner = demo_api.user("planner")
    months = _months_back(6)
    a, b, c = township[0], township[1], township[2]
    demo_api.patch(f"/api/v1/facilities/{c['id']}", json={"patrol_interval_days": 90}, headers=planner)
    for period in months:                      # A: every month, twice in the first
        _visit(demo_api, inspector, a["id"], period)
    _visit(demo_api, inspector, a["id"], months[0], day=20)
    for period in (months[0], months[1], months[3]):   # B: three months out of six
        _visit(demo_api, inspector, b["id"], period)
    _visit(demo_api, inspector, c["id"], months[4])   # C: quarterly, once

    resp = demo_api.get("/api/v1/compliance", params={"division": TOWNSHIP, "from": months[0], "to": months[-1]},
                        headers=demo_api.user("viewer"))
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["from"] == months[0] and out["to"] == months[-1] and out["level"] == "patrol"
    rows = {f["id"]: f for f in out["facilities"]}
    assert (rows[a["id"]]["due"], rows[a["id"]]["done"], rows[a["id"]]["overdue_days"]) == (6, 6, 0)
    assert (rows[b["id"]]["due"], rows[b["id"]]["done"]) == (6, 3)
    # C's quarters: cycles of three calendar months that end inside the span
    m = months_per_cycle(90)
    ends = [i for i in range(month_index(months[0]), month_index(months[-1]) + 1) if i % m == m - 1]
    c_done = sum(1 for e in ends if e - m + 1 <= month_index(months[4]) <= e)
    assert (rows[c["id"]]["due"], rows[c["id"]]["done"]) == (len(ends), c_done)
    others = [f for f in township if f["id"] not in (a["id"], b["id"], c["id"])]
    expected_due = 6 + 6 + len(ends) + sum(6 // months_per_cycle(f["patrol_interval_days"]) for f in others)
    assert out["due"] == expected_due
    assert out["done"] == 6 + 3 + c_done
    assert out["rate"] == round(out["done"] / out["due"], 4)
    assert out["inspections"] == 6 + 1 + 3 + 1            # "N patrols in the half-year"
    assert out["facilities_complete"] == 1 + (c_done == len(ends))
    # B was last seen in the fourth month: overdue by the days past 30 since then
    last = date(int(months[3][:4]), int(months[3][5:]), 10)
    end = min(date.today(), date(int(months[-1][:4]), int(months[-1][5:]), 28) + timedelta(days=4))
    assert rows[b["id"]]["last_inspected"] == last.isoformat()
    assert abs(rows[b["id"]]["overdue_days"] - (end - last).days + 30) <= 3
    never = [f for f in out["facilities"] if f["last_inspected"] is None]
    assert never and all(f["overdue_days"] > 100 for f in never)


def test_county_breakdown_by_township(demo_api):
    months = _months_back(1)
    out = demo_api.get("/api/v1/compliance", params={"division": "421122", "from": months[0], "to": months[0]},
                       headers=demo_api.user("viewer")).json()
    names = {d["name"] for d in out["divisions"]}
    assert "七里坪镇" in names and "上新集镇" in names
    assert sum(d["facilities"] for d in out["divisions"]) == len(out["facilities"])
    assert all(f["division_code"].startswith("421122") for f in out["facilities"])
    assert len(out["facilities"]) == DEMO_FACILITIES - 3           # relocated graves are no longer due


def test_county_checks_follow_their_own_interval_and_rules(demo_api, township):
    admin = demo_api.user("admin", "")
    half = _last_half_year()
    inspector = demo_api.user("inspector")
    _visit(demo_api, inspector, township[0]["id"], half[2], level="county_check")
    params = {"division": TOWNSHIP, "from": half[0], "to": half[-1], "level": "county_check"}
    out = demo_api.get("/api/v1/compliance", params=params, headers=admin).json()
    assert {f["due"] for f in out["facilities"]} == {1}
    assert out["done"] == 1 and out["facilities_complete"] == 1
    # county checks of statues every quarter: now two are due in the half-year
    rule = demo_api.put("/api/v1/interval-rules", json={"level": "county_check", "kind": township[0]["kind"],
                                                         "days": 91}, headers=admin)
    assert rule.status_code == 200, rule.text
    out = demo_api.get("/api/v1/compliance", params=params, headers=admin).json()
    row = next(f for f in out["facilities"] if f["id"] == township[0]["id"])
    assert (row["interval_days"], row["due"], row["done"]) == (91, 2, 1)
    # a county planner may not set a nationwide kind rule, but may set a facility's
    planner = demo_api.user("planner")
    assert demo_api.put("/api/v1/interval-rules", json={"level": "county_check", "kind": "statue", "days": 30},
                        headers=planner).status_code == 422
    assert demo_api.put("/api/v1/interval-rules", json={"level": "county_check", "facility_id": township[0]["id"],
                                                         "days": 182}, headers=planner).status_code == 200


def test_patrol_rule_for_a_kind_sets_the_facilities_interval(demo_api):
    planner = demo_api.user("planner")
    resp = demo_api.put("/api/v1/interval-rules", json={"level": "patrol", "kind": "scattered_grave", "days": 60},
                        headers=planner)
    assert resp.status_code == 200 and len(resp.json()) == 32
    graves = demo_api.get("/api/v1/facilities?kind=scattered_grave&limit=100", headers=planner).json()["items"]
    assert {g["patrol_interval_days"] for g in graves} == {60}
    trail = demo_api.get("/api/v1/audit", params={"entity": "facility", "id": graves[0]["id"]},
                         headers=planner).json()["items"]
    assert trail[0]["new"] == {"patrol_interval_days": 60}


def test_bad_compliance_queries(demo_api):
    viewer = demo_api.user("viewer")
    for params, field in (({"division": "421122", "from": "2026-13", "to": "2026-06"}, "from"),
                          ({"division": "421122", "from": "2026-06", "to": "2026-01"}, "from"),
                          ({"division": "42112", "from": "2026-01", "to": "2026-06"}, "division"),
                          ({"from": "2026-01", "to": "2026-06"}, "division")):
        resp = demo_api.get("/api/v1/compliance", params=params, headers=viewer)
        assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == field


def test_ledger_download_and_cli(demo_api, demo_db_url, tmp_path):
    months = _months_back(2)
    inspector = demo_api.user("inspector")
    _visit(demo_api, inspector, 10, months[0])
    problem = inspection_json(10, performed_at=datetime(int(months[1][:4]), int(months[1][5:]), 5, 10,
                                                        tzinfo=CST).isoformat(), period=months[1])
    demo_api.post("/api/v1/inspections", headers=inspector, data={"inspection": json.dumps(problem)},
                  files=inspection_files([site_photo()]))
    resp = demo_api.get("/api/v1/reports/patrols.xlsx", params={"division": "421122", "from": months[0],
                                                                 "to": months[1]}, headers=demo_api.user("viewer"))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    path = tmp_path / "download.xlsx"
    path.write_bytes(resp.content)
    book = load_workbook(path)
    assert book.sheetnames == ["巡查记录", "六个一", "乡镇汇总", "按月汇总", "整改清单", "照片附录"]
    records = register_table(book["巡查记录"])
    assert records[0][:5] == ("序号", "巡查日期", "所属月份", "设施编号", "设施名称")
    assert len(records) == 3 and records[2][9] == "墓前杂草丛生" and records[2][8] == "一般"
    summary = register_table(book["按月汇总"])
    assert summary[0][5:7] == (f"{months[0]}巡查次数", f"{months[1]}巡查次数")   # one row per facility, a column a month
    assert len(summary) == 1 + (DEMO_FACILITIES - 3) + 1
    assert register_table(book["整改清单"])[1][3] == "植被侵害"
    out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(cli, ["report", "patrols", "--division", "421122", "--from", months[0], "--to",
                                      months[1], "--output", str(out)],
                                env={"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "2 inspections written" in result.output
    assert register_table(load_workbook(out)["巡查记录"])[1][3] == "421122-0010"
    bad = CliRunner().invoke(cli, ["report", "patrols", "--division", "421122", "--from", "2026-7", "--to",
                                   "2026-08", "--output", str(out)],
                             env={"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path)})
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_a_kept_division_report_follows_every_change(demo_api, township):
    """The divisions report is kept between requests, and a new patrol, a facility's new interval or a new rule
    each give the new figures at once (those of the facilities report, which is never kept)."""
    viewer, inspector = demo_api.user("viewer"), demo_api.user("inspector")
    month = _months_back(1)[0]
    township_row = lambda out: next(d for d in out["divisions"] if d["code"] == TOWNSHIP)  # noqa: E731

    def report(level: str = "patrol", detail: str = "divisions") -> dict:
        resp = demo_api.get("/api/v1/compliance", headers=viewer, params={
            "division": "421122", "from": month, "to": month, "detail": detail, "level": level})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def same_as_fresh(level: str = "patrol") -> dict:
        kept, fresh = report(level), report(level, "facilities")
        assert kept["divisions"] == fresh["divisions"]
        assert {k: v for k, v in kept.items() if k not in ("facilities", "detail")} == {
            k: v for k, v in fresh.items() if k not in ("facilities", "detail")}
        return kept

    before = same_as_fresh()
    assert report() == before  # kept: the same answer
    monthly = [f for f in township if f["patrol_interval_days"] == 30]
    _visit(demo_api, inspector, monthly[0]["id"], month)
    after = same_as_fresh()
    assert (after["done"], after["inspections"]) == (before["done"] + 1, before["inspections"] + 1)
    assert township_row(after)["done"] == township_row(before)["done"] + 1
    demo_api.patch(f"/api/v1/facilities/{monthly[1]['id']}", json={"patrol_interval_days": 365},
                   headers=demo_api.user("planner"))
    yearly = same_as_fresh()
    assert yearly["due"] == after["due"] - (not month.endswith("-12"))  # a year's cycle ends in December
    checks = same_as_fresh("county_check")
    put = demo_api.put("/api/v1/interval-rules", headers=demo_api.user("admin"),
                       json={"level": "county_check", "facility_id": monthly[2]["id"], "days": 30})
    assert put.status_code == 200, put.text
    ruled = same_as_fresh("county_check")
    assert ruled["due"] >= checks["due"] and (ruled["due"] > checks["due"] or month[5:] in ("06", "12"))
