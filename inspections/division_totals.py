"""Compliance counted by the database: a division's totals and its drill-down without one row per facility.

A province holds some 14,000 standing facilities; building a row for each in
Python before adding them up took 0.77 s. Here one statement adds them up per
child division. It counts exactly what ``inspections.compliance.facility_rows``
counts one facility at a time (a test compares the two on both backends): the
few intervals facilities have are turned into cycle lengths, due counts and
overdue cut-offs in Python, and the statement picks them by interval (a
``CASE``), so the calendar rules live in ``inspections.cycles`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from inspections.checklist import DEFAULT_INTERVAL_DAYS, Level
from inspections.cycles import (
    Rules,
    child_prefix,
    due_cycles,
    load_rules,
    month_end,
    month_index,
    months,
    months_per_cycle,
)
from inspections.models import Inspection
from memorials import clock
from memorials.actors import Actor
from memorials.db import UTCDateTime
from memorials.divisions import scoped, within
from memorials.models import Facility
from memorials.vocab import STANDING_STATUSES


@dataclass
class Tally:
    """Facility-cycles and facilities of one division (or of the whole report)."""

    facilities: int = 0
    due: int = 0
    done: int = 0
    done_unverified: int = 0
    complete: int = 0
    facilities_due: int = 0
    overdue: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def facility_interval(level: str, rules: Rules) -> ColumnElement[int]:
    """Each facility's interval in days for ``level``, as ``Rules.interval`` gives it, in SQL."""
    if level == Level.patrol:
        return Facility.patrol_interval_days
    by_days: dict[int, list[int]] = {}
    for facility_id, days in rules.by_facility.items():
        by_days.setdefault(days, []).append(facility_id)
    whens = [(Facility.id.in_(ids), days) for days, ids in by_days.items()]
    whens += [(Facility.kind == kind, days) for kind, days in rules.by_kind.items()]
    default = DEFAULT_INTERVAL_DAYS[level]
    return case(*whens, else_=default) if whens else literal(default, Integer)


def _month(period: ColumnElement[str]) -> ColumnElement[int]:
    """``month_index`` in SQL: 'YYYY-MM' → year × 12 + month − 1."""
    return cast(func.substr(period, 1, 4), Integer) * 12 + cast(func.substr(period, 6, 2), Integer) - 1


def division_totals(
    *, session: Session, actor: Actor, division: str, level: str, period_from: str, period_to: str, today: date,
) -> tuple[Tally, dict[str, Tally]]:
    """The report's totals, and the totals per division one level down (by code), for standing facilities."""
    first, last = month_index(period_from), month_index(period_to)
    horizon = min(last, today.year * 12 + today.month - 1)
    reference = min(today, month_end(last))
    rules = load_rules(session, level)
    place = [scoped(Facility.division_code, actor.scope), Facility.status.in_(STANDING_STATUSES)]
    if division:
        place.append(within(Facility.division_code, division))
    interval = facility_interval(level, rules)
    if level == Level.patrol:
        intervals = set(session.scalars(select(Facility.patrol_interval_days).where(*place).distinct()))
    else:
        intervals = {*rules.by_facility.values(), *rules.by_kind.values(), DEFAULT_INTERVAL_DAYS[level]}
    if not intervals:
        return Tally(), {}
    zone = clock.zone()
    span_start = datetime.combine(month_end(first - 1) + timedelta(days=1), time(), zone)

    def by_interval(values: dict[int, object], type_: object = Integer) -> ColumnElement:  # type: ignore[type-arg]
        return case(*[(interval == days, literal(value, type_)) for days, value in values.items()])

    cycles = {d: due_cycles(months_per_cycle(d), first, horizon) for d in intervals}
    cycle_months = by_interval({d: months_per_cycle(d) for d in intervals})
    due = by_interval({d: len(r) for d, r in cycles.items()})
    cutoffs = {d: reference - timedelta(days=d) for d in intervals}
    cutoff = by_interval({d: datetime.combine(day, time(), zone) for d, day in cutoffs.items()}, UTCDateTime())

    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == level]
    if division:
        in_scope.append(within(Inspection.division_code, division))
    earliest = min((r.start * months_per_cycle(d) for d, r in cycles.items() if r), default=horizon + 1)
    cycle = _month(Inspection.period) // cycle_months
    done_cycles = (
        select(Inspection.facility_id, func.max(case((Inspection.unverified_reason.is_(None), 1), else_=0)).label("v"))
        .join(Facility, Facility.id == Inspection.facility_id)
        .where(*place, *in_scope, Inspection.period.in_(months(earliest, horizon)),
               cycle >= by_interval({d: r.start for d, r in cycles.items()}),
               cycle < by_interval({d: r.stop for d, r in cycles.items()}))
        .group_by(Inspection.facility_id, cycle).subquery()
    )
    done = (select(done_cycles.c.facility_id, func.count().label("done"),
                   func.sum(case((done_cycles.c.v == 0, 1), else_=0)).label("unverified"))
            .group_by(done_cycles.c.facility_id).subquery())
    # Overdue: no patrol since the cut-off. A patrol counts for its visit's month or the one before
    # (``inspections.service``), so one made after the earliest cut-off counts for a month from the one
    # before it on: those months are read (a few), not the facility's whole history.
    oldest = min(cutoffs.values())
    recent = (select(Inspection.facility_id, func.max(Inspection.performed_at).label("at"))
              .where(*in_scope, Inspection.period.in_(months(oldest.year * 12 + oldest.month - 2, last)))
              .group_by(Inspection.facility_id).subquery())
    ever = (select(Inspection.id).where(Inspection.facility_id == Facility.id, Inspection.level == level,
                                        Inspection.period <= period_to).limit(1).exists())
    # Never inspected: counted from the start of the span, or from registration if that came first.
    since_registered = case((Facility.created_at < span_start, Facility.created_at),
                            else_=literal(span_start, UTCDateTime()))
    overdue = case((recent.c.at.is_not(None), recent.c.at < cutoff), (since_registered < cutoff, True), else_=ever)
    length = child_prefix(division)
    key: ColumnElement = (  # type: ignore[type-arg]
        case((func.length(Facility.division_code) >= length,
              func.substr(Facility.division_code, 1, length).concat("0" * max(0, 6 - length))))
        if length is not None else literal(None))
    done_n = func.coalesce(done.c.done, 0)
    one_if = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    rows = session.execute(
        select(key.label("key"), func.count(), func.sum(due), func.sum(done_n),
               func.sum(func.coalesce(done.c.unverified, 0)), one_if(and_(due > 0, done_n == due)),
               one_if(due > 0), one_if(overdue))
        .select_from(Facility).outerjoin(done, done.c.facility_id == Facility.id)
        .outerjoin(recent, recent.c.facility_id == Facility.id)
        .where(*place).group_by(key)
    ).all()
    total, groups = Tally(), {}
    for code, *counts in rows:
        tally = Tally(*(int(n or 0) for n in counts))
        total.add(tally)
        if code is not None:
            groups[code] = tally
    return total, groups
