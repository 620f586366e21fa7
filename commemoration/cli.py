"""``memorials qingming`` (the solar term's date) and ``memorials report commemoration`` (the year's figures)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from commemoration.calendar import qingming as qingming_day
from commemoration.figures import check_year, figures
from inspections.cli import report_app
from memorials import clock
from memorials.actors import SYSTEM
from memorials.cli import open_session
from memorials.divisions import division_prefix
from memorials.errors import DomainError

console = Console()


def qingming(year: Annotated[int, typer.Option(help="the year, YYYY (this year if not given)")] = 0) -> None:
    """Print Qingming's date (清明, a solar term) for a year."""
    try:
        day = qingming_day(year or clock.today().year)
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    console.print(day.isoformat())


def commemoration(
    division: Annotated[str, typer.Option(help="division code (a county sees its townships)")],
    year: Annotated[int, typer.Option(help="the year, YYYY")],
) -> None:
    """Print the year's commemoration figures as JSON: readiness, bookings, proxy visits, trips, tribute."""
    try:
        check_year(year, today=clock.today())
        prefix = division_prefix(division)
        with open_session(write=False) as session:
            out = figures(session=session, actor=SYSTEM, division=prefix, year=year)
    except (DomainError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    app.command("qingming")(qingming)
    report_app.command("commemoration")(commemoration)
