"""A bureau's township boundary file, stored with `memorials boundaries` and drawn on the planner's map."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from api.cli import app
from memorials.db import session_factory, transaction
from memorials.models import Division

runner = CliRunner()


def _square(lon: float, lat: float, d: float = 0.02) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d],
                                                [lon, lat]]]}


def test_a_township_file_is_stored_by_its_codes(demo_db_url, tmp_path):
    env = {"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"),
           "MEMORIALS_TILES": "none"}
    path = tmp_path / "乡镇界线.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"XZQDM": "421122100000", "XZQMC": "城关镇"}, "geometry": _square(114.6, 31.28)},
        {"type": "Feature", "properties": {"XZQDM": "421122101000", "XZQMC": "七里坪镇"}, "geometry": _square(114.7, 31.4)},
    ]}, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["boundaries", str(path)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 division boundaries stored" in result.output
    engine = create_engine(demo_db_url)
    with transaction(session_factory(engine)) as s:
        stored = s.scalar(select(Division.boundary).where(Division.code == "421122101"))
    engine.dispose()
    assert stored is not None and stored["type"] == "Polygon"

    unknown = tmp_path / "wrong.geojson"
    unknown.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "某镇"}, "geometry": _square(114.6, 31.28)}]}), encoding="utf-8")
    refused = runner.invoke(app, ["boundaries", str(unknown)], env=env)
    assert refused.exit_code != 0 and "code_column" in refused.output
