"""The patrol ledger (巡查台账): the register a bureau prints, signs and files, as XLSX or PDF.

Every sheet carries the register's title (unit and subject), the reporting
unit and the period, numbered rows (序号) and the preparer / reviewer / date
lines (``gis.registers.write_register``; the PDF: ``gis.register_pdf``).

Sheets, in order:

- 巡查记录: one row per inspection, who patrolled (real name), the grade,
  problems found, photos (a link to the inspection) and notes;
- 六个一: per standing facility, the "six ones" as the latest inspection of
  the period found them (有 / 缺失 / 未查);
- 乡镇汇总: per township, facilities, due and done patrol cycles, the rate,
  inspections, problems found and put right;
- 按月汇总: per facility and month, what was due and what was done;
- 整改清单: defects opened in the period, deadline, responsible person, state,
  fix date and the photo taken after the fix;
- 照片附录: every photo of the period's inspections, one row each, linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.models import Attachment
from gis.register_pdf import write_register_pdf
from gis.registers import Heading, Link, Sheet, write_register, write_register_csv
from inspections.checklist import (
    CATEGORY_LABELS,
    CHECKLIST,
    GRADE_LABELS,
    LEVEL_LABELS,
    SEVERITY_LABELS,
    Level,
)
from inspections.compliance import compliance, month_index, period_of, report_span
from inspections.models import OWNER_TYPE, Defect, Inspection
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.exporting import reporting_unit
from memorials.models import Division, User

RECORD_HEADER = ["巡查日期", "所属月份", "设施编号", "设施名称", "所在区划", "巡查级别", "巡查人", "状况等级",
                 "发现问题", "新增整改项", "照片数", "位置已核验照片数", "巡查位置距设施（米）", "照片", "备注",
                 "位置核验"]
SIX_ONES = [item for item in CHECKLIST if item.group == "六个一"]
SIX_HEADER = ["设施编号", "设施名称", "所在区划", *[item.label for item in SIX_ONES], "依据巡查日期", "缺失项数"]
TOWNSHIP_HEADER = ["乡镇（街道）", "设施数", "应巡查周期", "已巡查周期", "完成率", "巡查次数", "发现问题", "已整改"]
SUMMARY_HEADER = ["设施编号", "设施名称", "所在区划", "月份", "应巡查", "巡查次数", "是否完成", "照片数", "已核验照片数"]
DEFECT_HEADER = ["设施编号", "设施名称", "问题类别", "严重程度", "问题描述", "整改时限", "责任人", "状态",
                 "发现日期", "整改完成日期", "整改后照片", "整改说明"]
PHOTO_HEADER = ["巡查日期", "设施编号", "设施名称", "第几张", "拍摄时间", "位置核验", "距设施（米）", "照片"]
VERIFICATION_LABELS = {"verified": "已核验", "far": "距离过远", "no_gps": "无定位"}
PRESENT = {"ok", "present", "yes"}
MISSING = {"problem", "missing", "no"}

Format = Literal["xlsx", "pdf", "csv"]


@dataclass(frozen=True)
class Links:
    """Turns the product's own paths into what a register links to (absolute URLs from the web, none from the CLI)."""

    base_url: str = ""
    photo_path: Callable[[str], str] | None = None

    def page(self, path: str) -> str:
        return f"{self.base_url}{path}" if self.base_url else ""

    def photo(self, sha256: str) -> str:
        return f"{self.base_url}{self.photo_path(sha256)}" if self.base_url and self.photo_path else ""


def _conditions(actor: Actor, division: str, column):  # type: ignore[no-untyped-def]
    out = [scoped(column, actor.scope)]
    if division:
        out.append(within(column, division))
    return out


def _period_text(first: str, last: str) -> str:
    one = f"{first[:4]}年{first[5:7]}月"
    return one if first == last else f"{one}至{last[:4]}年{last[5:7]}月"


def preparer_name(session: Session, actor: Actor) -> str:
    if actor.user_id is None:
        return ""
    return session.scalar(select(User.display_name).where(User.id == actor.user_id)) or actor.username


def build_patrol_ledger(
    *, session: Session, actor: Actor, division: str, period_from: str, period_to: str, max_months: int,
    today: date | None = None, links: Links | None = None,
) -> tuple[Heading, list[Sheet]]:
    """The ledger's heading and sheets for ``division`` (a code prefix) and the months from..to.

    The span is checked first (:func:`inspections.compliance.report_span`), before anything is read.
    """
    report_span(period_from, period_to, max_months=max_months)
    today = today or clock.today()
    links = links or Links()
    names = dict(session.execute(select(Division.code, Division.full_name)).all())
    short = dict(session.execute(select(Division.code, Division.name)).all())
    people = dict(session.execute(select(User.id, User.display_name)).all())
    cond = _conditions(actor, division, Inspection.division_code)
    in_range = [*cond, Inspection.period >= period_from, Inspection.period <= period_to]

    opened = dict(session.execute(
        select(Defect.opened_by_id, func.count(Defect.id)).join(Inspection, Inspection.id == Defect.opened_by_id)
        .where(*in_range).group_by(Defect.opened_by_id)
    ).all())
    inspections = list(session.scalars(select(Inspection).where(*in_range)
                                       .order_by(Inspection.performed_at, Inspection.id)))
    photos: dict[int, list[Attachment]] = defaultdict(list)
    ids = [i.id for i in inspections]
    for start in range(0, len(ids), 500):
        for a in session.scalars(select(Attachment).where(Attachment.owner_type == OWNER_TYPE,
                                                          Attachment.owner_id.in_(ids[start:start + 500]))
                                 .order_by(Attachment.owner_id, Attachment.position)):
            photos[a.owner_id].append(a)

    def when(i: Inspection, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return i.performed_at.astimezone(clock.zone()).strftime(fmt)

    def inspector(i: Inspection) -> str:
        return people.get(i.inspector_id) or i.inspector_name

    records, appendix = [], []
    latest_six: dict[int, tuple[Inspection, dict]] = {}
    for i in inspections:
        problems = [k for k, v in i.checklist.items() if v.get("result") in MISSING]
        count = len(photos[i.id])
        records.append([
            when(i), i.period, i.facility.code, i.facility.name, names.get(i.division_code, i.division_code),
            LEVEL_LABELS[i.level], inspector(i), GRADE_LABELS[i.grade],
            "；".join(i.checklist[k].get("note") or _item_label(k) for k in problems) or "无",
            opened.get(i.id, 0), i.photo_count, i.verified_count,
            round(i.position_distance_m) if i.position_distance_m is not None else "",
            Link(f"{count} 张，见照片附录" if count else "无照片", links.page(f"/inspections/{i.id}")),
            i.notes,
            f"未核验：{i.unverified_reason}" if i.unverified_reason is not None else "已核验",
        ])
        for n, a in enumerate(photos[i.id], start=1):
            appendix.append([when(i), i.facility.code, i.facility.name, n,
                             a.taken_at.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M") if a.taken_at else "",
                             VERIFICATION_LABELS.get(a.verification or "", "—"),
                             round(a.distance_m) if a.distance_m is not None else "",
                             Link(f"照片 {a.sha256[:10]}", links.photo(a.sha256))])
        if any(item.key in i.checklist for item in SIX_ONES):
            latest_six[i.facility_id] = (i, i.checklist)   # ordered by time: the last one wins

    patrol = compliance(session=session, actor=actor, division=division, level=Level.patrol,
                        period_from=period_from, period_to=period_to, max_months=max_months, today=today)

    six = []
    for f in patrol.facilities:
        found = latest_six.get(f.id)
        states = []
        for item in SIX_ONES:
            result = (found[1].get(item.key) or {}).get("result") if found else None
            states.append("有" if result in PRESENT else "缺失" if result in MISSING else "未查")
        six.append([f.code, f.name, names.get(f.division_code, f.division_code), *states,
                    when(found[0], "%Y-%m-%d") if found else "本期未巡查", states.count("缺失")])

    per_month: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for facility_id, period, count, photo_count, verified in session.execute(
        select(Inspection.facility_id, Inspection.period, func.count(Inspection.id), func.sum(Inspection.photo_count),
               func.sum(Inspection.verified_count))
        .where(*in_range, Inspection.level == Level.patrol).group_by(Inspection.facility_id, Inspection.period)
    ):
        per_month[(facility_id, period)] = [count, int(photo_count or 0), int(verified or 0)]
    summary = []
    for f in patrol.facilities:
        for index in range(month_index(period_from), month_index(period_to) + 1):
            period = period_of(index)
            count, photo_count, verified = per_month[(f.id, period)]
            due = f.interval_days <= 31
            summary.append([f.code, f.name, names.get(f.division_code, f.division_code), period,
                            "是" if due else "按周期", count, "已完成" if count else ("未完成" if due else "—"),
                            photo_count, verified])
    summary_total = [["合计", f"{len(patrol.facilities)}处设施", "", _period_text(period_from, period_to),
                      patrol.due, patrol.inspections,
                      f"完成率 {patrol.rate:.0%}" if patrol.rate is not None else "—", "", ""]]

    defects = list(session.scalars(
        select(Defect).join(Inspection, Inspection.id == Defect.opened_by_id).where(*in_range).order_by(Defect.id)))
    fixers = {d.resolved_by_id for d in defects if d.resolved_by_id}
    after: dict[int, Attachment] = {}
    if fixers:
        for a in session.scalars(select(Attachment).where(Attachment.owner_type == OWNER_TYPE,
                                                          Attachment.owner_id.in_(fixers))
                                 .order_by(Attachment.owner_id, Attachment.position.desc())):
            after[a.owner_id] = a   # the last photo of the inspection that confirmed the fix
    opened_on = {i.id: when(i, "%Y-%m-%d") for i in inspections}
    defect_rows = []
    for d in defects:
        photo = after.get(d.resolved_by_id) if d.resolved_by_id else None
        defect_rows.append([
            d.facility.code, d.facility.name, CATEGORY_LABELS[d.category], SEVERITY_LABELS[d.severity],
            d.description, d.deadline.isoformat(), d.responsible_person,
            "已整改" if d.status == "resolved" else "未整改", opened_on.get(d.opened_by_id, ""),
            d.resolved_at.astimezone(clock.zone()).strftime("%Y-%m-%d") if d.resolved_at else "",
            Link("整改后照片", links.photo(photo.sha256)) if photo else "无", d.resolution_note,
        ])

    townships: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for f in patrol.facilities:
        t = townships[f.division_code[:9]]
        t[0] += 1
        t[1] += f.due
        t[2] += f.done
    for i in inspections:
        if i.level == Level.patrol:
            townships[i.division_code[:9]][3] += 1
    for d in defects:
        townships[d.division_code[:9]][4] += 1
        townships[d.division_code[:9]][5] += d.status == "resolved"
    township_rows = [[short.get(code, code), n, due, done, f"{done / due:.0%}" if due else "—", count, found, fixed]
                     for code, (n, due, done, count, found, fixed) in sorted(townships.items())]
    totals = [sum(r[k] for r in township_rows) for k in (1, 2, 3, 5, 6, 7)]
    township_total = [["合计", totals[0], totals[1], totals[2], f"{totals[2] / totals[1]:.0%}" if totals[1] else "—",
                       totals[3], totals[4], totals[5]]]

    heading = Heading(unit=reporting_unit(session=session, code=division or actor.jurisdiction), subject="烈士纪念设施巡查台账",
                      period=_period_text(period_from, period_to), preparer=preparer_name(session, actor),
                      date=f"{today.year}年{today.month}月{today.day}日")
    sheets = [
        Sheet("巡查记录", RECORD_HEADER, records),
        Sheet("六个一", SIX_HEADER, six),
        Sheet("乡镇汇总", TOWNSHIP_HEADER, township_rows, totals=township_total),
        Sheet("按月汇总", SUMMARY_HEADER, summary, totals=summary_total),
        Sheet("整改清单", DEFECT_HEADER, defect_rows),
        Sheet("照片附录", PHOTO_HEADER, appendix),
    ]
    return heading, sheets


def _item_label(key: str) -> str:
    for item in CHECKLIST:
        if item.key == key:
            return item.label
    return key


def write_patrol_ledger(
    *, session: Session, actor: Actor, division: str, period_from: str, period_to: str, path: Path,
    max_months: int, today: date | None = None, fmt: Format = "xlsx", links: Links | None = None,
) -> int:
    """Write the ledger as XLSX (every sheet), PDF (every sheet, to sign) or CSV (the records); returns the inspections."""
    heading, sheets = build_patrol_ledger(session=session, actor=actor, division=division, period_from=period_from,
                                          period_to=period_to, max_months=max_months, today=today, links=links)
    if fmt == "pdf":
        write_register_pdf(path, heading, sheets)
    elif fmt == "csv":
        write_register_csv(path, heading, sheets[0])
    else:
        write_register(path, heading, sheets)
    return len(sheets[0].rows)


DEFECT_LIST_HEADER = ["设施编号", "设施名称", "所在区划", "检查项目", "问题类别", "严重程度", "问题描述", "责任人",
                      "整改时限", "原定时限", "是否逾期", "状态", "整改方式", "整改说明", "发现巡查编号"]
RESOLUTION_LABELS = {"inspection": "巡查复核", "note": "书面说明", "photo": "整改后照片", "repair": "修缮项目"}


def write_defect_list(*, session: Session, actor: Actor, defects: list[Defect], today: date, path: Path,
                      division: str | None = None) -> int:
    """The rectification list (整改清单) as shown on ``/defects``, in the register form, one numbered row per defect."""
    names = dict(session.execute(select(Division.code, Division.full_name)).all())
    rows = []
    for d in defects:
        overdue = d.status == "open" and d.deadline < today
        rows.append([d.facility.code, d.facility.name, names.get(d.division_code, d.division_code), d.item,
                     CATEGORY_LABELS[d.category], SEVERITY_LABELS[d.severity], d.description, d.responsible_person,
                     d.deadline.isoformat(), d.original_deadline.isoformat() if d.original_deadline else "",
                     "是" if overdue else "否", "已整改" if d.status == "resolved" else "未整改",
                     RESOLUTION_LABELS.get(d.resolution_kind or "", ""), d.resolution_note, d.opened_by_id])
    heading = Heading(unit=reporting_unit(session=session, code=division or actor.jurisdiction),
                      subject="烈士纪念设施整改清单", period=f"截至{today.year}年{today.month}月{today.day}日",
                      preparer=preparer_name(session, actor), date=f"{today.year}年{today.month}月{today.day}日")
    write_register(path, heading, [Sheet("整改清单", DEFECT_LIST_HEADER, rows)])
    return len(rows)
