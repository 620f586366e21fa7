"""``memorials report …`` and ``memorials fsck``: commands of the inspections package, added to the CLI as a plugin."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evidence.store import DiskPhotoStore
from inspections.ledger import write_patrol_ledger
from inspections.schemas import check_period
from inspections.service import check_photo_store
from memorials.actors import SYSTEM
from memorials.cli import open_session
from memorials.divisions import normalize_code, prefix_of
from memorials.errors import DomainError
from memorials.settings import Settings

report_app = typer.Typer(help="Reports: the patrol ledger (巡查台账).", no_args_is_help=True)
console = Console()


def register(app: typer.Typer) -> None:
    """Add this package's commands to the ``memorials`` CLI (``DOMAIN.cli``)."""
    app.add_typer(report_app, name="report")
    app.command("fsck")(fsck)


LISTED = 50  # orphan files named one by one; the rest are counted


@report_app.command("patrols")
def patrols(
    division: Annotated[str, typer.Option(help="division code (a county sees its townships)")],
    from_: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    to: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    output: Annotated[Path, typer.Option(help="the XLSX file to write", dir_okay=False)],
) -> None:
    """Write the patrol ledger: one row per inspection, a summary per facility and month, the defects."""
    try:
        for value in (from_, to):
            check_period(value)
        if from_ > to:
            raise ValueError("--from must not come after --to")
        prefix = prefix_of(normalize_code(division, field="division"))
        with open_session(write=False) as session:
            count = write_patrol_ledger(session=session, actor=SYSTEM, division=prefix, period_from=from_,
                                        period_to=to, path=output)
    except (DomainError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"{count} inspections written to {output}")


def fsck(
    remove: Annotated[bool, typer.Option("--remove", help="delete orphan files older than the grace period")] = False,
    grace_hours: Annotated[float, typer.Option(min=0, help="orphans younger than this may belong to a submission "
                                                          "still in flight and are kept")] = 24.0,
) -> None:
    """Check the photo store against the database: orphan files and photos whose files are missing.

    Orphans are files no inspection photo references: left by submissions
    that failed (nothing is deleted then, as another submission may share the
    bytes) or by a process killed mid-write. Exits with 1 if files are missing.
    """
    settings = Settings()
    store = DiskPhotoStore(settings.resolved_photo_dir())
    before = datetime.now(timezone.utc) - timedelta(hours=grace_hours) if remove else None
    with open_session(write=False) as session:
        check = check_photo_store(session=session, store=store, remove_before=before)
    console.print(f"{check.files} files in {store.root}; {check.referenced} photos referenced by inspections")
    size = sum(f.size for f in check.orphans)
    console.print(f"{len(check.orphans)} orphan files ({size / (1 << 20):.1f} MB) referenced by no photo row")
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
    console.print(f"{len(check.missing)} missing: photos whose rows point to absent files")
    for sha256, keys in check.missing.items():
        console.print(f"  {sha256}: {', '.join(k.split('/')[0] for k in keys)} missing", highlight=False, soft_wrap=True)
    if check.missing:
        raise typer.Exit(code=1)
