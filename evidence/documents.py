"""Documents: signed consents, approval scans, reports, as PDF, checked and kept by SHA-256.

A relocation needs the family's signed consent and the approval; a repair
its acceptance report. They arrive as PDF, judged by content, never by file
name: the file must begin with ``%PDF-``, end with ``%%EOF`` (a cut upload
is refused, as a cut photo is), and pypdf must read every page of it. A file
that only opens with a password is refused: no reviewer could read it.
Documents get no display sizes (browsers show PDF themselves); the original
is kept byte for byte under ``original/<sha256>`` like a photo's.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from pypdf import PasswordType, PdfReader

from evidence.photos import in_units
from evidence.store import Store, original_key

MAGIC = b"%PDF-"
NOT_A_PDF = "not a PDF document (content does not begin with %PDF-)"
DAMAGED = "PDF document is damaged or truncated"
LOCKED = "PDF document is password-protected: send it without a password"
_EOF_WINDOW = 1024  # readers accept %%EOF within the last kilobyte


class DocumentRejected(ValueError):
    """An upload that is not a usable document; ``reason`` tells the user what to fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DocumentFacts:
    """What one accepted document is."""

    sha256: str
    format: str
    mime: str
    size_bytes: int
    pages: int


@dataclass(frozen=True)
class CheckedDocument:
    """A sound document, ready to keep: its facts and its one file."""

    facts: DocumentFacts
    files: dict[str, bytes] = field(repr=False)

    def keep(self, store: Store) -> None:
        for key, data in self.files.items():
            store.put(key, data)


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` claims to be a PDF (its first bytes).

    >>> is_pdf(b"%PDF-1.7\\n"), is_pdf(b"\\xff\\xd8\\xff")
    (True, False)
    """
    return data.startswith(MAGIC)


def read_facts(data: bytes, *, max_bytes: int, sha256: str | None = None) -> DocumentFacts:
    """Check that ``data`` is a sound PDF of at most ``max_bytes`` and count its pages.

    Raises
    ------
    DocumentRejected
        Empty, too large, not a PDF, cut off, damaged, or locked by a password.
    """
    if not data:
        raise DocumentRejected("file is empty")
    if len(data) > max_bytes:
        raise DocumentRejected(f"file is larger than {in_units(max_bytes)}")
    if not is_pdf(data):
        raise DocumentRejected(NOT_A_PDF)
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise DocumentRejected(DAMAGED)
    pages = _pages(data)
    return DocumentFacts(sha256=sha256 or hashlib.sha256(data).hexdigest(), format="PDF", mime="application/pdf",
                         size_bytes=len(data), pages=pages)


def check(data: bytes, *, max_bytes: int, sha256: str | None = None) -> CheckedDocument:
    """:func:`read_facts`, and the file to keep; nothing is written yet."""
    facts = read_facts(data, max_bytes=max_bytes, sha256=sha256)
    return CheckedDocument(facts, {original_key(facts.sha256): data})


def _pages(data: bytes) -> int:
    # pypdf repairs what it can (and logs it): the upload is refused only
    # when a page cannot be read at all.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise DocumentRejected(LOCKED)
        count = 0
        for page in reader.pages:
            page.mediabox  # noqa: B018 - resolves the page object
            count += 1
    except DocumentRejected:
        raise
    except Exception as error:  # noqa: BLE001 - any failure of the parser means "unreadable"
        if _locked(error):
            raise DocumentRejected(LOCKED) from error
        raise DocumentRejected(DAMAGED) from error
    if count == 0:
        raise DocumentRejected(DAMAGED)
    return count


def _locked(error: Exception) -> bool:
    """Whether pypdf failed for want of a password or of a decryption library (AES needs one)."""
    return type(error).__name__ in ("FileNotDecryptedError", "DependencyError")
