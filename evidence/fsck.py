"""``memorials fsck``: the evidence store against the attachment rows, and each domain's own checks.

Two kinds of trouble, told apart because they weigh differently:

* **dangling references** (:class:`memorials.integrity.Finding`): an
  attachment whose file is missing, whose original's bytes no longer hash to
  its name or differ in size, whose owner type no package registers or whose
  owner row is gone; and what the domain packages check on their records
  (``DomainPackage.integrity_checks``: an inspection counting photos it does
  not have, a case in a state no audited transition reached). Something was
  lost; nothing here repairs it.
* **orphans**: files no attachment references. Files are written before the
  row that names them commits (a reader never meets a row without its
  file), so a submission that fails, or a server killed mid-request, leaves
  its files behind; a write cut short leaves a ``.incoming-`` file. They are
  harmless, and those younger than the grace period may belong to a
  submission still in flight. Older ones are collected only when asked:
  deleted (``--remove``) or moved aside (``--quarantine DIR``).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.models import Attachment, has_files
from evidence.service import keys_of
from evidence.store import Store, StoredFile, original_key
from memorials import domains
from memorials.actors import SYSTEM
from memorials.integrity import Finding

_CHUNK = 1 << 20


@dataclass
class Report:
    """What ``memorials fsck`` found, and what it collected if asked."""

    store: str
    files: int
    referenced: int
    orphans: list[StoredFile]
    problems: list[Finding]
    stale_before: datetime
    """Orphans last written before this are past the grace period."""
    removed: list[StoredFile] = field(default_factory=list)
    quarantined: list[StoredFile] = field(default_factory=list)
    verified: int = 0
    """Originals whose bytes were hashed again (``--verify``)."""
    synthetic: int = 0
    """Attachment rows of a synthetic registry (``memorials demo --synthetic``): no files by design, not checked."""

    @property
    def missing(self) -> dict[str, list[str]]:
        """SHA-256 of an attachment rows point to → the keys the store lacks."""
        found: dict[str, list[str]] = {}
        for f in self.problems:
            if f.problem == "missing_file":
                found.setdefault(f.ident, []).append(f.detail.split(" ", 1)[0])
        return found

    def stale_orphans(self) -> list[StoredFile]:
        """Orphans past the grace period and still in the store."""
        gone = {f.key for f in self.removed} | {f.key for f in self.quarantined}
        return [f for f in self.orphans if f.modified < self.stale_before and f.key not in gone]

    @property
    def exit_code(self) -> int:
        """0 clean; 1 dangling references (whatever else); 3 only orphans past the grace period, not collected."""
        if self.problems:
            return 1
        return 3 if self.stale_orphans() else 0

    def as_json(self) -> dict[str, object]:
        collected = {f.key: "removed" for f in self.removed} | {f.key: "quarantined" for f in self.quarantined}
        return {
            "store": self.store, "files": self.files, "referenced": self.referenced, "verified": self.verified,
            "synthetic": self.synthetic,
            "clean": self.exit_code == 0, "exit_code": self.exit_code,
            "problems": [f.as_dict() for f in self.problems],
            "orphans": [{"key": f.key, "sha256": f.sha256, "size": f.size, "modified": f.modified.isoformat(),
                         "partial": f.sha256 is None, "stale": f.modified < self.stale_before,
                         "collected": collected.get(f.key)} for f in self.orphans],
        }


def check(*, session: Session, store: Store, stale_before: datetime, verify: bool = False) -> Report:
    """Compare the store with the attachment rows and run every registered integrity check.

    The store is listed before the rows are read, so a file written by a
    submission in flight is at worst a young orphan, never a false
    "missing". ``verify`` hashes every original again (reads every byte).
    """
    files = list(store.files())
    by_key = {f.key: f for f in files}
    rows = session.execute(select(Attachment.sha256, Attachment.kind, func.max(Attachment.size_bytes),
                                  func.min(Attachment.id))
                           .where(has_files()).group_by(Attachment.sha256, Attachment.kind)).all()
    referenced = {sha for sha, *_ in rows}
    synthetic = session.scalar(select(func.count(Attachment.id)).where(~has_files())) or 0
    problems: list[Finding] = []
    verified = 0
    for sha256, kind, size, first in sorted(rows):
        lacking = [k for k in keys_of(sha256, kind) if k not in by_key and not store.exists(k)]
        for key in lacking:
            problems.append(Finding("missing_file", "attachment", sha256,
                                    f"{key.split('/')[0]} missing ({key}; attachment {first} and any other of it)"))
        listed = by_key.get(original_key(sha256))
        if listed is not None and listed.size != size:
            problems.append(Finding("checksum_mismatch", "attachment", sha256,
                                    f"original is {listed.size} bytes, the row says {size}"))
        elif verify and original_key(sha256) not in lacking:
            verified += 1
            actual = _digest(store, original_key(sha256))
            if actual is not None and actual != sha256:
                problems.append(Finding("checksum_mismatch", "attachment", sha256,
                                        f"original's bytes hash to {actual}"))
    problems.extend(_owners(session))
    for _package, run in domains.integrity_checks():
        problems.extend(run(session))
    orphans = sorted((f for f in files if f.sha256 not in referenced), key=lambda f: f.key)
    return Report(store=store.location, files=len(files), referenced=len(referenced), orphans=orphans,
                  problems=problems, stale_before=stale_before, verified=verified,
                  synthetic=synthetic)


def _digest(store: Store, key: str) -> str | None:
    try:
        file = store.open(key)
    except KeyError:
        return None
    digest = hashlib.sha256()
    with file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _owners(session: Session) -> list[Finding]:
    """Attachments whose owner type no package registers, or whose owner row does not exist."""
    owners = domains.attachment_owners()
    found = []
    unknown = select(Attachment.id, Attachment.owner_type).where(Attachment.owner_type.not_in(list(owners)))
    for ident, owner_type in session.execute(unknown.order_by(Attachment.id)):
        found.append(Finding("missing_owner", "attachment", str(ident), f"owner type {owner_type!r} is not registered"))
    for owner_type, scope in sorted(owners.items()):
        every = scope(SYSTEM)  # nationwide: every owner row of the type
        stmt = (select(Attachment.id, Attachment.owner_id)
                .where(Attachment.owner_type == owner_type, Attachment.owner_id.not_in(every)).order_by(Attachment.id))
        for ident, owner_id in session.execute(stmt):
            found.append(Finding("missing_owner", "attachment", str(ident), f"{owner_type} {owner_id} does not exist"))
    return found


def collect(report: Report, store: Store, *, quarantine: Path | None = None) -> None:
    """Remove the orphans past the grace period, or move them under ``quarantine`` (same key paths).

    Each goes through :meth:`~evidence.store.Store.discard_stale`, which
    spares a file a request wrote or freshened since the report's cutoff;
    a quarantined copy is made first and dropped again if the file was spared.
    """
    for orphan in report.stale_orphans():
        if quarantine is None:
            if store.discard_stale(orphan.key, before=report.stale_before):
                report.removed.append(orphan)
            continue
        target = quarantine / orphan.key
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with store.open(orphan.key) as source, open(target, "wb") as copy:
                shutil.copyfileobj(source, copy)
        except KeyError:
            continue
        if store.discard_stale(orphan.key, before=report.stale_before):
            report.quarantined.append(orphan)
        else:
            target.unlink()
