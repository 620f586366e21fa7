"""The patrol ledger as a background job (``memorials.jobs``): a national or provincial ledger is too big to make
inside a request, so it is queued, made by a server's job worker with progress, and kept for download.

``ledger_size`` decides: standing facilities × months (the rows of 按月汇总, the largest sheet but one) plus the
patrols of the span; beyond ``Settings.job_threshold_rows`` the ledger goes to the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inspections.cycles import month_index, report_span
from inspections.ledger import Links, write_patrol_ledger
from inspections.models import Inspection
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.jobs import JobContext, JobKind
from memorials.models import Facility
from memorials.permissions import Permission
from memorials.vocab import STANDING_STATUSES

KIND = "patrol_ledger"


def ledger_size(*, session: Session, actor: Actor, division: str, period_from: str, period_to: str) -> int:
    """About how many rows the ledger will have (two counting queries on indexed columns)."""
    def place(column):  # type: ignore[no-untyped-def]
        return [scoped(column, actor.scope), *([within(column, division)] if division else [])]

    facilities = session.scalar(select(func.count(Facility.id)).where(
        *place(Facility.division_code), Facility.status.in_(STANDING_STATUSES))) or 0
    patrols = session.scalar(select(func.count(Inspection.id)).where(
        *place(Inspection.division_code), Inspection.period >= period_from, Inspection.period <= period_to)) or 0
    return facilities * (month_index(period_to) - month_index(period_from) + 1) + patrols


def ledger_params(*, division: str, period_from: str, period_to: str, fmt: str, base_url: str,
                  photo_path: str, max_months: int) -> dict[str, Any]:
    """What a ledger job is asked for (also what makes two requests the same); ``photo_path`` has ``{sha256}``."""
    return {"division": division, "from": period_from, "to": period_to, "fmt": fmt, "base_url": base_url,
            "photo_path": photo_path, "max_months": max_months}


def run_ledger(ctx: JobContext) -> None:
    p = ctx.params
    report_span(p["from"], p["to"], max_months=p["max_months"])
    template = p["photo_path"]
    links = Links(base_url=p["base_url"], photo_path=lambda sha: template.replace("{sha256}", sha))
    write_patrol_ledger(session=ctx.session, actor=ctx.actor, division=p["division"], period_from=p["from"],
                        period_to=p["to"], path=ctx.path, max_months=p["max_months"], fmt=p["fmt"], links=links,
                        progress=ctx.progress)


def _filename(params: Mapping[str, Any]) -> str:
    return f"巡查台账_{params['division'] or '全国'}_{params['from']}_{params['to']}"


PATROL_LEDGER = JobKind(label="巡查台账", permission=Permission.inspections_read, run=run_ledger,
                        filename=_filename, suffix=lambda params: str(params["fmt"]))
