"""``memorials report repairs``: the repair-funds ledger (维修经费台账) as XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from inspections.cli import report_app
from memorials import clock
from memorials.actors import SYSTEM
from memorials.cli import open_session
from memorials.divisions import division_prefix
from memorials.errors import DomainError
from repairs.ledger import write_repair_ledger
from repairs.summary import check_year

console = Console()


def repairs(
    division: Annotated[str, typer.Option(help="division code (a county sees its townships)")],
    year: Annotated[int, typer.Option(help="the year, YYYY")],
    output: Annotated[Path, typer.Option(help="the XLSX file to write", dir_okay=False)],
) -> None:
    """Write the repair-funds ledger: totals by kind and source, projects, expenditures, spending per facility."""
    try:
        check_year(year, today=clock.today())
        prefix = division_prefix(division)
        with open_session(write=False) as session:
            summary = write_repair_ledger(session=session, actor=SYSTEM, division=prefix, year=year, path=output,
                                          today=clock.today())
    except (DomainError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"{year}: spent {summary.total} yuan, approved {summary.budget_total} yuan; written to {output}")


def register(app: typer.Typer) -> None:
    """Add ``report repairs`` to the report group that the inspections package adds (``DOMAIN.cli``)."""
    report_app.command("repairs")(repairs)
