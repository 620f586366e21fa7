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
from dataclasses import dataclass
from datetime import date, timedelta

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
) -> ComplianceOut:
    """Compliance of every facility in ``division`` (a code prefix) for one level and a span of months.

    The span is checked by :func:`report_span` (``ValidationProblem`` naming ``from``/``to``).
    """
    report_span(period_from, period_to, max_months=max_months)
    today = today or clock.today()
    first, last = month_index(period_from), month_index(period_to)
    current = today.year * 12 + today.month - 1
    horizon = min(last, current)
    rules = load_rules(session, level)

    facilities = session.execute(
        select(Facility.id, Facility.code, Facility.name, Facility.division_code, Facility.kind,
               Facility.patrol_interval_days, Facility.created_at)
        .where(scoped(Facility.division_code, actor.scope), within(Facility.division_code, division) if division
               else Facility.id.is_not(None), Facility.status.in_(STANDING_STATUSES))
        .order_by(Facility.code)
    ).all()
    intervals = {f.id: rules.interval(level, f.id, f.kind, f.patrol_interval_days) for f in facilities}
    longest = max((months_per_cycle(d) for d in intervals.values()), default=1)
    span_start = period_of(first - longest)  # the first due cycle may begin before ``from``

    in_scope = [scoped(Inspection.division_code, actor.scope), Inspection.level == level]
    if division:
        in_scope.append(within(Inspection.division_code, division))
    months: dict[int, dict[int, bool]] = defaultdict(dict)  # facility → month → some patrol was verified
    verified = func.max(case((Inspection.unverified_reason.is_(None), 1), else_=0))
    for facility_id, period, any_verified in session.execute(
        select(Inspection.facility_id, Inspection.period, verified)
        .where(*in_scope, Inspection.period >= span_start, Inspection.period <= period_of(last))
        .group_by(Inspection.facility_id, Inspection.period)
    ):
        months[facility_id][month_index(period)] = bool(any_verified)
    last_seen = dict(session.execute(
        select(Inspection.facility_id, func.max(Inspection.performed_at))
        .where(*in_scope, Inspection.period <= period_of(last)).group_by(Inspection.facility_id)
    ).all())
    inspections, unverified = session.execute(
        select(func.count(Inspection.id), func.count(Inspection.unverified_reason))
        .where(*in_scope, Inspection.period >= period_from, Inspection.period <= period_to)
    ).one()

    reference = min(today, month_end(last))
    rows: list[FacilityCompliance] = []
    for f in facilities:
        interval = intervals[f.id]
        m = months_per_cycle(interval)
        due = done = done_unverified = 0
        seen_months = months.get(f.id, {})
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
        rows.append(FacilityCompliance(id=f.id, code=f.code, name=f.name, division_code=f.division_code,
                                       interval_days=interval, due=due, done=done,
                                       done_unverified=done_unverified, overdue_days=overdue,
                                       last_inspected=seen_day))

    due_total = sum(r.due for r in rows)
    done_total = sum(r.done for r in rows)
    return ComplianceOut(
        division=division, level=level, from_=period_from, to=period_to, due=due_total, done=done_total,
        rate=round(done_total / due_total, 4) if due_total else None, inspections=inspections or 0,
        unverified_inspections=unverified or 0, done_unverified=sum(r.done_unverified for r in rows),
        facilities_complete=sum(1 for r in rows if r.due and r.done == r.due),
        facilities=rows, divisions=_by_child_division(session, division, rows),
    )


def _by_child_division(session: Session, division: str, rows: list[FacilityCompliance]) -> list[DivisionCompliance]:
    length = _child_prefix(division)
    if length is None:
        return []
    groups: dict[str, list[FacilityCompliance]] = defaultdict(list)
    for r in rows:
        if len(r.division_code) >= length:
            groups[_child_code(r.division_code, length)].append(r)
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(list(groups)))).all())
    out = []
    for code in sorted(groups):
        members = groups[code]
        due = sum(r.due for r in members)
        done = sum(r.done for r in members)
        out.append(DivisionCompliance(code=code, name=names.get(code, code), facilities=len(members), due=due,
                                      done=done, rate=round(done / due, 4) if due else None))
    return out


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
