"""Sending photos and documents: by hash, to those who may see an owner, from any store."""

from __future__ import annotations

import json

from evidence.documents import check as check_document
from evidence.models import Kind
from evidence.service import attach
from evidence.store import DiskStore
from evidence.uploads import Accepted
from memorials.db import session_factory, transaction
from tests.evidence.samples import pdf
from tests.factories import OTHER_DISTRICT, gps_jpeg, inspection_files, inspection_json

FACILITY = 10  # a statue in 上新集镇 (demo district)


def _file(client, headers, facility_id, photos):
    return client.post("/api/v1/inspections", headers=headers,
                       data={"inspection": json.dumps(inspection_json(facility_id))}, files=inspection_files(photos))


def test_photo_routes_accept_any_case_and_answer_404_for_malformed_hashes(demo_api):
    inspector = demo_api.user("inspector")
    photo = gps_jpeg(114.68, 31.38)
    digest = _file(demo_api, inspector, FACILITY, [photo]).json()["photos"][0]["sha256"]
    for size in ("original", "thumb", "screen"):
        upper = demo_api.get(f"/api/v1/photos/{digest.upper()}/{size}", headers=inspector)
        assert upper.status_code == 200, (size, upper.text)
    assert demo_api.get(f"/api/v1/photos/{digest.upper()}/original", headers=inspector).content == photo
    for bad in ("zz" * 32, digest[:63], digest + "0", digest[:62] + "\u00e9\u00e9", "..%2F" * 13, "%00" * 64):
        resp = demo_api.get(f"/api/v1/photos/{bad}/original", headers=inspector)
        assert resp.status_code in (404, 422), (bad, resp.status_code)


def test_a_document_is_sent_whole_as_a_download_and_has_no_display_sizes(demo_api):
    inspector = demo_api.user("inspector")
    inspection = _file(demo_api, inspector, FACILITY, [gps_jpeg(114.681, 31.381)]).json()
    data = pdf(pages=2)
    document = check_document(data, max_bytes=1 << 20)
    document.keep(demo_api.client.app.state.evidence_store)
    with transaction(session_factory(demo_api.app_engine, write=True)) as session:
        rows = attach(session=session, owner_type="inspection", owner_id=inspection["id"],
                      accepted=[Accepted("迁葬同意书.pdf", Kind.document, document.facts)])
        assert [r.position for r in rows] == [1]  # after the inspection's photo
    sha = document.facts.sha256
    sent = demo_api.get(f"/api/v1/attachments/{sha}", headers=inspector)
    assert sent.status_code == 200 and sent.content == data
    assert sent.headers["content-type"] == "application/pdf" and sent.headers["content-length"] == str(len(data))
    assert sent.headers["content-disposition"].startswith("attachment; filename*=UTF-8''%E8%BF%81")
    assert demo_api.get(f"/api/v1/photos/{sha}/thumb", headers=inspector).status_code == 404
    outsider = demo_api.user("viewer", OTHER_DISTRICT)
    assert demo_api.get(f"/api/v1/attachments/{sha}", headers=outsider).status_code == 404
    photo = inspection["photos"][0]["sha256"]
    original = demo_api.get(f"/api/v1/attachments/{photo}", headers=inspector)
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert "content-disposition" not in original.headers


class BucketLikeStore(DiskStore):
    """A store whose bytes clients fetch from elsewhere (as a presigned S3 URL would be)."""

    def url(self, key: str) -> str | None:
        return f"https://bucket.invalid/{key}?signature=x"


def test_a_store_with_its_own_urls_is_redirected_to(demo_api):
    inspector = demo_api.user("inspector")
    sha = _file(demo_api, inspector, FACILITY, [gps_jpeg(114.682, 31.382)]).json()["photos"][0]["sha256"]
    app = demo_api.client.app
    app.state.evidence_store = BucketLikeStore(app.state.evidence_store.root)
    resp = demo_api.get(f"/api/v1/photos/{sha}/screen", headers=inspector, follow_redirects=False)
    assert resp.status_code == 307 and resp.headers["location"] == f"https://bucket.invalid/screen/{sha}.jpg?signature=x"
