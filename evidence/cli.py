"""``memorials fsck``: the evidence store against the attachment rows (a command of the ``evidence`` package)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evidence.models import SYNTHETIC_PREFIX
from evidence.service import check_store
from evidence.store import store_for
from memorials.cli import open_session
from memorials.settings import Settings

console = Console()
LISTED = 50  # orphan files named one by one; the rest are counted


def register(app: typer.Typer) -> None:
    """Add this package's commands to the ``memorials`` CLI (``DOMAIN.cli``)."""
    app.command("fsck")(fsck)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def _with_engine(run):  # type: ignore[no-untyped-def]
    """Run ``run(engine, url, store)`` on the configured database and store; a ``BackupError`` exits with 2."""
    from evidence.backup import BackupError
    from memorials.db import create_db_engine

    settings = Settings()
    url = settings.resolved_database_url()
    engine = create_db_engine(url)
    try:
        return run(engine, url, store_for(settings))
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()


def backup_command(target: Annotated[Path, typer.Argument(help="a new folder for the backup")]) -> None:
    """Back up the database and every photo and document, consistently, while the server runs."""
    from evidence.backup import backup

    summary = _with_engine(lambda engine, url, store: backup(engine=engine, url=url, store=store, target=target))
    rows = sum(int(t["rows"]) for t in summary.tables.values())
    console.print(f"backed up {rows} rows in {len(summary.tables)} tables and {len(summary.files)} files to {target}",
                  highlight=False, soft_wrap=True)


def restore_command(source: Annotated[Path, typer.Argument(help="a folder written by `memorials backup`")]) -> None:
    """Restore a backup into an empty database and the configured store; the counts and hashes are checked."""
    from evidence.backup import restore

    summary = _with_engine(lambda engine, url, store: restore(engine=engine, url=url, store=store, source=source))
    rows = sum(int(t["rows"]) for t in summary.tables.values())
    console.print(f"restored {rows} rows in {len(summary.tables)} tables and {len(summary.files)} files; "
                  "counts and hashes match the backup", highlight=False, soft_wrap=True)

def fsck(
    remove: Annotated[bool, typer.Option("--remove", help="delete orphan files older than the grace period")] = False,
    grace_hours: Annotated[float, typer.Option(min=0, help="orphans younger than this may belong to a submission "
                                                          "still in flight and are kept")] = 24.0,
) -> None:
    """Check the evidence store against the database: orphan files, and photos or documents whose files are missing.

    Orphans are files no attachment references: left by submissions that
    failed (nothing is deleted then, as another submission may share the
    bytes) or by a process killed mid-write. Exits with 1 if files are missing.
    """
    settings = Settings()
    store = store_for(settings)
    before = datetime.now(timezone.utc) - timedelta(hours=grace_hours) if remove else None
    with open_session(write=False) as session:
        check = check_store(session=session, store=store, remove_before=before)
    console.print(f"{check.files} files in {store.location}; {check.referenced} photos and documents referenced",
                  highlight=False, soft_wrap=True)
    size = sum(f.size for f in check.orphans)
    console.print(f"{len(check.orphans)} orphan files ({size / (1 << 20):.1f} MB) referenced by no attachment")
    removed = {f.key for f in check.removed}
    now = datetime.now(timezone.utc)
    for orphan in check.orphans[:LISTED]:
        age = (now - orphan.modified).total_seconds() / 3600
        state = "removed" if orphan.key in removed else ("partial write" if orphan.sha256 is None else "kept")
        console.print(f"  {orphan.key}  {age:.1f} h old  {state}", highlight=False, soft_wrap=True)
    if len(check.orphans) > LISTED:
        console.print(f"  … and {len(check.orphans) - LISTED} more")
    if remove:
        console.print(f"{len(check.removed)} removed (orphans older than {grace_hours:g} h)")
    elif check.orphans:
        console.print(f"run with --remove to delete those older than {grace_hours:g} h")
    if check.synthetic:
        console.print(f"{check.synthetic} synthetic photo rows (`memorials demo --synthetic`, filenames "
                      f"{SYNTHETIC_PREFIX}…): no files by design, not checked", highlight=False, soft_wrap=True)
    console.print(f"{len(check.missing)} missing: attachments whose rows point to absent files")
    for sha256, keys in check.missing.items():
        console.print(f"  {sha256}: {', '.join(k.split('/')[0] for k in keys)} missing", highlight=False, soft_wrap=True)
    if check.missing:
        raise typer.Exit(code=1)
