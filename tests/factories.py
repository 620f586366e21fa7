"""Builders of valid request bodies and constants shared by tests."""

from __future__ import annotations

import itertools
from typing import Any

PASSWORD = "correct-horse-battery"
DEMO_DISTRICT = "421122"        # 湖北省黄冈市红安县
DEMO_TOWNSHIP = "421122101"     # 七里坪镇
OTHER_DISTRICT = "421181"       # 麻城市, the next county
OTHER_POINT = (115.008, 31.173)  # inside 麻城市

_counter = itertools.count(1)


def facility_body(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body = {
        "name": f"测试烈士墓{n}",
        "kind": "scattered_grave",
        "division_code": DEMO_TOWNSHIP,
        "longitude": 114.70 + n * 0.0005,
        "latitude": 31.45,
        "address": "红安县七里坪镇",
        "custodian": "七里坪镇退役军人服务站",
    }
    body.update(overrides)
    return body


def martyr_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "王德才",
        "gender": "male",
        "ethnicity": "汉族",
        "birth_date": "1910",
        "death_date": "1932-08",
        "hometown": "湖北省黄安县",
        "unit": "中国工农红军第四方面军",
        "rank": "战士",
        "division_code": DEMO_DISTRICT,
    }
    body.update(overrides)
    return body


def gps_jpeg(lon: float | None, lat: float | None, *, taken: str | None = None, size=(400, 300),
             orientation: int | None = None) -> bytes:
    """A real JPEG with EXIF capture time and (when given) GPS, as a phone writes it."""
    from tests.photo_samples import exif_block, jpeg

    if taken is None:  # a moment ago, as the phone's clock says (no fixed date that ages out of windows)
        from datetime import datetime, timedelta, timezone

        taken = (datetime.now(timezone(timedelta(hours=8))) - timedelta(minutes=5)).strftime("%Y:%m:%d %H:%M:%S")
    kwargs: dict[str, Any] = {"original": taken, "offset": "+08:00"}
    if lon is not None and lat is not None:
        kwargs.update(lon=lon, lat=lat)
    if orientation is not None:
        kwargs["orientation"] = orientation
    return jpeg(*size, exif=exif_block(**kwargs))


def full_checklist(answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every checklist item answered (the API refuses fewer): ``ok`` unless ``answers`` says otherwise."""
    from inspections.checklist import ITEMS

    return {**{key: {"result": "ok"} for key in ITEMS}, **(answers or {})}


def inspection_json(facility_id: int, *, complete: bool = True, **overrides: Any) -> dict[str, Any]:
    """A patrol's JSON; a partial ``checklist`` is completed with ``ok`` answers unless ``complete=False``."""
    from datetime import datetime, timezone

    body: dict[str, Any] = {
        "facility_id": facility_id,
        "level": "patrol",
        "performed_at": datetime.now(timezone.utc).isoformat(),
        "checklist": {"vegetation": {"result": "problem", "note": "墓前杂草丛生"}},
        "grade": "fair",
        "notes": "",
    }
    body.update(overrides)
    if complete:
        body["checklist"] = full_checklist(body["checklist"])
    return body


def site_photo() -> bytes:
    """A geotagged camera photo somewhere in the demo district: a patrol needs one (it may be ``far``)."""
    return gps_jpeg(114.62, 31.29)


def inspection_files(photos: list[bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (f"IMG_{i:04d}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]

DEMO_FACILITIES = 44  # facilities in memorials/demo/facilities.csv


def repair_body(**overrides: Any) -> dict[str, Any]:
    """A repair project's body (``POST /api/v1/repairs``) for demo facility 10 unless told otherwise."""
    body: dict[str, Any] = {"title": "纪念碑修缮（测试）", "kind": "maintenance", "facility_ids": [10],
                            "planned_start": "2026-01-01", "planned_end": "2026-12-31",
                            "contractor": {"name": "某建筑公司（虚构）"}}
    body.update(overrides)
    return body


def register_table(sheet) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The table of a register sheet (gis.registers.write_register): its column header and rows, without
    the title lines above and the signature lines below."""
    rows = list(sheet.values)[2:]
    end = next((n for n, row in enumerate(rows) if all(v in (None, "") for v in row)), len(rows))
    return rows[:end]
