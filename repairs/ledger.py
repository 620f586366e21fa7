"""The repair-funds ledger (维修经费台账) as an Excel workbook, drawn from the same figures as the summary.

Sheet 汇总: title row, the units (元), totals by kind and by funding source and
the counts. Sheet 项目明细: one numbered row per project. Sheet 支出明细: one
numbered row per expenditure of the year. Sheet 设施支出: spending per
facility. Amounts are exact decimals with a two-place number format
(``memorials.money.XLSX_FORMAT``); every cell goes through
``gis.tables.safe_cell``; pages are set up to print landscape on A4 with the
header rows repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.tables import safe_cell
from memorials.actors import Actor
from memorials.divisions import get_division, normalize_code
from memorials.money import XLSX_FORMAT, Money, xlsx_cell
from repairs import money as money_service
from repairs.models import Expenditure, RepairProject
from repairs.schemas import SummaryOut
from repairs.service import is_overdue
from repairs.summary import project_places, summary
from repairs.vocab import KIND_LABELS, SOURCE_LABELS, STATE_LABELS


def _value(value: Any) -> Any:
    if isinstance(value, Money):
        return xlsx_cell(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return safe_cell(value)


def _sheet(book: Workbook, title: str, heading: str, unit: str, header: Sequence[str],
           rows: Sequence[Sequence[Any]], widths: Sequence[int]) -> Worksheet:
    sheet = book.create_sheet(title=title)
    sheet.append([_value(heading)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([_value(unit)])
    sheet.append([_value(h) for h in header])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        sheet.append([_value(v) for v in row])
        for cell, raw in zip(sheet[sheet.max_row], row):
            if isinstance(raw, Money):
                cell.number_format = XLSX_FORMAT
            elif isinstance(raw, str):
                cell.data_type = "s"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "1:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    return sheet


def write_repair_ledger(*, session: Session, actor: Actor, division: str, year: int, path: Path, today: date
                        ) -> SummaryOut:
    """Write the ledger of ``division`` for ``year``; returns the figures written (the same as the summary's)."""
    figures = summary(session=session, actor=actor, division=division, year=year, today=today)
    row = get_division(session=session, code=normalize_code(division)) if division else None
    place = row.full_name if row is not None else "全部辖区"
    book = Workbook()
    book.remove(book.active)
    overview: list[list[Any]] = []
    serial = 0
    for kind, amount in figures.by_kind.items():
        serial += 1
        overview.append([serial, "按类型支出", KIND_LABELS[kind], amount])
    overview.append(["", "按类型支出", "合计", figures.total])
    for source, amount in figures.by_source.items():
        serial += 1
        overview.append([serial, "按资金来源批复", SOURCE_LABELS[source], amount])
    overview.append(["", "按资金来源批复", "其中：上级补助资金", figures.higher_level])
    overview.append(["", "按资金来源批复", "合计", figures.budget_total])
    for label, count in (("竣工验收项目（个）", figures.projects_completed),
                         ("修缮设施（处）", figures.facilities_repaired),
                         ("超期项目（个）", figures.projects_overdue),
                         ("未列入项目的待整改问题（项）", figures.defects_without_project)):
        serial += 1
        overview.append([serial, "统计", label, count])
    heading = f"{place}{year}年烈士纪念设施维修经费台账"
    _sheet(book, "汇总", heading, "金额单位：元", ["序号", "类别", "项目", "金额/数量"], overview, [8, 18, 30, 20])

    projects = []
    for index, p in enumerate(session.scalars(
            select(RepairProject).where(*project_places(actor, division)).order_by(RepairProject.planned_start,
                                                                           RepairProject.id)), start=1):
        totals = money_service.totals(session=session, project_id=p.id)
        projects.append([index, p.title, KIND_LABELS[p.kind], "、".join(f.name for f in p.facilities),
                         STATE_LABELS[p.status], p.planned_start.isoformat(), p.planned_end.isoformat(),
                         p.approval_document_no, p.contractor_name, totals.approved, totals.spent,
                         "是" if is_overdue(p, today) else "否"])
    _sheet(book, "项目明细", f"{heading}（项目明细）", "金额单位：元",
           ["序号", "项目名称", "类型", "设施", "状态", "计划开工", "计划竣工", "批准文号", "施工单位",
            "批复金额", "已支出", "是否超期"], projects, [6, 30, 10, 30, 10, 12, 12, 18, 24, 14, 14, 8])

    spending = []
    first, last = date(year, 1, 1), date(year, 12, 31)
    stmt = (select(Expenditure).join(RepairProject, RepairProject.id == Expenditure.project_id)
            .where(*project_places(actor, division), Expenditure.paid_on.between(first, last))
            .order_by(Expenditure.paid_on, Expenditure.id))
    for index, e in enumerate(session.scalars(stmt), start=1):
        project = session.get(RepairProject, e.project_id)
        spending.append([index, e.paid_on.isoformat(), project.title if project else "", e.facility.code,
                         e.facility.name, e.payee, e.invoice_no, e.purpose, e.amount])
    spending.append(["合计", "", "", "", "", "", "", "", figures.total])
    _sheet(book, "支出明细", f"{heading}（支出明细）", "金额单位：元",
           ["序号", "支付日期", "项目", "设施编号", "设施名称", "收款单位", "发票号", "用途", "金额"], spending,
           [6, 12, 30, 16, 24, 24, 16, 30, 14])

    facilities = [[i, f.code, f.name, f.spent] for i, f in enumerate(figures.per_facility, start=1)]
    facilities.append(["合计", "", "", figures.total])
    _sheet(book, "设施支出", f"{heading}（按设施）", "金额单位：元", ["序号", "设施编号", "设施名称", "支出金额"],
           facilities, [6, 18, 30, 16])
    book.save(path)
    return figures
