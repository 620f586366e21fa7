"""``memorials cases …``: the published figures from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cases.figures import figures, write_xlsx_report
from memorials.actors import SYSTEM
from memorials.cli import open_session
from memorials.divisions import division_prefix


def register(app: Any) -> None:
    cases = typer.Typer(help="迁葬与寻亲案件 (relocation and family-search cases)")
    app.add_typer(cases, name="cases")

    @cases.command("report")
    def report(
        division: Annotated[str, typer.Option(help="division code (prefix)")],
        output: Annotated[Path, typer.Option(help="XLSX file to write")],
        year: Annotated[int | None, typer.Option(help="year of the figures")] = None,
    ) -> None:
        """Graves and martyrs moved, consents, families found, as an XLSX workbook."""
        with open_session(write=False) as session:
            data = figures(session=session, actor=SYSTEM, division=division_prefix(division, field="division"),
                           year=year)
        write_xlsx_report(data=data, path=output)
        typer.echo(f"{output}: {data.martyrs_moved['total']} martyrs moved, {data.families_found} families found")
