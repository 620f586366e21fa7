"""The `memorials` command on real databases and real files."""

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from gis.tables import read_table, write_xlsx
from memorials.actors import SYSTEM
from memorials.importing import import_facilities
from memorials.migrate import head_revision
from tests.factories import DEMO_FACILITIES, register_table

runner = CliRunner()


@pytest.fixture
def env(db_url, tmp_path):
    return {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none"}


def run(env, *args, input=None):
    return runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)


def test_every_command_has_help():
    for command in ("init", "demo", "serve", "import", "export", "map", "user", "user add", "user list",
                    "user disable", "user reset-password"):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_serve_keeps_connections_and_waits_for_starting_workers():
    """uvicorn's 5 s for both reset planners' kept connections and replaced workers still starting (field load)."""
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert "--keep-alive" in result.output and "--worker-healthcheck" in result.output
    assert "75" in result.output and "60" in result.output  # the defaults, shown in the help


def test_init_reports_backend_and_revision(env, backend):
    result = run(env, "init")
    assert result.exit_code == 0
    assert ("sqlite" if backend == "sqlite" else "postgresql") in result.output
    assert f"revision {head_revision()}" in result.output


def test_demo_loads_once(env):
    first = run(env, "demo", "--if-empty")
    assert f"{DEMO_FACILITIES} facilities, 120 martyrs loaded" in first.output
    assert "demo_inspector" in first.output            # the accounts, shown once
    second = run(env, "demo", "--if-empty")
    assert "not loaded" in second.output
    again = run(env, "demo")
    assert f"0 facilities, 0 martyrs loaded ({DEMO_FACILITIES + 120} already there)" in again.output
    assert "demo_inspector" not in again.output


CSV = """名称,类型,行政区划代码,经度,纬度,保护级别,地址
王家冲烈士墓,零散烈士墓,421122102,114.745,31.378,未定级,华家河镇王家冲
坏坐标烈士墓,零散烈士墓,421122102,31.378,114.745,未定级,
无名烈士墓,零散烈士墓,429999,114.745,31.378,未定级,
,零散烈士墓,421122102,114.745,31.378,未定级,
古树湾烈士墓,零散烈士墓,421122102,114.751,31.381,县级,华家河镇古树湾
"""


def test_import_reports_bad_rows_and_keeps_good_ones(env, tmp_path):
    path = tmp_path / "graves.csv"
    path.write_bytes(CSV.encode("gbk"))
    result = run(env, "import", str(path))
    assert result.exit_code == 1
    assert "5 rows: 2 added, 0 already there, 3 rejected" in result.output
    assert "line 3: longitude:" in result.output and "swapped" in result.output
    assert "line 4: division_code:" in result.output
    assert "line 5: name:" in result.output
    rerun = run(env, "import", str(path))
    assert "0 added, 2 already there, 3 rejected" in rerun.output


def test_import_reports_progress_row_by_row(session, tmp_path):
    path = tmp_path / "graves.csv"
    path.write_bytes(CSV.encode("gbk"))
    seen = []
    import_facilities(session=session, path=path, actor=SYSTEM, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 5) for i in range(1, 6)]


def test_import_xlsx_and_missing_file(env, tmp_path):
    path = tmp_path / "graves.xlsx"
    write_xlsx(path, [("设施", ["名称", "类型", "行政区划代码", "经度", "纬度"],
                       [["石门烈士墓", "scattered_grave", 421122103, 114.49, 31.285]])])
    assert "1 added" in run(env, "import", str(path)).output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result = run(env, "import", str(broken))
    assert result.exit_code == 2 and "XLSX" in result.output


def test_export_three_formats(env, tmp_path):
    run(env, "demo")
    for name in ("f.csv", "f.xlsx", "f.geojson"):
        result = run(env, "export", str(tmp_path / name), "--division", "421122101")
        assert result.exit_code == 0, result.output
    rows = list(read_table(tmp_path / "f.csv").rows)
    assert rows and all(r["division_code"].startswith("421122101") for _, r in rows)
    sheet = load_workbook(tmp_path / "f.xlsx").active       # a register: title, unit and period, header
    assert sheet["A1"].value == "红安县退役军人事务局烈士纪念设施台账"   # the division asked about names the unit
    assert [c.value for c in sheet[3]][:5] == ["序号", "登记编号", "名称", "类型", "保护级别"]
    assert len(register_table(sheet)) == len(rows) + 1 and sheet.page_setup.orientation == "landscape"
    geo = json.loads((tmp_path / "f.geojson").read_text(encoding="utf-8"))
    points = [f for f in geo["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == len(rows)  # then the demo's protection zones and footprints, each naming its facility
    assert all(f["properties"]["geometry_role"] in ("protection_zone", "footprint")
               for f in geo["features"][len(points):])
    # the exports read back in without duplicates
    assert "0 added" in run(env, "import", str(tmp_path / "f.xlsx")).output
    assert "0 added" in run(env, "import", str(tmp_path / "f.csv")).output


def test_map_is_standalone(env, tmp_path):
    run(env, "demo")
    out = tmp_path / "map.html"
    result = run(env, "map", str(out), "--division", "421122")
    assert f"{DEMO_FACILITIES} facilities drawn" in result.output
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page and "cdn" not in page.lower()


def test_users(env):
    assert run(env, "user", "add", "zhang", "--role", "inspector", "--division", "421122101",
               "--password", "long-enough-pw").exit_code == 0
    prompted = run(env, "user", "add", "li", "--role", "viewer", "--division", "421122",
                   input="secret-pass-1\nsecret-pass-1\n")
    assert prompted.exit_code == 0
    bad = run(env, "user", "add", "wang", "--role", "boss", "--division", "421122", "--password", "long-enough-pw")
    assert bad.exit_code == 2 and "role" in bad.output
    listing = run(env, "user", "list").output
    assert "zhang" in listing and "inspector" in listing and "421122101" in listing
    assert run(env, "user", "disable", "zhang").exit_code == 0
    assert "no" in run(env, "user", "list").output
    assert run(env, "user", "reset-password", "li", "--password", "another-pass-2").exit_code == 0
    assert run(env, "user", "disable", "nobody").exit_code == 2
