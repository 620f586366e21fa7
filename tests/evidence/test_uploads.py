"""One submission's files followed once: hashed as read, decoded once, checked before any is stored; PDF documents."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import ImageFile

from evidence import documents
from evidence.documents import DAMAGED, LOCKED, NOT_A_PDF
from evidence.models import Kind
from evidence.photos import NOT_AN_IMAGE, clean_filename
from evidence.store import DiskStore, original_key, screen_key, thumb_key
from evidence.uploads import Limits, Upload, accept
from memorials.errors import ValidationProblem
from tests.evidence.samples import pdf
from tests.factories import gps_jpeg, inspection_files, inspection_json
from tests.photo_samples import jpeg

LIMITS = Limits(max_photo_bytes=25 << 20, max_pixels=60_000_000, max_document_bytes=1 << 20)
BOTH = frozenset({Kind.photo, Kind.document})


@pytest.fixture
def store(tmp_path) -> DiskStore:
    return DiskStore(tmp_path / "photos")


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """The format of every image whose pixels are decoded: by Pillow (``ImageFile.load`` with tiles still
    pending) or by libjpeg-turbo (``simplejpeg.decode_jpeg``)."""
    import simplejpeg

    seen: list[str] = []
    real = ImageFile.ImageFile.load
    real_turbo = simplejpeg.decode_jpeg

    def counting(self):  # type: ignore[no-untyped-def]
        if self.tile:
            seen.append(self.format)
        return real(self)

    def counting_turbo(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append("JPEG")
        return real_turbo(*args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    monkeypatch.setattr(simplejpeg, "decode_jpeg", counting_turbo)
    return seen


@pytest.fixture
def hashed(monkeypatch) -> list[int]:
    """The number of bytes each SHA-256 computed anywhere was fed."""
    sizes: list[int] = []
    real = hashlib.sha256

    class Counting:
        def __init__(self, data: bytes = b"") -> None:
            self._hash, self._size = real(data), len(data)
            sizes.append(0)
            self._index = len(sizes) - 1
            sizes[self._index] = self._size

        def update(self, data: bytes) -> None:
            self._hash.update(data)
            self._size += len(data)
            sizes[self._index] = self._size

        def hexdigest(self) -> str:
            return self._hash.hexdigest()

        def digest(self) -> bytes:
            return self._hash.digest()

    monkeypatch.setattr(hashlib, "sha256", Counting)
    return sizes


def upload(data: bytes, name: str = "IMG_0001.jpg") -> Upload:
    return Upload.of(name, data)


# --- one pass ---------------------------------------------------------------------


def test_a_submission_decodes_each_photo_once_and_a_retry_not_at_all(store, decodes) -> None:
    a, b = jpeg(2000, 1500), jpeg(1800, 1200)
    accepted = accept([upload(a), upload(b), upload(a)], store=store, limits=LIMITS)
    assert decodes == ["JPEG", "JPEG"]
    assert [x.sha256 for x in accepted] == [hashlib.sha256(d).hexdigest() for d in (a, b, a)]
    assert all(store.exists(k) for x in accepted for k in (original_key(x.sha256), screen_key(x.sha256),
                                                             thumb_key(x.sha256)))
    decodes.clear()
    again = accept([upload(b), upload(a)], store=store, limits=LIMITS)
    assert decodes == []  # display sizes already stored: the header suffices
    assert [x.facts for x in again] == [accepted[1].facts, accepted[0].facts]


def test_the_http_path_hashes_each_photo_once_and_decodes_it_once(demo_api, hashed, decodes) -> None:
    inspector = demo_api.user("inspector")
    photos = [gps_jpeg(114.7, 31.4, size=(1200, 900)), gps_jpeg(114.71, 31.41, size=(1200, 900))]
    resp = demo_api.post("/api/v1/inspections", headers={**inspector, "Idempotency-Key": "one-pass"},
                         data={"inspection": json.dumps(inspection_json(10))}, files=inspection_files(photos))
    assert resp.status_code == 201, resp.text
    assert sorted(s for s in hashed if s >= 10_000) == sorted(len(p) for p in photos)
    assert decodes.count("JPEG") == 2


def test_one_bad_file_refuses_the_submission_and_stores_nothing(store) -> None:
    good, cut = jpeg(1200, 900), jpeg(1200, 900, exif=None)[:5000]
    with pytest.raises(ValidationProblem) as caught:
        accept([upload(good), upload(cut, "坏.jpg")], store=store, limits=LIMITS)
    assert caught.value.field == "photos[1]" and caught.value.reason.startswith("坏.jpg: ")
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def test_upload_read_hashes_as_it_reads_and_refuses_past_the_limit() -> None:
    data = bytes(range(256)) * 10_000
    read = Upload.read(io.BytesIO(data), filename="a.jpg", max_bytes=len(data), field="photos[0]")
    assert read.data == data and read.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(ValidationProblem) as caught:
        Upload.read(io.BytesIO(data), filename="C:\\DCIM\\a.jpg", max_bytes=len(data) - 1, field="photos[3]")
    assert (caught.value.field, caught.value.reason) == ("photos[3]", "a.jpg: file is larger than 2.44 MB")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("IMG_0001.jpg", "IMG_0001.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\DCIM\\IMG_0002.jpg", "IMG_0002.jpg"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("a\x00b\x1fc\x7f\nd.jpg", "abcd.jpg"),
        ("\u2066墓碑\u2069.jpg", "墓碑.jpg"),
        ("", "photo"),
        ("../", "photo"),
        ("..", "photo"),
        ("  \x00 ", "photo"),
        ("x" * 500 + ".jpg", "x" * 196 + ".jpg"),
        ("x" * 500, "x" * 200),
    ],
)
def test_photo_filenames_are_cleaned(sent, stored):
    assert clean_filename(sent) == stored


# --- documents ----------------------------------------------------------------


def test_a_pdf_is_kept_by_its_hash_without_display_sizes(store) -> None:
    data = pdf(pages=3)
    photo = jpeg(800, 600)
    accepted = accept([upload(data, "同意书.pdf"), upload(photo)], store=store, limits=LIMITS, kinds=BOTH,
                      field="files")
    document = accepted[0]
    assert (document.kind, document.filename, document.facts.format, document.facts.pages) == \
        (Kind.document, "同意书.pdf", "PDF", 3)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    with store.open(original_key(document.sha256)) as file:
        assert file.read() == data
    assert not store.exists(screen_key(document.sha256)) and not store.exists(thumb_key(document.sha256))
    assert accepted[1].kind == Kind.photo


def test_a_pdf_where_only_photos_are_taken_is_not_an_image(store) -> None:
    with pytest.raises(ValidationProblem) as caught:
        accept([upload(pdf(), "scan.pdf")], store=store, limits=LIMITS)
    assert (caught.value.field, caught.value.reason) == ("photos[0]", f"scan.pdf: {NOT_AN_IMAGE}")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda: pdf()[:-200], DAMAGED, id="cut-off"),
        pytest.param(lambda: b"%PDF-1.7\n" + bytes(5000) + b"\n%%EOF\n", DAMAGED, id="garbage-inside"),
        pytest.param(lambda: pdf(pages=2).replace(b"/Pages", b"/Pagez"), DAMAGED, id="no-page-tree"),
        pytest.param(lambda: pdf(user_password="secret"), LOCKED, id="password"),
        pytest.param(lambda: b"GIF89a" + bytes(100), NOT_A_PDF, id="not-a-pdf"),
        pytest.param(lambda: b"", "file is empty", id="empty"),
        pytest.param(lambda: b"%PDF-1.4\n" + bytes(2 << 20) + b"%%EOF", "file is larger than 1 MB", id="too-large"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(make, reason: str) -> None:
    with pytest.raises(documents.DocumentRejected) as caught:
        documents.read_facts(make(), max_bytes=1 << 20)
    assert caught.value.reason == reason


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted() -> None:
    assert documents.read_facts(pdf(pages=2, owner_password="owner"), max_bytes=1 << 20).pages == 2


def test_the_document_size_limit_is_a_setting(tmp_path) -> None:
    from memorials.settings import Settings

    limits = Limits.of(Settings(data_dir=tmp_path, max_document_bytes=2048))
    with pytest.raises(ValidationProblem, match="larger than 2 KB"):
        accept([upload(pdf(pages=3) + bytes(2048), "big.pdf")], store=DiskStore(tmp_path / "s"), limits=limits,
               kinds=BOTH)
