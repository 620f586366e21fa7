"""The letter of introduction: Chinese text that extracts back, the font embedded, user text printed as typed."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from pypdf import PdfReader

from commemoration.letters import (
    FONT_FILE,
    FONT_PACKAGE,
    FONT_SHA256,
    Letter,
    LetterFontMissing,
    MartyrRef,
    Traveller,
    letter_pdf,
    partial_date_text,
)
from memorials.errors import ValidationProblem

BASE_14 = {"/Helvetica"}  # ReportLab lists it on every page; no text here is set in it


def _letter(**kw) -> Letter:
    base = dict(
        number="红退役介〔2027〕3号",
        issuer="红安县退役军人事务局",
        recipient="新县退役军人事务局",
        destination="新县烈士陵园（河南省信阳市新县）",
        martyr=MartyrRef("张德胜", "中国工农红军第四方面军第十一师", "1932-10", "新县烈士陵园"),
        people=[Traveller("张明", "孙子", "420000********1234", "138****1234"),
                Traveller("李秀芳", "孙媳"), Traveller("张小军", "曾孙", "420000********5678")],
        travel_from=date(2027, 4, 3),
        travel_to=date(2027, 4, 6),
        issued_on=date(2027, 3, 20),
        valid_until=date(2027, 4, 30),
        contact="王科长 0713-5123456",
    )
    base.update(kw)
    return Letter(**base)


def _read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", "", text)


def test_chinese_text_extracts_back():
    reader, text = _read(letter_pdf(_letter()))
    assert len(reader.pages) == 1
    for expected in ("介绍信（存根）", "介绍信", "新县退役军人事务局：", "兹介绍张德胜烈士的孙子张明等3人",
                     "前往贵地新县烈士陵园（河南省信阳市新县）祭扫张德胜烈士（中国工农红军第四方面军第十一师，"
                     "1932年10月牺牲，安葬于新县烈士陵园）之墓", "时间为2027年4月3日至2027年4月6日",
                     "人员名单（共3人）", "李秀芳孙媳", "张小军曾孙420000********5678", "138****1234",
                     "红安县退役军人事务局（盖章）2027年3月20日", "本介绍信有效期至2027年4月30日。",
                     "联系人：王科长0713-5123456", "接洽单位：新县退役军人事务局。"):
        assert expected in text, expected
    # On the counterfoil, across the cut line (骑缝), and on the letter.
    assert text.count("红退役介〔2027〕3号") == 3
    assert reader.metadata.title == "介绍信 红退役介〔2027〕3号" and reader.metadata.author == "红安县退役军人事务局"


def test_the_font_is_embedded_as_a_truetype_subset():
    reader, _ = _read(letter_pdf(_letter()))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    cjk = [name for name in fonts if name not in BASE_14]
    assert cjk and all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei-\d+", name) for name in cjk), list(fonts)
    for name in cjk:
        descriptor = fonts[name]["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, name
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_text_typed_by_users_prints_as_typed():
    odd = ['李<b>秀</b>芳', 'A&B', '<font size="40" color="red">王</font>', "&amp;", "</para>"]
    letter = _letter(people=[Traveller(name, "孙女") for name in odd], issuer="红安县退役军人事务局<i>&",
                     martyr=MartyrRef("张<br/>德胜", death_date="牺牲时间不详&"))
    _, text = _read(letter_pdf(letter))
    for name in odd:
        assert re.sub(r"\s+", "", name) in text, name
    assert "红安县退役军人事务局<i>&（盖章）" in text
    assert "张<br/>德胜烈士（牺牲时间不详&牺牲）" in text


def test_without_counterfoil_and_with_many_people():
    people = [Traveller(f"亲属{i:02d}", "侄孙") for i in range(1, 46)]
    reader, text = _read(letter_pdf(_letter(with_stub=False, people=people)))
    assert text.count("红退役介〔2027〕3号") == 1 and "存根" not in text
    assert len(reader.pages) >= 2 and "人员名单（共45人）" in text
    assert all(f"亲属{i:02d}侄孙" in text for i in range(1, 46))
    assert text.count("序号姓名与烈士关系身份证号联系电话") == len(reader.pages)  # the header repeats


@pytest.mark.parametrize(("change", "field"), [
    ({"recipient": " "}, "recipient"),
    ({"people": []}, "people"),
    ({"people": [Traveller("张明", "")]}, "people[0].relation"),
    ({"travel_to": date(2027, 4, 1)}, "travel_to"),
    ({"valid_until": date(2027, 3, 1)}, "valid_until"),
    ({"martyr": MartyrRef("")}, "martyr.name"),
])
def test_bad_letters_name_the_field(change, field):
    with pytest.raises(ValidationProblem) as err:
        letter_pdf(replace(_letter(), **change))
    assert err.value.field == field


def test_a_font_that_cannot_be_embedded_is_a_clear_error(tmp_path: Path):
    with pytest.raises(LetterFontMissing, match="does not exist"):
        letter_pdf(_letter(), font_path=tmp_path / "missing.ttf")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"OTTO" + bytes(200))  # what a CFF OpenType file starts with
    with pytest.raises(LetterFontMissing, match="TrueType outlines needed"):
        letter_pdf(_letter(), font_path=junk)


def test_the_bundled_font_is_debians_wqy_microhei():
    data = resources.files(FONT_PACKAGE).joinpath(FONT_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == FONT_SHA256


def test_partial_dates_read_in_chinese():
    assert partial_date_text("1932") == "1932年"
    assert partial_date_text("1932-10") == "1932年10月"
    assert partial_date_text("1932-10-05") == "1932年10月5日"
    assert partial_date_text("1932年秋") == "1932年秋"
