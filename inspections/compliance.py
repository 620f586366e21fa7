"""Who is due, who is done, who is overdue: patrol compliance in facility-months.

Each level has its interval (patrol: the facility's ``patrol_interval_days``,
30 by default; county check 182; city spot check 365), which rules may set
per kind of facility or per facility. An interval becomes a cycle of whole
calendar months (30 days: every month; 90: quarters; 182: half-years; 365:
years). A facility in use or under repair is *due* once per cycle that ends
inside the period asked about (and not after the current month), and *done*
for that cycle if an inspection of the level counts for a month in it. The
rate is done / due. Facilities count whatever their registration date: a
registry is usually filled long after the graves were dug.

The counting happens in the database: inspections are grouped by facility
and month (``GROUP BY facility_id, period``), never loaded one by one; only
the grouped pairs and one row per facility come back. The totals per
division alone (``detail="divisions"``: a national or provincial report) are
added up by the database itself (``inspections.division_totals``).

Unverified patrols (neither the phone's position nor a geotagged photo,
filed with a reason) count as done: the inspector says he went. They are
counted apart as well: ``unverified_inspections`` of ``inspections``, and
``done_unverified`` of ``done`` (cycles whose only patrols were
unverified), so a reader sees how much of the rate rests on word alone.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cachetools import TTLCache
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inspections.checklist import DEFAULT_INTERVAL_DAYS, Level
from inspections.cycles import (
    child_code,
    child_prefix,
    due_cycles,
    load_rules,
    month_end,
    month_index,
    months,
    months_per_cycle,
    period_of,
    report_span,
)
from inspections.division_totals import Tally, division_totals
from inspections.models import Inspection, IntervalRule
from inspections.schemas import ComplianceOut, DivisionCompliance, FacilityCompliance
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.models import Division, Facility
from memorials.vocab import STANDING_STATUSES

Detail = Literal["facilities", "divisions"]


@dataclass(slots=True)
class Row:
    """One facility's compliance (lighter than ``FacilityCompliance``: a national run holds 150,000 of them)."""

    id: int
    code: str
    name: str
    division_code: str
    interval_days: int
    due: int
    done: int
    done_unverified: int
    overdue_days: int
    last_inspected: date | None

    def out(self) -> FacilityCompliance:
        return FacilityCompliance(id=self.id, code=self.code, name=self.name, division_code=self.division_code,
                                  interval_days=self.interval_days, due=self.due, done=self.done,
                                  done_unverified=self.done_unverified, overdue_days=self.overdue_days,
                                  last_inspected=self.last_inspected)


STREAM = 5_000
"""Rows fetched at a time from a streamed query (a server-side cursor on PostgreSQL)."""


def facility_rows(
    *, session: Session, actor: Actor, division: str, level: str, period_from: str, period_to: str,
    today: date,
) -> Iterator[Row]:
    """Each standing facility's compliance in ``division``, in code order, streamed from the database.

    The facilities and their grouped months come from two queries over the same
    facilities in the same order (the database's, by code then id), merged as they arrive: memory stays flat however many facilities
    and patrols there are (the caller checks the span first).
    """
    first, last = month_index(period_from), month_index(period_to)
    current = today.year * 12 + today.month - 1
    horizon = min(last, current)
    rules = load_rules(session, level)
    place = [scoped(Facility.division_code, actor.scope), Facility.status.in_(STANDING_STATUSES)]
    if division:
        place.append(within(Facility.division_code, division))
    widest = (session.scalar(select(func.max(Facility.patrol_interval_days)).where(*place)) or DEFAULT_INTERVAL_DAYS[level]
              if level == Level.patrol else DEFAULT_INTERVAL_DAYS[level])
    # The first due cycle may begin before ``from``: look back by the longest cycle any facility may have.
    longest = max(months_per_cycle(d) for d in (widest, *rules.by_kind.values(), *rules.by_facility.values()))
    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == level]
    if division:
        in_scope.append(within(Inspection.division_code, division))
    last_seen = dict(session.execute(
        select(Inspection.facility_id, func.max(Inspection.performed_at))
        .where(*in_scope, Inspection.period <= period_of(last)).group_by(Inspection.facility_id)
    ).all())
    verified = func.max(case((Inspection.unverified_reason.is_(None), 1), else_=0))
    months = iter(session.execute(
        select(Facility.code, Inspection.facility_id, Inspection.period, verified)
        .join(Facility, Facility.id == Inspection.facility_id)
        .where(*place, *in_scope, Inspection.period >= period_of(first - longest),
               Inspection.period <= period_of(last))
        .group_by(Facility.code, Inspection.facility_id, Inspection.period)
        .order_by(Facility.code, Inspection.facility_id, Inspection.period)
        .execution_options(yield_per=STREAM)
    ))
    pending = next(months, None)
    reference = min(today, month_end(last))
    for f in session.execute(
        select(Facility.id, Facility.code, Facility.name, Facility.division_code, Facility.kind,
               Facility.patrol_interval_days, Facility.created_at)
        .where(*place).order_by(Facility.code, Facility.id).execution_options(yield_per=STREAM)
    ):
        seen_months: dict[int, bool] = {}
        while pending is not None and pending[1] == f.id:   # the same facilities in the same order
            seen_months[month_index(pending[2])] = bool(pending[3])
            pending = next(months, None)
        interval = rules.interval(level, f.id, f.kind, f.patrol_interval_days)
        m = months_per_cycle(interval)
        due = done = done_unverified = 0
        for cycle in due_cycles(m, first, horizon):
            due += 1
            flags = [flag for month, flag in seen_months.items() if month // m == cycle]
            done += bool(flags)
            done_unverified += bool(flags) and not any(flags)
        seen = last_seen.get(f.id)
        seen_day = seen.astimezone(clock.zone()).date() if seen else None
        # Never inspected: count from the start of the span (or registration, if earlier).
        since = seen_day or min(f.created_at.astimezone(clock.zone()).date(), month_end(first - 1) + timedelta(days=1))
        overdue = max(0, (reference - (since + timedelta(days=interval))).days)
        yield Row(id=f.id, code=f.code, name=f.name, division_code=f.division_code, interval_days=interval, due=due,
                  done=done, done_unverified=done_unverified, overdue_days=overdue, last_inspected=seen_day)


def compliance(
    *,
    session: Session,
    actor: Actor,
    division: str,
    level: str,
    period_from: str,
    period_to: str,
    max_months: int,
    today: date | None = None,
    detail: Detail = "facilities",
) -> ComplianceOut:
    """Compliance of every facility in ``division`` (a code prefix) for one level and a span of months.

    ``detail="divisions"`` leaves the facilities out and answers the totals per
    division one level down (national: provinces; a province: its prefectures;
    a prefecture: its counties; a county: its townships): the drill-down of a
    national or provincial report, a few kilobytes instead of every facility.
    Such a report is kept for ``REPORT_SECONDS`` and answered again while
    nothing it depends on has changed (``_stamp``): a province's dashboard
    asked for by fifty people costs one count.
    The span is checked by :func:`report_span` (``ValidationProblem`` naming ``from``/``to``).
    """
    report_span(period_from, period_to, max_months=max_months)
    today = today or clock.today()
    if detail == "divisions":
        key = (session.get_bind().url, actor.scope, division, level, period_from, period_to, today,
               _stamp(session, level))
        with _reports_lock:
            kept = _reports.get(key)
        if kept is None:
            kept = _compliance(session=session, actor=actor, division=division, level=level,
                               period_from=period_from, period_to=period_to, today=today, detail=detail)
            with _reports_lock:
                _reports[key] = kept
        return kept
    return _compliance(session=session, actor=actor, division=division, level=level, period_from=period_from,
                       period_to=period_to, today=today, detail=detail)


REPORT_SECONDS = 60
"""How long a division report is kept (and at most how late it can be: see ``_stamp``)."""
_reports: TTLCache[tuple[object, ...], ComplianceOut] = TTLCache(maxsize=512, ttl=REPORT_SECONDS)
_reports_lock = threading.Lock()


def _stamp(session: Session, level: str) -> tuple[object, ...]:
    """What a division report depends on, read cheaply (two index ends and the few rules): a kept report is
    answered only while it is the same.

    Patrols are never changed once filed, so a new one raises the highest id; any change to a facility
    moves its ``updated_at``. A patrol committed after one with a higher id (two filed at the same instant)
    may go unseen until the report is dropped, ``REPORT_SECONDS`` after it was made.
    """
    newest = session.execute(select(select(func.max(Inspection.id)).scalar_subquery(),
                                    select(func.max(Facility.updated_at)).scalar_subquery())).one()
    rules = session.execute(select(IntervalRule.kind, IntervalRule.facility_id, IntervalRule.days)
                            .where(IntervalRule.level == level)
                            .order_by(IntervalRule.kind, IntervalRule.facility_id)).all()
    return (*newest, *map(tuple, rules))


def _compliance(
    *, session: Session, actor: Actor, division: str, level: str, period_from: str, period_to: str, today: date,
    detail: Detail,
) -> ComplianceOut:
    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == level]
    if division:
        in_scope.append(within(Inspection.division_code, division))
    inspections, unverified = session.execute(
        select(func.count(), func.count(Inspection.unverified_reason))
        .where(*in_scope, Inspection.period.in_(months(month_index(period_from), month_index(period_to))))
    ).one()
    rows: list[FacilityCompliance] = []
    if detail == "divisions":
        total, groups = division_totals(session=session, actor=actor, division=division, level=level,
                                        period_from=period_from, period_to=period_to, today=today)
    else:
        facilities = list(facility_rows(session=session, actor=actor, division=division, level=level,
                                        period_from=period_from, period_to=period_to, today=today))
        total, groups = tally(facilities, division)
        rows = [r.out() for r in facilities]
    return ComplianceOut(
        division=division, level=level, from_=period_from, to=period_to, due=total.due, done=total.done,
        rate=round(total.done / total.due, 4) if total.due else None, inspections=inspections or 0,
        unverified_inspections=unverified or 0, done_unverified=total.done_unverified,
        facilities_complete=total.complete, facility_count=total.facilities, facilities_due=total.facilities_due,
        facilities_overdue=total.overdue, facilities=rows, divisions=_by_child_division(session, groups),
        detail=detail,
    )


def tally(rows: Iterable[Row], division: str) -> tuple[Tally, dict[str, Tally]]:
    """Facilities' rows added up: the totals, and per division one level down (what ``division_totals`` counts)."""
    length = child_prefix(division)
    total, groups = Tally(), defaultdict(Tally)
    for r in rows:
        one = Tally(facilities=1, due=r.due, done=r.done, done_unverified=r.done_unverified,
                    complete=int(bool(r.due) and r.done == r.due), facilities_due=int(bool(r.due)),
                    overdue=int(bool(r.overdue_days)))
        total.add(one)
        if length is not None and len(r.division_code) >= length:
            groups[child_code(r.division_code, length)].add(one)
    return total, dict(groups)


def _by_child_division(session: Session, groups: dict[str, Tally]) -> list[DivisionCompliance]:
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(list(groups)))).all())
    return [DivisionCompliance(code=code, name=names.get(code, code), facilities=t.facilities, due=t.due,
                               done=t.done, rate=round(t.done / t.due, 4) if t.due else None)
            for code, t in sorted(groups.items())]


@dataclass(frozen=True)
class LastVisit:
    """A facility's latest inspection (any level): when (the bureau's date) and the grade given."""

    day: date
    grade: str


def last_visits(*, session: Session, actor: Actor, facility_ids: list[int] | None = None) -> dict[int, LastVisit]:
    """The latest inspection of every facility the user may see (or of those given), in two grouped queries."""
    conditions = [scoped(Inspection.division_code, actor.scope)]
    if facility_ids is not None:
        conditions.append(Inspection.facility_id.in_(facility_ids))
    latest = (select(Inspection.facility_id, func.max(Inspection.performed_at).label("at"))
              .where(*conditions).group_by(Inspection.facility_id).subquery())
    rows = session.execute(
        select(Inspection.facility_id, Inspection.performed_at, Inspection.grade)
        .join(latest, (latest.c.facility_id == Inspection.facility_id) & (latest.c.at == Inspection.performed_at))
    ).all()
    return {fid: LastVisit(day=at.astimezone(clock.zone()).date(), grade=grade) for fid, at, grade in rows}


def overdue_days(last: date | None, interval_days: int, *, today: date) -> int | None:
    """Days past the facility's patrol interval since ``last`` (0 if not overdue); None if never inspected."""
    if last is None:
        return None
    return max(0, (today - (last + timedelta(days=interval_days))).days)
