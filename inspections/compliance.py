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
the grouped pairs and one row per facility come back.

Unverified patrols (neither the phone's position nor a geotagged photo,
filed with a reason) count as done: the inspector says he went. They are
counted apart as well: ``unverified_inspections`` of ``inspections``, and
``done_unverified`` of ``done`` (cycles whose only patrols were
unverified), so a reader sees how much of the rate rests on word alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inspections.checklist import DEFAULT_INTERVAL_DAYS, Level
from inspections.models import Inspection, IntervalRule
from inspections.schemas import ComplianceOut, DivisionCompliance, FacilityCompliance, check_period
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import ValidationProblem
from memorials.models import Division, Facility
from memorials.vocab import STANDING_STATUSES

MONTH_DAYS = 30.4375
Detail = Literal["facilities", "divisions"]


def month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def period_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def report_span(period_from: str, period_to: str, *, max_months: int) -> tuple[str, str]:
    """The months ``from``..``to`` of a report, checked once for every caller (API, pages, CLI, ledger).

    Both are months the registry covers, ``from`` comes first, and the span
    is at most ``max_months`` long (setting ``max_report_months``): a
    longer one is a typo or a query that would tie up the server.
    Raises ``ValidationProblem`` naming ``from`` and/or ``to``.
    """
    problems = []
    for field, value in (("from", period_from), ("to", period_to)):
        try:
            check_period(value)
        except ValueError as exc:
            problems.append((field, str(exc)))
    if problems:
        raise ValidationProblem.many(problems)
    months = month_index(period_to) - month_index(period_from) + 1
    if months < 1:
        raise ValidationProblem.many([("from", f"{period_from} must not come after to ({period_to})"),
                                      ("to", f"{period_to} must not come before from ({period_from})")])
    if months > max_months:
        reason = (f"{period_from} to {period_to} is {months} months; a report covers at most {max_months} "
                  "(ask for several shorter spans)")
        raise ValidationProblem.many([("from", reason), ("to", reason)])
    return period_from, period_to


def months_per_cycle(interval_days: int) -> int:
    return max(1, round(interval_days / MONTH_DAYS))


def month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    by_kind: dict[str, int]
    by_facility: dict[int, int]

    def interval(self, level: str, facility_id: int, kind: str, patrol_days: int) -> int:
        if level == Level.patrol:
            return patrol_days
        return self.by_facility.get(facility_id) or self.by_kind.get(kind) or DEFAULT_INTERVAL_DAYS[level]


def load_rules(session: Session, level: str) -> Rules:
    rows = session.execute(select(IntervalRule.kind, IntervalRule.facility_id, IntervalRule.days)
                           .where(IntervalRule.level == level)).all()
    return Rules(by_kind={k: d for k, f, d in rows if k}, by_facility={f: d for k, f, d in rows if f})


def _child_prefix(prefix: str) -> int | None:
    return {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(prefix))


def _child_code(code: str, length: int) -> str:
    head = code[:length]
    return head.ljust(6, "0") if length < 6 else head


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
        for cycle in range(first // m, horizon // m + 1):
            start, end = cycle * m, cycle * m + m - 1
            if end < first or end > horizon:
                continue
            due += 1
            flags = [flag for month, flag in seen_months.items() if start <= month <= end]
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
    The span is checked by :func:`report_span` (``ValidationProblem`` naming ``from``/``to``).
    """
    report_span(period_from, period_to, max_months=max_months)
    today = today or clock.today()
    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == level]
    if division:
        in_scope.append(within(Inspection.division_code, division))
    inspections, unverified = session.execute(
        select(func.count(Inspection.id), func.count(Inspection.unverified_reason))
        .where(*in_scope, Inspection.period >= period_from, Inspection.period <= period_to)
    ).one()
    length = _child_prefix(division)
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows: list[FacilityCompliance] = []
    due_total = done_total = done_unverified = complete = count = due_facilities = overdue = 0
    for r in facility_rows(session=session, actor=actor, division=division, level=level, period_from=period_from,
                           period_to=period_to, today=today):
        due_total += r.due
        done_total += r.done
        done_unverified += r.done_unverified
        complete += bool(r.due and r.done == r.due)
        count += 1
        due_facilities += bool(r.due)
        overdue += bool(r.overdue_days)
        if length is not None and len(r.division_code) >= length:
            group = groups[_child_code(r.division_code, length)]
            group[0] += 1
            group[1] += r.due
            group[2] += r.done
        if detail == "facilities":
            rows.append(r.out())
    return ComplianceOut(
        division=division, level=level, from_=period_from, to=period_to, due=due_total, done=done_total,
        rate=round(done_total / due_total, 4) if due_total else None, inspections=inspections or 0,
        unverified_inspections=unverified or 0, done_unverified=done_unverified, facilities_complete=complete,
        facility_count=count, facilities_due=due_facilities, facilities_overdue=overdue,
        facilities=rows, divisions=_by_child_division(session, groups), detail=detail,
    )


def _by_child_division(session: Session, groups: dict[str, list[int]]) -> list[DivisionCompliance]:
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(list(groups)))).all())
    return [DivisionCompliance(code=code, name=names.get(code, code), facilities=n, due=due, done=done,
                               rate=round(done / due, 4) if due else None)
            for code, (n, due, done) in sorted(groups.items())]


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
