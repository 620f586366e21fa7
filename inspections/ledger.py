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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

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
from inspections.compliance import Row, facility_rows
from inspections.cycles import month_index, period_of, report_span
from inspections.models import OWNER_TYPE, Defect, Inspection
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.exporting import reporting_unit
from memorials.models import Division, Facility, User
from memorials.vocab import STANDING_STATUSES

RECORD_HEADER = ["巡查日期", "所属月份", "设施编号", "设施名称", "所在区划", "巡查级别", "巡查人", "状况等级",
                 "发现问题", "新增整改项", "照片数", "位置已核验照片数", "巡查位置距设施（米）", "照片", "备注",
                 "位置核验"]
SIX_ONES = [item for item in CHECKLIST if item.group == "六个一"]
SIX_HEADER = ["设施编号", "设施名称", "所在区划", *[item.label for item in SIX_ONES], "依据巡查日期", "缺失项数"]
TOWNSHIP_HEADER = ["乡镇（街道）", "设施数", "应巡查周期", "已巡查周期", "完成率", "巡查次数", "发现问题", "已整改"]
SUMMARY_HEAD = ["设施编号", "设施名称", "所在区划", "巡查周期（天）"]
SUMMARY_TAIL = ["应巡查周期", "已完成周期", "完成率", "照片数", "已核验照片数"]
"""按月汇总: one row per facility, one column per month (its patrols), then the cycles due and done."""
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


Progress = Callable[[float, str], None]
"""Called now and then with the share done (0..1) and what is being written, in Chinese."""
EVERY = 5_000


def _quiet(_share: float, _note: str) -> None:
    return None


def build_patrol_ledger(
    *, session: Session, actor: Actor, division: str, period_from: str, period_to: str, max_months: int,
    today: date | None = None, links: Links | None = None, progress: Progress | None = None,
) -> tuple[Heading, list[Sheet]]:
    """The ledger's heading and sheets for ``division`` (a code prefix) and the months from..to.

    The span is checked first (:func:`inspections.cycles.report_span`), before anything is read.
    The sheets' rows are generators over streamed queries (read them once, in order, as
    :func:`gis.registers.write_register` does): a national ledger never holds its rows in memory,
    only a few small maps (divisions, people, the latest "six ones" per facility, townships).
    """
    report_span(period_from, period_to, max_months=max_months)
    today = today or clock.today()
    links = links or Links()
    report = progress or _quiet
    place = [*_conditions(actor, division, Facility.division_code), Facility.status.in_(STANDING_STATUSES)]
    codes = select(Facility.division_code).where(*place).distinct()
    names = _DivisionNames(session, Division.full_name, codes)
    short = _DivisionNames(session, Division.name, select(func.substr(Facility.division_code, 1, 9)).where(*place)
                           .distinct())
    people = dict(session.execute(select(User.id, User.display_name)).all())
    cond = _conditions(actor, division, Inspection.division_code)
    in_range = [*cond, Inspection.period >= period_from, Inspection.period <= period_to]
    total = session.scalar(select(func.count(Inspection.id)).where(*in_range)) or 0
    facilities = session.scalar(select(func.count(Facility.id)).where(
        *_conditions(actor, division, Facility.division_code), Facility.status.in_(STANDING_STATUSES))) or 0
    work = max(1, 2 * total + 2 * facilities)   # records and photos, then two passes over the facilities
    done_work = [0]

    def step(note: str, n: int = EVERY) -> None:
        done_work[0] += n
        report(min(0.99, done_work[0] / work), note)

    def when(at: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return at.astimezone(clock.zone()).strftime(fmt)

    latest_six: dict[int, tuple[datetime, dict]] = {}

    def records() -> Iterator[list]:
        opened = (select(func.count(Defect.id)).where(Defect.opened_by_id == Inspection.id)
                  .correlate(Inspection).scalar_subquery())
        attached = (select(func.count(Attachment.id)).where(Attachment.owner_type == OWNER_TYPE,
                                                            Attachment.owner_id == Inspection.id)
                    .correlate(Inspection).scalar_subquery())
        rows = session.execute(
            select(Inspection.id, Inspection.facility_id, Inspection.performed_at, Inspection.period,
                   Facility.code, Facility.name, Inspection.division_code, Inspection.level, Inspection.inspector_id,
                   Inspection.inspector_name, Inspection.grade, Inspection.checklist, opened, Inspection.photo_count,
                   Inspection.verified_count, Inspection.position_distance_m, attached, Inspection.notes,
                   Inspection.unverified_reason)
            .join(Facility, Facility.id == Inspection.facility_id).where(*in_range)
            .order_by(Inspection.performed_at, Inspection.id).execution_options(yield_per=EVERY))
        for n, (iid, fid, at, period, code, name, dcode, level, who, who_name, grade, checklist, opened_n,
                photo_count, verified, distance, count, notes, unverified) in enumerate(rows, start=1):
            problems = [k for k, v in checklist.items() if v.get("result") in MISSING]
            yield [
                when(at), period, code, name, names[dcode], LEVEL_LABELS[level],
                people.get(who) or who_name, GRADE_LABELS[grade],
                "；".join(checklist[k].get("note") or _item_label(k) for k in problems) or "无",
                opened_n, photo_count, verified, round(distance) if distance is not None else "",
                Link(f"{count} 张，见照片附录" if count else "无照片", links.page(f"/inspections/{iid}")),
                notes, f"未核验：{unverified}" if unverified is not None else "已核验",
            ]
            if any(item.key in checklist for item in SIX_ONES):
                latest_six[fid] = (at, {item.key: checklist.get(item.key) for item in SIX_ONES})  # the last wins
            if n % EVERY == 0:
                step("巡查记录")

    def patrol_rows() -> Iterator[Row]:
        return facility_rows(session=session, actor=actor, division=division, level=Level.patrol,
                             period_from=period_from, period_to=period_to, today=today)

    townships: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])

    def six() -> Iterator[list]:
        for n, f in enumerate(patrol_rows(), start=1):
            t = townships[f.division_code[:9]]
            t[0] += 1
            t[1] += f.due
            t[2] += f.done
            found = latest_six.get(f.id)
            states = []
            for item in SIX_ONES:
                result = (found[1].get(item.key) or {}).get("result") if found else None
                states.append("有" if result in PRESENT else "缺失" if result in MISSING else "未查")
            yield [f.code, f.name, names[f.division_code], *states,
                   when(found[0], "%Y-%m-%d") if found else "本期未巡查", states.count("缺失")]
            if n % EVERY == 0:
                step("六个一")

    def township_rows() -> Iterator[list]:
        town = func.substr(Inspection.division_code, 1, 9)
        for code, count in session.execute(select(town, func.count(Inspection.id))
                                           .where(*in_range, Inspection.level == Level.patrol).group_by(town)):
            townships[code][3] += count
        town = func.substr(Defect.division_code, 1, 9)
        for code, found, fixed in session.execute(
                select(town, func.count(Defect.id), func.sum(case((Defect.status == "resolved", 1), else_=0)))
                .join(Inspection, Inspection.id == Defect.opened_by_id).where(*in_range).group_by(town)):
            townships[code][4] += found
            townships[code][5] += int(fixed or 0)
        for code, (n, due, done, count, found, fixed) in sorted(townships.items()):
            yield [short[code], n, due, done, f"{done / due:.0%}" if due else "—", count, found, fixed]

    def township_total() -> Iterator[list]:
        n, due, done, count, found, fixed = (sum(t[k] for t in townships.values()) for k in range(6))
        yield ["合计", n, due, done, f"{done / due:.0%}" if due else "—", count, found, fixed]

    months = [period_of(i) for i in range(month_index(period_from), month_index(period_to) + 1)]
    sums = {"facilities": 0, "due": 0, "done": 0, "photos": 0, "verified": 0, "months": [0] * len(months)}

    def summary() -> Iterator[list]:
        counted = iter(session.execute(
            select(Inspection.facility_id, Inspection.period, func.count(Inspection.id),
                   func.sum(Inspection.photo_count), func.sum(Inspection.verified_count))
            .join(Facility, Facility.id == Inspection.facility_id)
            .where(*place, *in_range, Inspection.level == Level.patrol)
            .group_by(Facility.code, Inspection.facility_id, Inspection.period)
            .order_by(Facility.code, Inspection.facility_id, Inspection.period)
            .execution_options(yield_per=EVERY)))
        pending = next(counted, None)
        column = {period: k for k, period in enumerate(months)}
        for n, f in enumerate(patrol_rows(), start=1):
            per_month, photos, verified = [0] * len(months), 0, 0
            while pending is not None and pending[0] == f.id:   # the same facilities in the same order
                per_month[column[pending[1]]] = pending[2]
                photos += int(pending[3] or 0)
                verified += int(pending[4] or 0)
                pending = next(counted, None)
            sums["facilities"] += 1
            sums["due"] += f.due
            sums["done"] += f.done
            sums["photos"] += photos
            sums["verified"] += verified
            sums["months"] = [a + b for a, b in zip(sums["months"], per_month, strict=True)]
            yield [f.code, f.name, names[f.division_code], f.interval_days, *per_month,
                   f.due, f.done, f"{f.done / f.due:.0%}" if f.due else "—", photos, verified]
            if n % EVERY == 0:
                step("按月汇总")

    def summary_total() -> Iterator[list]:
        due, done = sums["due"], sums["done"]
        yield ["合计", f"{sums['facilities']}处设施", _period_text(period_from, period_to), "", *sums["months"],
               due, done, f"完成率 {done / due:.0%}" if due else "—", sums["photos"], sums["verified"]]

    def defect_rows() -> Iterator[list]:
        opener = aliased(Inspection)
        after = (select(Attachment.sha256).where(Attachment.owner_type == OWNER_TYPE,
                                                 Attachment.owner_id == Defect.resolved_by_id)
                 .order_by(Attachment.position.desc()).limit(1).correlate(Defect).scalar_subquery())
        for (code, name, category, severity, description, deadline, person, status, opened_at, resolved_at,
             photo, note) in session.execute(
                select(Facility.code, Facility.name, Defect.category, Defect.severity, Defect.description,
                       Defect.deadline, Defect.responsible_person, Defect.status, opener.performed_at,
                       Defect.resolved_at, after, Defect.resolution_note)
                .join(Facility, Facility.id == Defect.facility_id)
                .join(opener, opener.id == Defect.opened_by_id)
                .where(*[c for c in _conditions(actor, division, opener.division_code)],
                       opener.period >= period_from, opener.period <= period_to)
                .order_by(Defect.id).execution_options(yield_per=EVERY)):
            yield [code, name, CATEGORY_LABELS[category], SEVERITY_LABELS[severity], description, deadline.isoformat(),
                   person, "已整改" if status == "resolved" else "未整改", when(opened_at, "%Y-%m-%d"),
                   when(resolved_at, "%Y-%m-%d") if resolved_at else "",
                   Link("整改后照片", links.photo(photo)) if photo else "无", note]

    def appendix() -> Iterator[list]:
        number, last = 0, None
        for n, (iid, at, code, name, taken, verification, distance, sha) in enumerate(session.execute(
                select(Inspection.id, Inspection.performed_at, Facility.code, Facility.name, Attachment.taken_at,
                       Attachment.verification, Attachment.distance_m, Attachment.sha256)
                .join(Facility, Facility.id == Inspection.facility_id)
                .join(Attachment, (Attachment.owner_type == OWNER_TYPE) & (Attachment.owner_id == Inspection.id))
                .where(*in_range).order_by(Inspection.performed_at, Inspection.id, Attachment.position)
                .execution_options(yield_per=EVERY)), start=1):
            number = number + 1 if iid == last else 1
            last = iid
            yield [when(at), code, name, number, when(taken) if taken else "",
                   VERIFICATION_LABELS.get(verification or "", "—"),
                   round(distance) if distance is not None else "", Link(f"照片 {sha[:10]}", links.photo(sha))]
            if n % EVERY == 0:
                step("照片附录")

    heading = Heading(unit=reporting_unit(session=session, code=division or actor.jurisdiction), subject="烈士纪念设施巡查台账",
                      period=_period_text(period_from, period_to), preparer=preparer_name(session, actor),
                      date=f"{today.year}年{today.month}月{today.day}日")
    sheets = [
        Sheet("巡查记录", RECORD_HEADER, records()),
        Sheet("六个一", SIX_HEADER, six()),
        Sheet("乡镇汇总", TOWNSHIP_HEADER, township_rows(), totals=township_total()),
        Sheet("按月汇总", [*SUMMARY_HEAD, *(f"{p}巡查次数" for p in months), *SUMMARY_TAIL], summary(),
              totals=summary_total()),
        Sheet("整改清单", DEFECT_HEADER, defect_rows()),
        Sheet("照片附录", PHOTO_HEADER, appendix()),
    ]
    return heading, sheets


class _DivisionNames(dict[str, str]):
    """The names of the divisions the ledger's facilities lie in, in one query (the national table holds
    ~700,000 villages; a ledger names a few thousand of them); any other code is looked up when met."""

    def __init__(self, session: Session, column, codes) -> None:  # type: ignore[no-untyped-def]
        super().__init__(session.execute(select(Division.code, column).where(Division.code.in_(codes))).all())
        self.session, self.column = session, column

    def __missing__(self, code: str) -> str:
        self[code] = found = self.session.scalar(select(self.column).where(Division.code == code)) or code
        return found


def _item_label(key: str) -> str:
    for item in CHECKLIST:
        if item.key == key:
            return item.label
    return key


def write_patrol_ledger(
    *, session: Session, actor: Actor, division: str, period_from: str, period_to: str, path: Path,
    max_months: int, today: date | None = None, fmt: Format = "xlsx", links: Links | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the ledger as XLSX (every sheet), PDF (every sheet, to sign) or CSV (the records); returns the inspections."""
    heading, sheets = build_patrol_ledger(session=session, actor=actor, division=division, period_from=period_from,
                                          period_to=period_to, max_months=max_months, today=today, links=links,
                                          progress=progress)
    counted = Sheet(sheets[0].title, sheets[0].header, _counting(sheets[0].rows, tally := [0]))
    sheets[0] = counted
    if fmt == "pdf":
        write_register_pdf(path, heading, sheets)
    elif fmt == "csv":
        write_register_csv(path, heading, sheets[0])
    else:
        write_register(path, heading, sheets)
    return tally[0]


def _counting(rows: Iterable[list], tally: list[int]) -> Iterator[list]:
    for row in rows:
        tally[0] += 1
        yield row


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
