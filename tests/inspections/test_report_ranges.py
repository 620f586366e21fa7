"""Reports cover at most ``max_report_months`` months, in order, within the years the registry covers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from tests.conftest import ApiClient, make_settings

REPORTS = ["/api/v1/compliance", "/api/v1/reports/patrols.xlsx"]


def _get(api, route, first, last):  # type: ignore[no-untyped-def]
    return api.get(route, params={"division": "421122", "from": first, "to": last}, headers=api.user("viewer"))


def _problems(resp) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 422, resp.text
    return {d["loc"][-1]: d["msg"] for d in resp.json()["detail"] if d["loc"][0] == "query"}


@pytest.mark.parametrize("route", REPORTS)
def test_a_span_longer_than_the_cap_is_refused_naming_from_and_to(demo_api, route):
    problems = _problems(_get(demo_api, route, "2023-01", "2026-01"))  # 37 months
    assert set(problems) == {"from", "to"}
    assert "37 months" in problems["to"] and "at most 36" in problems["to"]
    assert _get(demo_api, route, "2023-02", "2026-01").status_code == 200  # 36 months


@pytest.mark.parametrize("route", REPORTS)
def test_to_before_from_and_years_outside_the_registry_are_refused(demo_api, route):
    assert set(_problems(_get(demo_api, route, "2026-06", "2026-01"))) == {"from", "to"}
    assert set(_problems(_get(demo_api, route, "1999-12", "2000-02"))) == {"from"}
    assert set(_problems(_get(demo_api, route, "2100-11", "2101-01"))) == {"to"}
    assert set(_problems(_get(demo_api, route, "٢٠٢٦-01", "2026-02"))) == {"from"}
    assert _get(demo_api, route, "2000-01", "2000-03").status_code == 200


def test_the_cap_is_a_setting(demo_db_url, tmp_path):
    app = create_app(make_settings(demo_db_url, tmp_path, max_report_months=2))
    with TestClient(app) as client:
        api = ApiClient(client=client, app_engine=app.state.engine)
        assert set(_problems(_get(api, "/api/v1/compliance", "2026-01", "2026-03"))) == {"from", "to"}
        assert _get(api, "/api/v1/compliance", "2026-02", "2026-03").status_code == 200


def test_the_inspections_page_falls_back_to_this_month_with_the_reason(demo_api):
    page = demo_api.get("/inspections", params={"from": "2000-01", "to": "2026-01"},
                        headers=demo_api.user("viewer"))
    assert page.status_code == 200 and "at most 36" in page.text


def test_the_cli_ledger_refuses_a_span_beyond_the_cap(demo_db_url, tmp_path):
    result = CliRunner().invoke(cli, ["report", "patrols", "--division", "421122", "--from", "2020-01", "--to",
                                      "2026-01", "--output", str(tmp_path / "l.xlsx")],
                                env={"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path),
                                     "MEMORIALS_MAX_REPORT_MONTHS": "36"})
    assert result.exit_code == 2 and "73 months" in result.output
    assert not (tmp_path / "l.xlsx").exists()
