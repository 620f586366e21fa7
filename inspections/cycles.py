"""The calendar of compliance: months as numbers, cycles of whole months, the span a report may cover, intervals.

An interval in days becomes a cycle of whole calendar months (30 days: every
month; 90: quarters; 182: half-years; 365: years); a facility is due once per
cycle that ends inside the span asked about and not after the current month.
Shared by the facility-by-facility count (``inspections.compliance``) and the
one the database makes per division (``inspections.division_totals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspections.checklist import DEFAULT_INTERVAL_DAYS, Level
from inspections.models import IntervalRule
from inspections.schemas import check_period
from memorials.errors import ValidationProblem

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


def child_prefix(prefix: str) -> int | None:
    return {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(prefix))


def child_code(code: str, length: int) -> str:
    head = code[:length]
    return head.ljust(6, "0") if length < 6 else head


def due_cycles(months: int, first: int, horizon: int) -> range:
    """The cycles of ``months`` months that are due: those ending inside ``first``..``horizon`` (month indexes)."""
    return range(-(-(first + 1) // months) - 1, (horizon + 1) // months)


def months(first: int, last: int) -> list[str]:
    """The months ``first``..``last`` (month indexes) as ``YYYY-MM``: listed, a query reads one index range each."""
    return [period_of(i) for i in range(first, last + 1)]
