"""A year of repair history for the demo district (红安县). **Fictional**, like the demo facilities.

Projects of each kind over the last twelve months: small repairs of
scattered graves paid from the county budget, an in-place renovation that
ran over and got an approved adjustment, the cemetery's upgrade paid from
higher-level funds, a consolidation (集中迁移) under way, one cancelled,
one approved and one only proposed. Completed projects carry "before" and
"after" photos taken at their facilities (generated images with EXIF time
and GPS, so they pass the same location proof as a phone's) and are
accepted (验收). Dates are relative to today, so the history never ages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.demo import demo_photo
from evidence.location import Thresholds
from evidence.store import store_for
from evidence.uploads import Limits, Upload, accept
from memorials import clock
from memorials.actors import SYSTEM
from memorials.models import Facility
from memorials.money import Money
from memorials.settings import Settings
from repairs import evidence as evidence_service
from repairs import money as money_service
from repairs import service
from repairs.models import RepairProject
from repairs.schemas import AdjustmentIn, BudgetLineIn, ExpenditureIn, ProjectIn, TransitionIn
from repairs.vocab import Phase, RepairKind, Source, State

FICTIONAL = "（演示数据，虚构）"
CONTRACTORS = (("红安县古建筑修缮有限公司（虚构）", "91421122MA49ABCD0M"), ("黄冈市园林工程有限公司（虚构）", ""))


@dataclass(frozen=True)
class Plan:
    title: str
    kind: RepairKind
    codes: tuple[str, ...]
    start_days_ago: int
    months: int
    budget: tuple[tuple[Source, str, str], ...]
    """(source, amount, document number)."""
    payments: tuple[tuple[int, str, str], ...] = ()
    """(days after the start, amount, what it paid for)."""
    until: State = State.completed
    adjustment: tuple[Source, str, str, str] | None = None
    """(source, amount, reason, document number) before the payments that need it."""
    cancel_reason: str = ""


PLANS = (
    Plan("柳林河村零散烈士墓修缮", RepairKind.maintenance, ("421122-0011",), 330, 2,
         ((Source.local, "38000.00", "红财社〔{y}〕11号"),),
         ((20, "15000.00", "墓碑清洗、描红"), (50, "21850.00", "墓冢加固、排水沟"))),
    Plan("周德明烈士墓及紫云寨村烈士墓维护", RepairKind.maintenance, ("421122-0012", "421122-0014"), 280, 2,
         ((Source.local, "52000.00", "红财社〔{y}〕19号"),),
         ((15, "24600.00", "周德明烈士墓碑座修补"), (40, "26380.50", "紫云寨村烈士墓护坡及步道"))),
    Plan("华家河镇烈士纪念亭就地整修", RepairKind.renovation, ("421122-0007",), 240, 3,
         ((Source.local, "80000.00", "红财社〔{y}〕27号"),),
         ((30, "60000.00", "亭顶翻修"), (75, "31760.00", "台阶及栏杆更换（含增项）")),
         adjustment=(Source.city, "12500.00", "施工中发现亭基沉降，增加基础加固", "黄退役字〔{y}〕8号")),
    Plan("县烈士陵园改造提升", RepairKind.upgrade, ("421122-0001",), 300, 5,
         ((Source.central, "300000.00", "财社〔{y}〕45号"), (Source.provincial, "400000.00", "鄂财社发〔{y}〕12号")),
         ((40, "250000.00", "祭扫广场及无障碍通道"), (100, "280000.00", "展陈及标识系统"),
          (140, "158420.50", "绿化及排水"))),
    Plan("零散烈士墓集中迁入集中安葬区", RepairKind.relocation, ("421122-0002",), 120, 8,
         ((Source.central, "150000.00", "财社〔{y}〕61号"), (Source.provincial, "100000.00", "鄂财社发〔{y}〕30号"),
          (Source.local, "30000.00", "红财社〔{y}〕40号")),
         ((20, "90000.00", "墓穴及安葬区土建"), (60, "30000.00", "迁葬仪式及运输")), until=State.in_progress),
    Plan("上新集镇红军战士塑像改造", RepairKind.upgrade, ("421122-0010",), 200, 4,
         ((Source.donation, "20000.00", "捐赠协议〔{y}〕1号"),), until=State.cancelled,
         cancel_reason="集镇广场规划调整，塑像改造并入广场改造工程另行安排"),
    Plan("永佳河镇烈士纪念碑修缮", RepairKind.maintenance, ("421122-0009",), 20, 2,
         ((Source.local, "20000.00", "红财社〔{y}〕52号"),), until=State.approved),
    Plan("高桥镇革命烈士纪念塔就地整修", RepairKind.renovation, ("421122-0008",), 0, 3,
         (), until=State.proposed),
)


def load(session: Session, settings: Settings) -> str:
    """Add the repair history once (nothing when any repair project exists)."""
    if (session.scalar(select(func.count(RepairProject.id))) or 0) > 0:
        return "repairs: history already there"
    today = clock.today()
    store = store_for(settings)
    limits = Limits.of(settings)
    thresholds = Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m)
    count = 0
    for index, plan in enumerate(PLANS):
        facilities = [session.scalar(select(Facility).where(Facility.code == code)) for code in plan.codes]
        if any(f is None for f in facilities):
            continue
        _project(session, plan, index, [f for f in facilities if f is not None], today, store, limits, thresholds)
        count += 1
    return f"repairs: {count} projects of the last twelve months (fictional)"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.zone())


def _project(session, plan, index, facilities, today, store, limits, thresholds) -> None:  # type: ignore[no-untyped-def]
    start = today - timedelta(days=plan.start_days_ago)
    end = start + timedelta(days=30 * plan.months)
    approved_on = start - timedelta(days=14)
    year = approved_on.year
    contractor_name, credit = CONTRACTORS[index % len(CONTRACTORS)]
    project = service.create_project(session=session, actor=SYSTEM, data=ProjectIn(
        title=plan.title, kind=plan.kind, facility_ids=[f.id for f in facilities], planned_start=start,
        planned_end=end, contractor={"name": contractor_name, "credit_code": credit},
        description=f"{plan.title}。{FICTIONAL}"))
    for source, amount, document in plan.budget:
        money_service.add_budget_line(session=session, actor=SYSTEM, project=project, data=BudgetLineIn(
            source=source, amount=Money(amount), document_no=document.format(y=year), year=year))
    if plan.until == State.proposed:
        return
    service.take_step(session=session, actor=SYSTEM, project=project, today=today, data=TransitionIn(
        to=State.approved, authority="红安县退役军人事务局", document_no=f"红退役发〔{year}〕{20 + index}号",
        date=approved_on))
    if plan.until == State.cancelled:
        service.take_step(session=session, actor=SYSTEM, project=project, today=today,
                          data=TransitionIn(to=State.cancelled, reason=plan.cancel_reason, date=start))
        return
    if plan.until == State.approved:
        return
    _photos(session, project, facilities, Phase.before, start - timedelta(days=3), store, limits, thresholds, index)
    service.take_step(session=session, actor=SYSTEM, project=project, today=today,
                      data=TransitionIn(to=State.in_progress, date=start))
    for number, (days, amount, purpose) in enumerate(plan.payments):
        paid = min(start + timedelta(days=days), today)
        if plan.adjustment is not None and number == len(plan.payments) - 1:
            source, extra, reason, document = plan.adjustment
            money_service.add_adjustment(session=session, actor=SYSTEM, project=project, today=today, data=AdjustmentIn(
                source=source, amount=Money(extra), reason=reason, document_no=document.format(y=paid.year),
                date=paid))
        facility = facilities[number % len(facilities)]
        money_service.add_expenditure(session=session, actor=SYSTEM, project=project, today=today, data=ExpenditureIn(
            date=paid, amount=Money(amount), payee=contractor_name, invoice_no=f"4200{index:02d}{number:02d}{paid:%m%d}",
            purpose=purpose, facility_id=facility.id))
    if plan.until == State.in_progress:
        return
    finished = min(end - timedelta(days=5), today - timedelta(days=1))
    _photos(session, project, facilities, Phase.after, finished - timedelta(days=1), store, limits, thresholds, index)
    service.take_step(session=session, actor=SYSTEM, project=project, today=today, data=TransitionIn(
        to=State.completed, date=finished, by="红安县退役军人事务局验收组", result="工程质量合格，同意验收",
        document_no=f"红退役验〔{finished.year}〕{index + 1}号"))


def _photos(session, project, facilities, phase, day, store, limits, thresholds, index) -> None:  # type: ignore[no-untyped-def]
    for number, facility in enumerate(facilities):
        taken = _at(day, 9 + number)
        data = demo_photo(facility.longitude + 0.0003, facility.latitude + 0.0002, taken,
                          after=phase == Phase.after, seed=index * 7 + number)
        accepted = accept([Upload.of(f"{phase.value}-{facility.code}.jpg", data)], store=store, limits=limits)
        evidence_service.add_evidence(session=session, actor=SYSTEM, project=project, phase=phase, files=accepted,
                                      facility_id=facility.id, expenditure_id=None, note="", device=None,
                                      thresholds=thresholds)
