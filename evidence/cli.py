"""``memorials fsck``, ``backup`` and ``restore``: the commands of the ``evidence`` package (see :mod:`evidence.fsck`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evidence.fsck import Report, check, collect
from evidence.models import SYNTHETIC_PREFIX
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
    quarantine: Annotated[Path | None, typer.Option(help="move orphan files older than the grace period into this "
                                                         "folder (same key paths) instead of deleting them")] = None,
    grace_hours: Annotated[float, typer.Option(min=0, help="orphans younger than this may belong to a submission "
                                                          "still in flight: kept, and no problem")] = 24.0,
    verify: Annotated[bool, typer.Option("--verify", help="hash every original again (reads every byte)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Check the evidence store against the database, and every domain's records against their evidence and audit.

    Dangling references: attachments whose files are missing or whose
    originals differ from their hash (size always, bytes with --verify),
    attachments of owners that do not exist, inspections counting photos
    they lack, cases and projects in states no audited transition reached.
    Orphans: files no attachment references, left by submissions that
    failed or a server killed mid-request (harmless; nothing is deleted
    unless --remove or --quarantine is given). Exit status: 0 clean (young
    orphans allowed), 1 dangling references, 3 only orphans older than the
    grace period left in the store.
    """
    if remove and quarantine is not None:
        raise typer.BadParameter("give --remove or --quarantine, not both")
    settings = Settings()
    store = store_for(settings)
    stale_before = datetime.now(timezone.utc) - timedelta(hours=grace_hours)
    with open_session(write=False) as session:
        report = check(session=session, store=store, stale_before=stale_before, verify=verify)
    if remove or quarantine is not None:
        collect(report, store, quarantine=quarantine)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        _print(report, grace_hours=grace_hours, collecting=remove or quarantine is not None)
    if report.exit_code:
        raise typer.Exit(code=report.exit_code)


def _print(report: Report, *, grace_hours: float, collecting: bool) -> None:
    console.print(f"{report.files} files in {report.store}; {report.referenced} photos and documents referenced"
                  + (f"; {report.verified} originals hashed again" if report.verified else ""),
                  highlight=False, soft_wrap=True)
    size = sum(f.size for f in report.orphans)
    console.print(f"{len(report.orphans)} orphan files ({size / (1 << 20):.1f} MB) referenced by no attachment")
    collected = {f.key: "removed" for f in report.removed} | {f.key: "quarantined" for f in report.quarantined}
    now = datetime.now(timezone.utc)
    for orphan in report.orphans[:LISTED]:
        age = (now - orphan.modified).total_seconds() / 3600
        state = collected.get(orphan.key) or ("partial write" if orphan.sha256 is None else "kept")
        console.print(f"  {orphan.key}  {age:.1f} h old  {state}", highlight=False, soft_wrap=True)
    if len(report.orphans) > LISTED:
        console.print(f"  … and {len(report.orphans) - LISTED} more")
    if report.removed or collecting:
        console.print(f"{len(report.removed)} removed, {len(report.quarantined)} quarantined "
                      f"(orphans older than {grace_hours:g} h)")
    elif report.stale_orphans():
        console.print(f"{len(report.stale_orphans())} older than {grace_hours:g} h: run with --remove or "
                      "--quarantine DIR to collect them")
    if report.synthetic:
        console.print(f"{report.synthetic} synthetic photo rows (`memorials demo --synthetic`, filenames "
                      f"{SYNTHETIC_PREFIX}…): no files by design, not checked", highlight=False, soft_wrap=True)
    missing = report.missing
    console.print(f"{len(missing)} missing: attachments whose rows point to absent files")
    for sha256, kinds in missing.items():
        console.print(f"  {sha256}: {', '.join(kinds)} missing", highlight=False, soft_wrap=True)
    others = [f for f in report.problems if f.problem != "missing_file"]
    console.print(f"{len(others)} other dangling references")
    for finding in others[:LISTED]:
        console.print(f"  {finding.problem}: {finding.entity} {finding.ident}: {finding.detail}",
                      highlight=False, soft_wrap=True)
