"""Building repair projects through the API, for the tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from memorials import clock
from tests.factories import gps_jpeg

# Two demo facilities in different townships (codes: rows differ between databases).
GRAVE = "421122-0012"  # 周德明烈士墓（罗畈村后山）, 七里坪镇
MONUMENT = "421122-0007"  # 华家河镇烈士纪念亭


def project_body(facility_ids: list[int], **overrides: Any) -> dict[str, Any]:
    today = clock.today()
    body = {"title": "周德明烈士墓修缮", "kind": "maintenance", "facility_ids": facility_ids,
            "planned_start": (today - timedelta(days=30)).isoformat(),
            "planned_end": (today + timedelta(days=60)).isoformat(),
            "contractor": {"name": "红安县古建修缮有限公司（虚构）", "credit_code": "91421122MA49ABCD0M"}}
    body.update(overrides)
    return body


def facility(api, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    fid = api.demo_facility_id(code)
    return api.get(f"/api/v1/facilities/{fid}", headers=api.user("admin")).json()


def photo_taken(minutes_ago: int) -> str:
    """An EXIF capture time ``minutes_ago`` before now, in the bureau's zone (each photo its own)."""
    return (clock.now() - timedelta(minutes=minutes_ago)).strftime("%Y:%m:%d %H:%M:%S")


def after_photo(api, headers, project_id: int, fac: dict[str, Any], phase: str = "after",  # type: ignore[no-untyped-def]
                minutes_ago: int = 5, offset: float = 0.0002):
    jpeg = gps_jpeg(fac["longitude"] + offset, fac["latitude"], taken=photo_taken(minutes_ago))
    return api.post(f"/api/v1/repairs/{project_id}/evidence", headers=headers,
                    data={"phase": phase, "facility_id": str(fac["id"])},
                    files=[("files", (f"{phase}.jpg", jpeg, "image/jpeg"))])


def approve(api, project_id: int, **overrides: Any):  # type: ignore[no-untyped-def]
    body = {"to": "approved", "authority": "红安县退役军人事务局", "document_no": "红退役发〔2026〕12号",
            "date": (clock.today() - timedelta(days=20)).isoformat(), **overrides}
    return api.post(f"/api/v1/repairs/{project_id}/transitions", headers=api.user("admin"), json=body)
