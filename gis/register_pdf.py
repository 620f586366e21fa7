"""A register (台账) as a PDF to print, sign and file: A4 landscape, Chinese text.

ReportLab draws the tables. The Chinese text uses ReportLab's built-in CID
font ``STSong-Light`` (Adobe's Simplified Chinese set): no font file is
installed or embedded, the PDF names the font and every reader (Acrobat,
pdf.js, Poppler, Foxit) substitutes its own Song typeface, which is what a
signed register needs. Cells are plain text (ReportLab's ``Paragraph``
markup is escaped), so user text cannot change the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from gis.registers import Heading, Link, Sheet

FONT = "STSong-Light"


def _text(value: Any) -> str:
    if isinstance(value, Link):
        return value.text
    return "" if value is None else str(value)


def _width(value: Any) -> int:
    """Print width in half-width characters (a Chinese character counts two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in _text(value))


def _paragraph(value: Any, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    if isinstance(value, Link) and value.url:
        href = escape(value.url, {'"': "&quot;"})
        return Paragraph(f'<a href="{href}" color="#1d4ed8">{escape(value.text)}</a>', style)
    return Paragraph(escape(_text(value)), style)


def write_register_pdf(path: Path, heading: Heading, sheets: Sequence[Sheet]) -> None:
    """One section per sheet (title, unit and period, numbered table, signature lines); A4 landscape.

    The column header repeats on every page; pages are numbered "第 N 页".
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1)
    line = ParagraphStyle("line", fontName=FONT, fontSize=10, leading=14)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9.5, wordWrap="CJK")
    head = ParagraphStyle("head", parent=cell, alignment=1)

    page_w, page_h = landscape(A4)
    margin = 12 * mm
    usable = page_w - 2 * margin

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(page_w / 2, 7 * mm, f"{heading.unit}{heading.subject}　第 {doc.page} 页")
        canvas.restoreState()

    story: list[Any] = []
    for n, spec in enumerate(sheets):
        if n:
            story.append(PageBreak())
        header = (["序号"] if spec.numbered else []) + list(spec.header)
        rows = [([i] if spec.numbered else []) + list(r) for i, r in enumerate(spec.rows, start=1)]
        rows += [([""] if spec.numbered else []) + list(r) for r in spec.totals]
        story.append(Paragraph(escape(f"{heading.unit}{heading.subject}"), title))
        story.append(Paragraph(("&nbsp;" * 8).join(escape(part) for part in (
            f"填报单位：{heading.unit}", f"期间：{heading.period}", f"表名：{spec.title}")), line))
        story.append(Spacer(1, 3 * mm))
        # By the data; a long header wraps rather than widening a column of small numbers.
        weights = [max(4, min(30, max([min(_width(h), 8)] + [_width(r[i]) for r in rows[:200] if i < len(r)])))
                   for i, h in enumerate(header)]
        widths = [usable * w / sum(weights) for w in weights]
        data = [[Paragraph(escape(_text(h)), head) for h in header]]
        data += [[_paragraph(v, cell) for v in r] + [""] * (len(header) - len(r)) for r in rows]
        if not rows:
            data.append([Paragraph("（无记录）", cell)] + [""] * (len(header) - 1))
        table = LongTable(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]))
        story.append(table)
        story.append(Spacer(1, 8 * mm))
        signatures = [f"填表人：{heading.preparer or '____________'}", f"审核人：{heading.reviewer or '____________'}",
                      "负责人：____________", f"填报日期：{heading.date or '______年____月____日'}"]
        story.append(Table([[Paragraph(escape(part), line) for part in signatures]], colWidths=[usable / 4] * 4))
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=14 * mm, title=f"{heading.unit}{heading.subject}",
                            author=heading.unit, subject=heading.period)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
