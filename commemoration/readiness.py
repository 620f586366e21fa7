"""Is each stop of an event ready to receive visitors?

A stop is ready when, within ``readiness_days`` before the event, it was
inspected (any level; the pre-event special inspection 清明前专项检查 is the
one made for this), the latest such inspection found the safety items
(structure, safety hazards) ``ok``, no defect of severity serious (``high``)
or critical is open, and the facility is not ``under_repair``. The board
says, in Chinese, what each stop still lacks; the warning list gathers the
stops that are not ready per custodian, with the deadline (the day before
the event). The figures read as bureaus report them: "26 sites inspected
before Qingming, 2 repaired in time".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from commemoration.models import Event
from inspections.checklist import LEVEL_LABELS, SEVERITY_LABELS
from inspections.models import Defect, Inspection
from memorials import clock
from memorials.vocab import FacilityStatus

SAFETY_ITEMS = ("structure", "safety")
"""Checklist items that must be ``ok`` before visitors come (see ``inspections.checklist``)."""
SERIOUS = ("high", "critical")


@dataclass
class StopReadiness:
    facility_id: int
    code: str
    name: str
    custodian: str
    custodian_person: str
    last_inspection_id: int | None
    last_inspected_on: date | None
    last_inspection_level: str | None
    inspected_in_window: bool
    safety_ok: bool | None
    serious_defects: list[dict] = field(default_factory=list)
    under_repair: bool = False
    repaired_in_window: int = 0
    """Defects at this stop put right within the window."""
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing


@dataclass
class Warning:
    custodian: str
    custodian_person: str
    deadline: date
    stops: list[dict]


@dataclass
class Board:
    event_id: int
    event_date: date
    window_from: date
    deadline: date
    stops: list[StopReadiness]
    warnings: list[Warning]
    figures: dict[str, int]


def _day(moment: datetime) -> date:
    return moment.astimezone(clock.zone()).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.zone())


def board(*, session: Session, event: Event) -> Board:
    window_from = event.date - timedelta(days=event.readiness_days)
    start = _start_of(window_from)
    end = _start_of(event.date + timedelta(days=1))
    ids = event.facility_ids
    inspections: dict[int, Inspection] = {}
    for row in session.scalars(select(Inspection).where(
            Inspection.facility_id.in_(ids), Inspection.performed_at >= start, Inspection.performed_at < end)
            .order_by(Inspection.performed_at)):
        inspections[row.facility_id] = row  # the latest in the window wins
    last_any = dict(session.execute(select(Inspection.facility_id, Inspection.performed_at).where(
        Inspection.facility_id.in_(ids)).order_by(Inspection.performed_at)).all())
    serious: dict[int, list[Defect]] = defaultdict(list)
    for d in session.scalars(select(Defect).where(Defect.facility_id.in_(ids), Defect.status == "open",
                                                  Defect.severity.in_(SERIOUS)).order_by(Defect.id)):
        serious[d.facility_id].append(d)
    repaired: dict[int, int] = defaultdict(int)
    for facility_id in session.scalars(select(Defect.facility_id).where(
            Defect.facility_id.in_(ids), Defect.status == "resolved", Defect.resolved_at >= start,
            Defect.resolved_at < end)):
        repaired[facility_id] += 1
    stops = []
    for stop in event.stops:
        f = stop.facility
        found = inspections.get(f.id)
        last = last_any.get(f.id)
        safety_ok = None
        if found is not None:
            safety_ok = all((found.checklist.get(k) or {}).get("result") == "ok" for k in SAFETY_ITEMS)
        r = StopReadiness(
            facility_id=f.id, code=f.code, name=f.name, custodian=f.custodian, custodian_person=f.custodian_person,
            last_inspection_id=found.id if found else None, last_inspected_on=_day(last) if last else None,
            last_inspection_level=found.level if found else None, inspected_in_window=found is not None,
            safety_ok=safety_ok, under_repair=f.status == FacilityStatus.under_repair,
            serious_defects=[{"id": d.id, "severity": d.severity, "description": d.description,
                              "deadline": d.deadline.isoformat()} for d in serious[f.id]],
            repaired_in_window=repaired[f.id])
        if found is None:
            since = f"（上次巡查：{r.last_inspected_on}）" if r.last_inspected_on else "（从未巡查）"
            r.missing.append(f"活动前{event.readiness_days}天内未巡查{since}，请安排{LEVEL_LABELS['pre_event']}")
        elif not safety_ok:
            r.missing.append("最近一次检查的安全项目（主体结构、安全隐患）未全部正常")
        for d in serious[f.id]:
            r.missing.append(f"有未整改的{SEVERITY_LABELS[d.severity]}问题：{d.description or '见整改单'}"
                             f"（整改期限{d.deadline}）")
        if r.under_repair:
            r.missing.append("设施正在修缮中")
        stops.append(r)
    deadline = event.date - timedelta(days=1)
    by_custodian: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in stops:
        if not r.ready:
            by_custodian[(r.custodian or "未明确管护单位", r.custodian_person)].append(
                {"facility_id": r.facility_id, "code": r.code, "name": r.name, "missing": r.missing})
    warnings = [Warning(custodian=c, custodian_person=p, deadline=deadline, stops=s)
                for (c, p), s in sorted(by_custodian.items())]
    figures = {
        "stops": len(stops),
        "ready": sum(r.ready for r in stops),
        "inspected_before": sum(r.inspected_in_window for r in stops),
        "repaired_in_time": sum(1 for r in stops if r.repaired_in_window and not r.serious_defects),
        "not_ready": sum(not r.ready for r in stops),
    }
    return Board(event_id=event.id, event_date=event.date, window_from=window_from, deadline=deadline, stops=stops,
                 warnings=warnings, figures=figures)


def summary_line(b: Board, kind_label: str) -> str:
    """The sentence a bureau reports: 活动前检查设施26处，按期整改2处。"""
    return (f"{kind_label}前检查纪念设施{b.figures['inspected_before']}处，按期整改{b.figures['repaired_in_time']}处，"
            f"{b.figures['ready']}处具备开放条件")

