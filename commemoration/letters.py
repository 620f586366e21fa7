"""The letter of introduction (介绍信) for a cross-region visit (异地祭扫), as a PDF.

A family travelling to a martyr's grave in another county or province
carries a letter from their own bureau to the bureau there. One A4 page:
the counterfoil (存根) that the bureau keeps, a cut line with the letter's
number across it (骑缝), then the letter itself — number, addressee, who
travels (names, relation to the martyr, ID and phone as given), the martyr
(name, unit, date of death, where buried), the destination and the dates,
the issuing bureau, the date and the room for its seal.

The Chinese text is set in a TrueType font that is subset and embedded in
the file (``FontFile2``), so every reader shows the same characters, with no
font installed: WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0 or GPL-3 with
the font exception) from the PyPI wheel ``paperang-p2-fonts-cjk``, whose
``wqy-microhei.ttc`` is byte for byte Debian's ``fonts-wqy-microhei``
0.2.0-beta (sha256 below). ``font_path`` takes another TrueType (``.ttf``,
or ``.ttc`` with ``font_index``), e.g. a Song face for a formal letter;
ReportLab cannot embed CFF-outline OpenType such as Noto CJK.

What the letter shows of personal data is the caller's choice: the caller
masks ID numbers and phones (``memorials.relatives.mask_id_number``) for a
user who may not see them. Every text is escaped for ReportLab's paragraph
markup, so a name like ``<b>`` or ``&`` prints as typed.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from memorials.errors import ValidationProblem

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
"""Debian fonts-wqy-microhei 0.2.0-beta-3.1's /usr/share/fonts/truetype/wqy/wqy-microhei.ttc."""


class LetterFontMissing(RuntimeError):
    """No TrueType CJK font to embed: the install is incomplete or ``font_path`` is wrong."""


@dataclass(frozen=True)
class Traveller:
    name: str
    relation: str
    """Relation to the martyr, e.g. 孙子."""
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class MartyrRef:
    name: str
    unit: str = ""
    death_date: str = ""
    """As stored: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (printed 1932年10月), or free text."""
    burial_place: str = ""


@dataclass(frozen=True)
class Letter:
    number: str
    """E.g. 红退役介〔2027〕3号."""
    issuer: str
    """The issuing bureau, which seals the letter."""
    recipient: str
    """The bureau addressed (where the grave lies)."""
    destination: str
    """The facility and its place, e.g. 新县烈士陵园（河南省信阳市新县）."""
    martyr: MartyrRef
    people: Sequence[Traveller]
    travel_from: date
    travel_to: date
    issued_on: date
    valid_until: date | None = None
    purpose: str = "祭扫"
    contact: str = ""
    """The issuer's contact person and phone, printed under the seal."""
    with_stub: bool = True
    extra: Sequence[str] = field(default_factory=tuple)
    """Further paragraphs (e.g. what the family asks help with)."""


def chinese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def partial_date_text(value: str) -> str:
    """``1932`` -> 1932年, ``1932-10`` -> 1932年10月, ``1932-10-05`` -> 1932年10月5日; other text as it is."""
    found = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not found:
        return value.strip()
    year, month, day = found.groups()
    return f"{year}年" + (f"{int(month)}月" if month else "") + (f"{int(day)}日" if day else "")


def _check(letter: Letter) -> None:
    problems = [(name, "required") for name in ("number", "issuer", "recipient", "destination")
                if not str(getattr(letter, name) or "").strip()]
    if not letter.martyr.name.strip():
        problems.append(("martyr.name", "required"))
    if not letter.people:
        problems.append(("people", "at least one person travels"))
    for i, person in enumerate(letter.people):
        problems += [(f"people[{i}].{name}", "required") for name in ("name", "relation")
                     if not getattr(person, name).strip()]
    if letter.travel_to < letter.travel_from:
        problems.append(("travel_to", f"{letter.travel_to} is before travel_from {letter.travel_from}"))
    if letter.valid_until is not None and letter.valid_until < letter.issued_on:
        problems.append(("valid_until", f"{letter.valid_until} is before issued_on {letter.issued_on}"))
    if problems:
        raise ValidationProblem.many(problems)


def _font(font_path: Path | None, font_index: int) -> str:
    """Register the TrueType font once per process; returns its ReportLab name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if font_path is None:
        try:
            path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
        except ModuleNotFoundError:
            path = None
        if path is None or not path.is_file():
            raise LetterFontMissing(f"the CJK font package {FONT_PACKAGE!r} is not installed (pip install "
                                    "paperang-p2-fonts-cjk, as `make install` does), and no font_path was given")
    else:
        path = Path(font_path)
        if not path.is_file():
            raise LetterFontMissing(f"letter font {path} does not exist")
    name = "Letter-" + hashlib.sha1(f"{path.resolve()}#{font_index}".encode()).hexdigest()[:10]
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=font_index))
        except TTFError as exc:
            raise LetterFontMissing(f"letter font {path} cannot be embedded (TrueType outlines needed; "
                                    f"CFF OpenType such as Noto CJK will not do): {exc}") from None
    return name


def _martyr_text(martyr: MartyrRef) -> str:
    parts = [p for p in (martyr.unit.strip(), f"{partial_date_text(martyr.death_date)}牺牲"
                         if martyr.death_date.strip() else "",
                         f"安葬于{martyr.burial_place.strip()}" if martyr.burial_place.strip() else "") if p]
    return f"{martyr.name.strip()}烈士" + (f"（{'，'.join(parts)}）" if parts else "")


def _people_phrase(people: Sequence[Traveller], martyr: MartyrRef) -> str:
    lead = people[0]
    phrase = f"{martyr.name.strip()}烈士的{lead.relation.strip()}{lead.name.strip()}"
    return phrase + (f"等{len(people)}人" if len(people) > 1 else "")


def _dates(letter: Letter) -> str:
    if letter.travel_from == letter.travel_to:
        return chinese_date(letter.travel_from)
    return f"{chinese_date(letter.travel_from)}至{chinese_date(letter.travel_to)}"


def letter_pdf(letter: Letter, *, font_path: Path | None = None, font_index: int = 0) -> bytes:
    """The letter as a one-page A4 PDF (longer lists of people run on), Chinese text embedded."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _check(letter)
    font = _font(font_path, font_index)
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=21, wordWrap="CJK", firstLineIndent=24)
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    small = ParagraphStyle("small", parent=plain, fontSize=9.5, leading=14)
    right = ParagraphStyle("right", parent=plain, alignment=2)
    title = ParagraphStyle("title", parent=plain, fontSize=22, leading=30, alignment=1, spaceAfter=2)
    cell = ParagraphStyle("cell", parent=plain, fontSize=10.5, leading=14)

    def p(text: str, style: Any) -> Any:
        return Paragraph(escape(text), style)

    people = list(letter.people)
    martyr = _martyr_text(letter.martyr)
    story: list[Any] = []
    page_w, _ = A4
    usable = page_w - 40 * mm
    if letter.with_stub:
        story += [
            p("介绍信（存根）", ParagraphStyle("stub", parent=title, fontSize=14, leading=20)),
            p(letter.number, right),
            p(f"兹介绍{_people_phrase(people, letter.martyr)}前往{letter.destination}{letter.purpose}，"
              f"时间{_dates(letter)}。接洽单位：{letter.recipient}。", body),
            p("人员：" + "、".join(f"{t.name}（{t.relation}）" for t in people), small),
            p(f"开具日期：{chinese_date(letter.issued_on)}　　经办人：__________", small),
            Spacer(1, 5 * mm),
            _cut_line(letter.number, usable, font),
            Spacer(1, 6 * mm),
        ]
    story += [p("介 绍 信", title), p(letter.number, right), Spacer(1, 3 * mm),
              p(f"{letter.recipient}：", plain),
              p(f"兹介绍{_people_phrase(people, letter.martyr)}，前往贵地{letter.destination}{letter.purpose}{martyr}之墓，"
                f"时间为{_dates(letter)}。请予接洽，并在{letter.purpose}事宜上给予协助为盼。", body)]
    story += [p(text, body) for text in letter.extra if text.strip()]
    story += [Spacer(1, 3 * mm), p(f"人员名单（共{len(people)}人）：", plain), Spacer(1, 1 * mm)]
    header = ["序号", "姓名", "与烈士关系", "身份证号", "联系电话"]
    rows = [[str(i), t.name, t.relation, t.id_number, t.phone] for i, t in enumerate(people, start=1)]
    table = Table([[p(h, cell) for h in header]] + [[p(v, cell) for v in row] for row in rows],
                  colWidths=[usable * w for w in (0.08, 0.2, 0.17, 0.33, 0.22)], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 4 * mm), p("此致", body), p("敬礼", plain), Spacer(1, 8 * mm),
              p(f"{letter.issuer}（盖章）", right), p(chinese_date(letter.issued_on), right)]
    notes = []
    if letter.valid_until is not None:
        notes.append(f"本介绍信有效期至{chinese_date(letter.valid_until)}。")
    if letter.contact.strip():
        notes.append(f"联系人：{letter.contact.strip()}")
    if notes:
        story += [Spacer(1, 4 * mm)] + [p(n, small) for n in notes]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"介绍信 {letter.number}", author=letter.issuer,
                            subject=f"{letter.purpose}{letter.martyr.name}烈士")
    doc.build(story)
    return out.getvalue()


def _cut_line(number: str, width: float, font: str) -> Any:
    """A dashed line to cut along, the number across it (骑缝)."""
    from reportlab.platypus import Flowable

    class CutLine(Flowable):  # type: ignore[misc]
        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            return width, 14

        def draw(self) -> None:
            c = self.canv
            label = f"（骑缝）{number}"
            text_w = c.stringWidth(label, font, 10)
            c.setDash(4, 3)
            c.setLineWidth(0.6)
            c.line(0, 4, (width - text_w) / 2 - 6, 4)
            c.line((width + text_w) / 2 + 6, 4, width, 4)
            c.setFont(font, 10)
            c.drawCentredString(width / 2, 0.5, label)

    return CutLine()
