"""The patrol ledger (巡查台账) as an Excel workbook with Chinese headers.

Sheet 巡查记录: one row per inspection, with grade, defects found, photo
count and verified count. Sheet 按月汇总: one row per facility and month,
what was due and what was done. Sheet 整改清单: defects opened in the
period, with deadline, responsible person and state.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.tables import write_xlsx
from inspections.checklist import (
    CATEGORY_LABELS,
    GRADE_LABELS,
    LEVEL_LABELS,
    SEVERITY_LABELS,
    Level,
)
from inspections.compliance import compliance, month_index, period_of, report_span
from inspections.models import Defect, Inspection
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.models import Division

RECORD_HEADER = ["巡查日期", "所属月份", "设施编号", "设施名称", "所在区划", "巡查级别", "巡查人", "状况等级",
                 "发现问题", "新增整改项", "照片数", "位置已核验照片数", "巡查位置距设施（米）", "备注",
                 "位置核验"]
SUMMARY_HEADER = ["设施编号", "设施名称", "所在区划", "月份", "应巡查", "巡查次数", "是否完成", "照片数", "已核验照片数"]
DEFECT_HEADER = ["设施编号", "设施名称", "问题类别", "严重程度", "问题描述", "整改时限", "责任人", "状态", "发现巡查编号"]


def _conditions(actor: Actor, division: str, column):  # type: ignore[no-untyped-def]
    out = [scoped(column, actor.scope)]
    if division:
        out.append(within(column, division))
    return out


def write_patrol_ledger(
    *, session: Session, actor: Actor, division: str, period_from: str, period_to: str, path: Path,
    max_months: int, today: date | None = None,
) -> int:
    """Write the ledger for ``division`` and the months from..to; returns the number of inspections.

    The span is checked first (:func:`inspections.compliance.report_span`), before anything is read.
    """
    report_span(period_from, period_to, max_months=max_months)
    names = dict(session.execute(select(Division.code, Division.full_name)).all())
    cond = _conditions(actor, division, Inspection.division_code)
    in_range = [*cond, Inspection.period >= period_from, Inspection.period <= period_to]
    opened = dict(session.execute(
        select(Defect.opened_by_id, func.count(Defect.id)).join(Inspection, Inspection.id == Defect.opened_by_id)
        .where(*in_range).group_by(Defect.opened_by_id)
    ).all())
    records = []
    for i in session.scalars(select(Inspection).where(*in_range).order_by(Inspection.performed_at, Inspection.id)):
        problems = [k for k, v in i.checklist.items() if v.get("result") == "problem"]
        records.append([
            i.performed_at.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M"), i.period, i.facility.code,
            i.facility.name, names.get(i.division_code, i.division_code), LEVEL_LABELS[i.level], i.inspector_name,
            GRADE_LABELS[i.grade], "；".join(i.checklist[k].get("note") or k for k in problems) or "无",
            opened.get(i.id, 0), i.photo_count, i.verified_count,
            round(i.position_distance_m) if i.position_distance_m is not None else "", i.notes,
            f"未核验：{i.unverified_reason}" if i.unverified_reason is not None else "已核验",
        ])

    patrol = compliance(session=session, actor=actor, division=division, level=Level.patrol,
                        period_from=period_from, period_to=period_to, max_months=max_months, today=today)
    per_month: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for facility_id, period, count, photos, verified in session.execute(
        select(Inspection.facility_id, Inspection.period, func.count(Inspection.id), func.sum(Inspection.photo_count),
               func.sum(Inspection.verified_count))
        .where(*in_range, Inspection.level == Level.patrol).group_by(Inspection.facility_id, Inspection.period)
    ):
        per_month[(facility_id, period)] = [count, int(photos or 0), int(verified or 0)]
    summary = []
    for f in patrol.facilities:
        for index in range(month_index(period_from), month_index(period_to) + 1):
            period = period_of(index)
            count, photos, verified = per_month[(f.id, period)]
            due = f.interval_days <= 31
            summary.append([f.code, f.name, names.get(f.division_code, f.division_code), period,
                            "是" if due else "按周期", count, "已完成" if count else ("未完成" if due else "—"),
                            photos, verified])
    summary.append(["合计", f"{len(patrol.facilities)}处设施", "", f"{period_from}至{period_to}",
                    patrol.due, patrol.inspections, f"完成率 {patrol.rate:.0%}" if patrol.rate is not None else "—",
                    "", ""])

    defects = []
    for d in session.scalars(
        select(Defect).join(Inspection, Inspection.id == Defect.opened_by_id).where(*in_range).order_by(Defect.id)
    ):
        defects.append([d.facility.code, d.facility.name, CATEGORY_LABELS[d.category], SEVERITY_LABELS[d.severity],
                        d.description, d.deadline.isoformat(), d.responsible_person,
                        "已整改" if d.status == "resolved" else "未整改", d.opened_by_id])
    write_xlsx(path, [("巡查记录", RECORD_HEADER, records), ("按月汇总", SUMMARY_HEADER, summary),
                      ("整改清单", DEFECT_HEADER, defects)])
    return len(records)

