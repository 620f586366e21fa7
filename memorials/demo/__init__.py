"""The demo district (红安县, 421122): real divisions, fictional facilities and martyrs.

``load_demo`` imports the shipped tables through the same importer users
run, then links the relocated graves to where their martyrs went. The
product never depends on it; ``make run`` loads it into an empty database.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib.resources import as_file, files

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memorials import domains
from memorials.actors import SYSTEM
from memorials.divisions import set_boundaries
from memorials.importing import ImportReport, import_facilities, import_martyrs, import_survey
from memorials.models import Burial, Facility
from memorials.settings import Settings

DISTRICT_CODE = "421122"


@dataclass
class DemoReport:
    facilities: ImportReport
    martyrs: ImportReport
    relocations: int


def is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count(Facility.id))) or 0) == 0


def _link_relocations(session: Session) -> int:
    text = files(__name__).joinpath("relocations.csv").read_text(encoding="utf-8")
    linked = 0
    for row in csv.DictReader(text.splitlines()):
        origin = session.scalar(select(Facility).where(Facility.code == row["from_code"]))
        target = session.scalar(select(Facility).where(Facility.code == row["to_code"]))
        if origin is None or target is None:
            continue
        origin.relocated_to_id = target.id
        moved = session.scalars(
            select(Burial).where(Burial.facility_id == target.id, Burial.since == row["moved_on"],
                                 Burial.until.is_(None))
        )
        for burial in moved:
            exists = session.scalar(select(Burial.id).where(Burial.facility_id == origin.id,
                                                            Burial.martyr_id == burial.martyr_id))
            if exists is None:
                session.add(Burial(facility_id=origin.id, martyr_id=burial.martyr_id, plot="", until=row["moved_on"],
                                   note=f"迁入{target.name}"))
                linked += 1
    session.flush()
    return linked


def load_demo(session: Session, *, progress=None) -> DemoReport:  # type: ignore[no-untyped-def]
    """Load the demo facilities, martyrs and burials (idempotent: a second run adds nothing)."""
    root = files(__name__)
    with as_file(root.joinpath("facilities.csv")) as path:
        fac = import_facilities(session=session, path=path, actor=SYSTEM, progress=progress)
    with as_file(root.joinpath("martyrs.csv")) as path:
        mar = import_martyrs(session=session, path=path, actor=SYSTEM, progress=progress)
    report = DemoReport(facilities=fac, martyrs=mar, relocations=_link_relocations(session))
    for load in domains.demo_loaders():  # the domain packages' own demo records (cases, …)
        load(session)
    with as_file(root.joinpath("zones.geojson")) as path:  # protection zones and footprints (fictional)
        import_survey(session=session, path=path, actor=SYSTEM)
    # Illustrative township areas (scripts/build_demo_townships.py): not a survey, and they say so.
    areas = json.loads(root.joinpath("townships.geojson").read_text(encoding="utf-8"))
    set_boundaries(session=session, boundaries={f["properties"]["code"]: f["geometry"] for f in areas["features"]})
    return report


def load_domain_demos(session: Session, settings: Settings) -> list[str]:
    """Each domain package's demo history (repairs, …), after the core's; one line each for the console.

    Kept apart from :func:`load_demo` (which the tests' template databases load)
    so that the tests' figures are not mixed with a year of demo history.
    """
    return [package.demo_history(session, settings) for package in domains.discover()
            if package.demo_history is not None]
