"""The figures bureaus publish: graves and martyrs moved, consents, families found (SQL GROUP BY).

A relocation counts in the year of its reburial (``reburied`` or ``closed``);
a consent in the year it was given; a family search opened in the year it
was opened, found in the year it closed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from cases.models import FamilySearch, RelocationCase, RelocationMartyr
from cases.schemas import Figures
from cases.workflows import DECISION_LABELS, KIND_LABELS, RELOCATION_STATES
from gis.tables import write_xlsx
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.models import Facility

MOVED = ("reburied", "closed")


def _year(column, year: int | None) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    return func.substr(column, 1, 4) == str(year) if year else column.is_not(None)


def figures(*, session: Session, actor: Actor, division: str, year: int | None) -> Figures:
    where = [scoped(RelocationCase.division_code, actor.scope), scoped(RelocationCase.division_code, division)]
    moved = [*where, RelocationCase.status.in_(MOVED), _year(RelocationCase.reburied_on, year)]
    kinds = ("consolidation", "cross_region")
    graves = dict.fromkeys(kinds, 0)
    martyrs = dict.fromkeys(kinds, 0)
    for kind, n_graves, n_martyrs in session.execute(
            select(RelocationCase.kind, func.count(distinct(RelocationMartyr.origin_facility_id)),
                   func.count(RelocationMartyr.id))
            .join(RelocationMartyr, RelocationMartyr.case_id == RelocationCase.id)
            .where(*moved).group_by(RelocationCase.kind)):
        graves[kind], martyrs[kind] = n_graves, n_martyrs
    graves["total"], martyrs["total"] = sum(graves.values()), sum(martyrs.values())
    destinations = [
        {"kind": kind, "destination": name or bureau, "graves": g, "martyrs": m}
        for kind, name, bureau, g, m in session.execute(
            select(RelocationCase.kind, Facility.name, RelocationCase.receiving_bureau,
                   func.count(distinct(RelocationMartyr.origin_facility_id)), func.count(RelocationMartyr.id))
            .join(RelocationMartyr, RelocationMartyr.case_id == RelocationCase.id)
            .outerjoin(Facility, Facility.id == RelocationCase.destination_facility_id)
            .where(*moved).group_by(RelocationCase.kind, Facility.name, RelocationCase.receiving_bureau)
            .order_by(RelocationCase.kind, Facility.name, RelocationCase.receiving_bureau))
    ]
    consents = dict.fromkeys(DECISION_LABELS, 0)
    consents.update(dict(session.execute(
        select(RelocationMartyr.decision, func.count(RelocationMartyr.id))
        .join(RelocationCase, RelocationCase.id == RelocationMartyr.case_id)
        .where(*where, RelocationCase.status != "withdrawn", _year(RelocationMartyr.decided_on, year)
               if year else RelocationMartyr.id.is_not(None))
        .group_by(RelocationMartyr.decision)).all()))
    statuses = dict.fromkeys(RELOCATION_STATES, 0)
    statuses.update(dict(session.execute(select(RelocationCase.status, func.count(RelocationCase.id))
                                         .where(*where).group_by(RelocationCase.status)).all()))
    searches = [scoped(FamilySearch.division_code, actor.scope), scoped(FamilySearch.division_code, division)]
    found = session.scalar(select(func.count(FamilySearch.id)).where(
        *searches, FamilySearch.status == "found", _year(FamilySearch.closed_on, year))) or 0
    opened = session.scalar(select(func.count(FamilySearch.id)).where(
        *searches, _year(FamilySearch.opened_on, year))) or 0
    return Figures(division=division, year=year, graves_moved=graves, martyrs_moved=martyrs,
                   by_destination=destinations, consents=consents, cases_by_status=statuses,
                   families_found=found, family_searches_opened=opened)


def write_xlsx_report(*, data: Figures, path: Path) -> None:
    head = ["项目", "集中迁葬", "异地迁葬", "合计"]
    rows = [
        ["迁移墓数", data.graves_moved["consolidation"], data.graves_moved["cross_region"], data.graves_moved["total"]],
        ["迁移烈士人数", data.martyrs_moved["consolidation"], data.martyrs_moved["cross_region"],
         data.martyrs_moved["total"]],
    ]
    dest = [[KIND_LABELS[d["kind"]], d["destination"], d["graves"], d["martyrs"]] for d in data.by_destination]
    consent = [[DECISION_LABELS[k], v] for k, v in data.consents.items()]
    stages = [[RELOCATION_STATES[k], v] for k, v in data.cases_by_status.items()]
    family = [["立案寻亲", data.family_searches_opened], ["找到亲属", data.families_found]]
    write_xlsx(path, [
        ("迁葬统计", head, rows),
        ("按迁入地", ["类型", "迁入地", "墓数", "烈士人数"], dest),
        ("亲属意愿", ["意愿", "人数"], consent),
        ("案件阶段", ["阶段", "案件数"], stages),
        ("为烈士寻亲", ["项目", "数量"], family),
    ])
