"""Shared steps of the case tests: demo graves, their martyrs, evidence uploads."""

from __future__ import annotations

from datetime import timedelta

from memorials import clock
from tests.evidence.samples import pdf
from tests.factories import gps_jpeg

CENTRAL = "421122-0002"      # 红安县烈士陵园集中安葬区
LIULINHE = "421122-0011"     # 七里坪镇柳林河村零散烈士墓, two martyrs
LUOFAN = "421122-0012"       # 周德明烈士墓（罗畈村后山）, one martyr


def today() -> str:
    """A recent date no clock calls future: the bureau's yesterday (dates are checked against the machine's day)."""
    return (clock.today() - timedelta(days=1)).isoformat()


def facility(api, code: str) -> dict:  # type: ignore[no-untyped-def]
    fid = api.demo_facility_id(code)
    return api.get(f"/api/v1/facilities/{fid}", headers=api.user("admin")).json()


def current_martyrs(api, code: str) -> list[int]:  # type: ignore[no-untyped-def]
    fid = api.demo_facility_id(code)
    rows = api.get(f"/api/v1/facilities/{fid}/burials", headers=api.user("admin")).json()
    rows = rows["items"] if isinstance(rows, dict) else rows
    return [b["martyr_id"] for b in rows if b["until"] is None]


def upload(api, case_id: int, purpose: str, files: list[tuple[str, bytes, str]], martyr_id: int | None = None,  # type: ignore[no-untyped-def]
           role: str = "case_officer"):
    data = {"purpose": purpose}
    if martyr_id is not None:
        data["martyr_id"] = str(martyr_id)
    return api.post(f"/api/v1/cases/relocations/{case_id}/evidence", headers=api.user(role), data=data,
                    files=[("files", f) for f in files])


def consent_pdf() -> tuple[str, bytes, str]:
    return ("意愿书.pdf", pdf(1), "application/pdf")


def photo_at(lon: float, lat: float, name: str = "现场.jpg") -> tuple[str, bytes, str]:
    return (name, gps_jpeg(lon, lat), "image/jpeg")
