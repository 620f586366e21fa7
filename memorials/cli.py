"""The core's commands: init, demo, serve, import, export, user, ….

The ``memorials`` program itself is ``api.cli.app``: these commands plus
the map and every domain package's own (``memorials.domains``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session

from memorials import clock
from memorials import demo as demo_data
from memorials import users as user_service
from memorials.actors import SYSTEM
from memorials.bootstrap import prepare_database
from memorials.db import backend_name, create_db_engine, session_factory, transaction
from memorials.divisions import division_prefix
from memorials.errors import DomainError, ValidationProblem
from memorials.exporting import export_facilities
from memorials.facilities import FacilityQuery
from memorials.importing import ImportReport, import_martyrs, import_survey
from memorials.migrate import current_revision
from memorials.permissions import Role
from memorials.settings import Settings

app = typer.Typer(help="烈士纪念设施管理系统 — memorial registry", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Accounts: add, list, disable, reset-password.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()
err = Console(stderr=True)


@contextmanager
def open_session(write: bool = True) -> Iterator[Session]:
    settings = Settings()
    clock.configure(settings.time_zone)
    engine = create_db_engine(settings.resolved_database_url())
    try:
        prepare_database(engine)
        with transaction(session_factory(engine, write=write)) as session:
            yield session
    finally:
        engine.dispose()


def fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)


@app.command()
def init() -> None:
    """Create the database (or bring it to the latest schema) and load the division table."""
    settings = Settings()
    engine = create_db_engine(settings.resolved_database_url())
    added = prepare_database(engine)
    console.print(f"database: {backend_name(engine)} at revision {current_revision(engine)}"
                  + (f"; {added} divisions loaded" if added else ""), soft_wrap=True)  # one line for scripts
    engine.dispose()


DEMO_PASSWORD_NOTE = "demo accounts (shown once; change them with `memorials user reset-password`):"


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="only when the registry has no facility yet")] = False,
    synthetic: Annotated[Optional[int], typer.Option(
        "--synthetic", min=1, max=2_000_000,
        help="instead: N synthetic facilities over the real counties, with patrols, photo rows and defects "
             "(benchmarks)")] = None,
    martyrs: Annotated[int, typer.Option(min=0, max=20_000_000,
                                         help="with --synthetic: M synthetic martyrs, some buried there")] = 0,
    months: Annotated[int, typer.Option(min=0, max=60, help="with --synthetic: months of monthly patrols")] = 12,
    seed: Annotated[int, typer.Option(help="random seed of --synthetic: the same seed gives the same registry")] = 1,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="with --synthetic: the day the patrols end, YYYY-MM-DD (default today); "
                        "the same seed and day give the same rows")] = None,
) -> None:
    """Load the demo district (红安县: real divisions, fictional facilities and martyrs) and its accounts."""
    if synthetic is not None:
        _synthetic(synthetic, martyrs, months, seed, as_of)
        return
    with open_session() as session:
        if if_empty and not demo_data.is_empty(session):
            console.print("registry not empty: demo not loaded")
            return
        report = demo_data.load_demo(session)
        accounts = _demo_accounts(session)  # before the domains' histories, which assign work to them
        extra = demo_data.load_domain_demos(session, Settings())
    console.print(f"demo: {report.facilities.created} facilities, {report.martyrs.created} martyrs loaded"
                  f" ({report.facilities.skipped + report.martyrs.skipped} already there)")
    for line in extra:
        console.print(f"demo: {line}", soft_wrap=True)
    if accounts:
        console.print(DEMO_PASSWORD_NOTE)
        table = Table("username", "role", "password")
        for name, role, password in accounts:
            table.add_row(name, role, password)
        console.print(table)


def _synthetic(count: int, martyrs: int, months: int, seed: int, as_of: str | None) -> None:
    from memorials.demo.synthetic import load_synthetic

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date YYYY-MM-DD")
        return
    if day is not None and day > clock.today():
        fail(f"--as-of: {day} is in the future; patrols cannot have been filed then")
        return
    try:
        with open_session() as session, Progress(
            TextColumn("[bold]{task.description:<21}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=err, transient=True,
        ) as bar:
            def stage(label: str, total: int) -> Callable[[int], None]:
                task = bar.add_task(label, total=total)
                return lambda n: bar.advance(task, n)

            report = load_synthetic(session, count=count, martyrs=martyrs, months=months, seed=seed, as_of=day,
                                    progress=stage)
    except DomainError as exc:
        fail(str(exc))
        return
    for line in report.lines:
        console.print(f"demo: {line}", soft_wrap=True)
    console.print("demo: seconds " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()), soft_wrap=True)


def _demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    created = []
    for role in Role:
        name = f"demo_{role.value}"
        if user_service.get_user(session=session, username=name) is not None:
            continue
        password = f"{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"
        user_service.create_user(session=session, username=name, password=password, role=role.value,
                                 jurisdiction=demo_data.DISTRICT_CODE, display_name=f"演示{role.value}")
        created.append((name, role.value, password))
    return created


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="default MEMORIALS_HOST or 127.0.0.1")] = None,
    port: Annotated[Optional[int], typer.Option(help="default MEMORIALS_PORT or 8000")] = None,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the web application."""
    settings = Settings()
    # With several workers uvicorn kills a child that does not answer its ping within the timeout (5 s by
    # default); on a busy machine importing the app alone takes longer, and the children die in a loop.
    uvicorn.run("api.main:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, proxy_headers=True, timeout_worker_healthcheck=60)


class ImportKind(str, Enum):
    facilities = "facilities"
    martyrs = "martyrs"


def _print_report(report: ImportReport) -> None:
    source = f" ({report.source_crs}" + (f", {report.encoding}" if report.encoding else "") + ")" \
        if report.source_crs else ""
    console.print(f"{report.total} rows{source}: {report.created} added, {report.skipped} already there, "
                  f"{report.rejected} rejected")
    for problem in report.problems:
        err.print(f"  {problem}")


def _mapping(pairs: list[str], mapping_file: Path | None) -> dict[str, str]:
    """``SOURCE=FIELD`` options and a mapping file (JSON object, or a two-column CSV/XLSX) into one mapping."""
    import json

    from gis.tables import read_table

    mapping: dict[str, str] = {}
    if mapping_file is not None:
        if mapping_file.suffix.lower() == ".json":
            loaded = json.loads(mapping_file.read_text("utf-8"))
            if not isinstance(loaded, dict):
                raise ValidationProblem("mapping", "the JSON mapping file must be an object of source: field")
            mapping.update({str(k): str(v) for k, v in loaded.items()})
        else:
            table = read_table(mapping_file)
            source, target = table.header[:2]
            mapping.update({row[source]: row[target] for _, row in table.rows if row.get(source)})
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ValidationProblem("map", f"{pair!r} is not SOURCE=FIELD")
        mapping[source.strip()] = target.strip()
    return mapping


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="CSV/XLSX, or a survey file: .gpkg .shp .zip .geojson .kml .kmz")],
    kind: Annotated[ImportKind, typer.Option(help="what the rows are")] = ImportKind.facilities,
    fmt: Annotated[Optional[str], typer.Option("--format", help="gpkg, shp, geojson, kml, kmz, csv or xlsx "
                                                                  "(default: from the file name)")] = None,
    crs: Annotated[Optional[str], typer.Option(help="the file's coordinate system when it has no .prj, "
                                                    "e.g. EPSG:4526 (CGCS2000 3-degree zone 38)")] = None,
    map_: Annotated[Optional[list[str]], typer.Option("--map", help="SOURCE=FIELD, e.g. 墓名=name (repeatable)")] = None,
    mapping_file: Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False,
                                                         help="JSON {source: field} or a two-column table")] = None,
    polygons: Annotated[str, typer.Option(help="what polygons are: protection_zone or footprint")] = "protection_zone",
    x_column: Annotated[Optional[str], typer.Option(help="table column of longitude or easting")] = None,
    y_column: Annotated[Optional[str], typer.Option(help="table column of latitude or northing")] = None,
) -> None:
    """Import facilities (points; polygons become protection zones or footprints) or martyrs.

    Bad rows are listed with their reason, good rows kept; running a file twice adds nothing.
    """
    try:
        mapping = _mapping(map_ or [], mapping_file)
        with open_session() as session, Progress(
            TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err, transient=True,
        ) as bar:
            task = bar.add_task("rows", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if kind is ImportKind.martyrs:
                report = import_martyrs(session=session, path=path, actor=SYSTEM, progress=progress)
            else:
                report = import_survey(session=session, path=path, actor=SYSTEM, fmt=fmt, crs=crs, mapping=mapping,
                                       polygons=polygons, x_column=x_column, y_column=y_column, progress=progress)
    except ValidationProblem as exc:
        fail(f"{exc.field}: {exc.reason}")
        return
    _print_report(report)
    if report.rejected:
        raise typer.Exit(code=1)


@app.command()
def export(
    path: Annotated[Path, typer.Argument(dir_okay=False,
                                         help="output: .csv .xlsx .geojson .gpkg .shp .kml or .kmz")],
    division: Annotated[Optional[str], typer.Option(help="division code (prefix) to export")] = None,
) -> None:
    """Export facilities: CSV, XLSX ledger, GeoJSON, or a survey file with Chinese field names and zones."""
    try:
        query = FacilityQuery(division=division_prefix(division) if division else None)
        with open_session(write=False) as session:
            count = export_facilities(session=session, path=path, actor=SYSTEM, query=query)
    except DomainError as exc:
        fail(str(exc))
        return
    console.print(f"{count} facilities written to {path}")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, planner, inspector, organizer, case_officer or viewer")],
    division: Annotated[str, typer.Option(help="jurisdiction: a division code (empty only for a national admin)")],
    password: Annotated[Optional[str], typer.Option(help="prompted for when not given")] = None,
    display_name: Annotated[str, typer.Option(help="name shown on pages")] = "",
) -> None:
    """Add an account."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with open_session() as session:
            user = user_service.create_user(session=session, username=username, password=password, role=role,
                                            jurisdiction=division, display_name=display_name)
            name = user.username
    except DomainError as exc:
        fail(str(exc))
        return
    console.print(f"user {name} added")


@user_app.command("list")
def user_list() -> None:
    """List accounts."""
    with open_session(write=False) as session:
        table = Table("username", "name", "role", "jurisdiction", "active", "locked until")
        for u in user_service.list_users(session=session):
            table.add_row(u.username, u.display_name, u.role, u.jurisdiction or "(nationwide)",
                          "yes" if u.active else "no", u.locked_until.isoformat() if u.locked_until else "")
    console.print(table)


def _require_user(session: Session, username: str):  # type: ignore[no-untyped-def]
    user = user_service.get_user(session=session, username=username)
    if user is None:
        fail(f"no user {username}")
    return user


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account (it is kept, with its history) and end its sessions."""
    with open_session() as session:
        user_service.set_active(session=session, user=_require_user(session, username), active=False)
    console.print(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled account."""
    with open_session() as session:
        user_service.set_active(session=session, user=_require_user(session, username), active=True)
    console.print(f"user {username} enabled")


@user_app.command("reset-password")
def user_reset_password(
    username: str,
    password: Annotated[Optional[str], typer.Option(help="prompted for when not given")] = None,
) -> None:
    """Set a new password; it also unlocks the account and ends its sessions."""
    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    try:
        with open_session() as session:
            user_service.set_password(session=session, user=_require_user(session, username), password=password)
    except DomainError as exc:
        fail(str(exc))
        return
    console.print(f"password of {username} reset")
