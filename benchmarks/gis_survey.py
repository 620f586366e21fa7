"""Survey-file import and spatial analysis, timed: `python -m benchmarks.gis_survey [--points N]`.

1. A GBK Shapefile of N scattered graves in CGCS2000 3-degree zone 38 (no
   .cpg), imported into a fresh SQLite registry through `memorials import`'s
   code path (one savepoint per record, the same checks as the API).
2. The geometry side of the analysis on 100,000 synthetic points in one
   county-sized area: clusters (STRtree + union-find), nearest of 100 cemeteries,
   and a 500 m corridor along a 30 km road.
Prints the figures; nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def _shapefile(folder: Path, n: int) -> Path:
    import geopandas
    import pyogrio
    from pyproj import Transformer
    from shapely.geometry import Point

    rng = random.Random(1)
    to_zone = Transformer.from_crs(4490, 4526, always_xy=True)
    lons = [114.45 + rng.random() * 0.3 for _ in range(n)]
    lats = [31.25 + rng.random() * 0.25 for _ in range(n)]
    frame = geopandas.GeoDataFrame({
        "编号": [f"BENCH-{i:06d}" for i in range(n)], "名称": [f"测试烈士墓{i}" for i in range(n)],
        "类型": ["零散烈士墓"] * n, "行政区划代码": ["421122"] * n,
    }, geometry=[Point(*to_zone.transform(x, y)) for x, y in zip(lons, lats)], crs="EPSG:4526")
    path = folder / "graves.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    return path


def import_figures(n: int) -> None:
    from memorials.actors import SYSTEM
    from memorials.bootstrap import prepare_database
    from memorials.db import create_db_engine, session_factory, transaction
    from memorials.importing import import_survey

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _shapefile(folder, n)
        engine = create_db_engine(f"sqlite:///{folder / 'bench.db'}")
        prepare_database(engine)
        start = time.perf_counter()
        with transaction(session_factory(engine, write=True)) as session:
            report = import_survey(session=session, path=path, actor=SYSTEM)
        took = time.perf_counter() - start
        start = time.perf_counter()
        with transaction(session_factory(engine, write=True)) as session:
            again = import_survey(session=session, path=path, actor=SYSTEM)
        rerun = time.perf_counter() - start
        engine.dispose()
    print(f"import {n} GBK shapefile points (zone 38): {report.created} added in {took:.1f} s "
          f"({n / took:.0f} rows/s); re-run {again.skipped} skipped in {rerun:.1f} s")


def analysis_figures() -> None:
    from shapely.geometry import LineString

    from gis import analysis

    rng = random.Random(2)
    points = [(i, 114.4 + rng.random() * 0.4, 31.2 + rng.random() * 0.4) for i in range(100_000)]
    cemeteries = [(10**6 + i, 114.4 + rng.random() * 0.4, 31.2 + rng.random() * 0.4) for i in range(100)]
    road = LineString([(114.45, 31.25), (114.75, 31.35)])
    for name, run in (
        ("clusters at 50 m", lambda: analysis.clusters(points, distance_m=50)),
        ("nearest of 100 cemeteries", lambda: analysis.nearest(points, cemeteries)),
        ("within 500 m of a 30 km road", lambda: analysis.within(points, road, buffer_m=500)),
    ):
        start = time.perf_counter()
        result = run()
        print(f"{name}, 100,000 points: {(time.perf_counter() - start) * 1000:.0f} ms ({len(result)} results)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()
    import_figures(args.points)
    analysis_figures()


if __name__ == "__main__":
    main()
