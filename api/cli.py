"""The ``memorials`` program: the core's commands, the map, and every domain package's commands.

This is the CLI's shell, on top like the web app: it may draw maps (``maps``)
and it adds the commands each domain package declares (``memorials.domains``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from api.mapdata import configured_tiles, facility_markers
from maps.facilities import facility_map, render_html
from memorials import analysis_cli, domains
from memorials.actors import SYSTEM
from memorials.cli import app, console, fail, open_session
from memorials.divisions import division_prefix
from memorials.errors import DomainError
from memorials.facilities import FacilityQuery
from memorials.settings import Settings

_ = analysis_cli  # its commands (`analysis …`, `boundaries`) join the program on import


@app.command("map")
def map_(
    path: Annotated[Path, typer.Argument(dir_okay=False, help="output HTML file")],
    division: Annotated[Optional[str], typer.Option(help="division code (prefix)")] = None,
    tiles: Annotated[Optional[str], typer.Option(help="osm, tianditu, gaode, custom or none (default MEMORIALS_TILES)")] = None,
) -> None:
    """Write a standalone HTML map (every script inlined: opens offline)."""
    settings = Settings()
    try:
        source = configured_tiles(settings, tiles)
        query = FacilityQuery(division=division_prefix(division) if division else None)
        with open_session(write=False) as session:
            markers = facility_markers(session=session, actor=SYSTEM, query=query, embed_names_up_to=None)
    except (DomainError, ValueError) as exc:
        fail(str(exc))
        return
    fmap = facility_map(markers, tiles=source, facility_url=f"http://{settings.host}:{settings.port}/facilities/{{id}}")
    path.write_text(render_html(fmap, inline_assets=True), encoding="utf-8")
    console.print(f"{len(markers)} facilities drawn in {path}")


for _package in domains.discover():
    if _package.cli is not None:
        _package.cli(app)
