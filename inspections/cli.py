"""``memorials report …``: commands of the inspections package, added to the CLI as a plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from inspections.cycles import report_span
from inspections.ledger import write_patrol_ledger
from memorials.actors import SYSTEM
from memorials.cli import open_session
from memorials.divisions import division_prefix
from memorials.errors import DomainError
from memorials.settings import Settings

report_app = typer.Typer(help="Reports: the patrol ledger (巡查台账).", no_args_is_help=True)
console = Console()


def register(app: typer.Typer) -> None:
    """Add this package's commands to the ``memorials`` CLI (``DOMAIN.cli``)."""
    app.add_typer(report_app, name="report")


@report_app.command("patrols")
def patrols(
    division: Annotated[str, typer.Option(help="division code (a county sees its townships)")],
    from_: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    to: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    output: Annotated[Path, typer.Option(help="the XLSX file to write", dir_okay=False)],
) -> None:
    """Write the patrol ledger: one row per inspection, a summary per facility and month, the defects."""
    try:
        max_months = Settings().max_report_months
        report_span(from_, to, max_months=max_months)
        prefix = division_prefix(division)
        with open_session(write=False) as session:
            count = write_patrol_ledger(session=session, actor=SYSTEM, division=prefix, period_from=from_,
                                        period_to=to, path=output, max_months=max_months)
    except (DomainError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"{count} inspections written to {output}")
