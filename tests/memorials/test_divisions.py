import pytest
from sqlalchemy import func, select

from memorials.divisions import (
    children,
    normalize_code,
    prefix_of,
    require_division,
    within,
)
from memorials.errors import ValidationProblem
from memorials.hometowns import resolve_hometown
from memorials.models import Division


def test_national_table_and_demo_subdivisions_loaded(session):
    by_level = dict(session.execute(select(Division.level, func.count()).group_by(Division.level)).all())
    assert by_level["province"] >= 31
    assert by_level["city"] >= 330
    assert by_level["county"] >= 2800
    assert by_level["township"] >= 14
    assert by_level["village"] >= 400
    county = session.get(Division, "421122")
    assert county.full_name == "湖北省黄冈市红安县"
    assert county.parent_code == "421100"
    assert session.get(Division, "421122101").name == "七里坪镇"
    assert [d.code for d in children(session=session, code="421122")][:2] == ["421122100", "421122101"]


def test_municipality_names_not_doubled(session):
    assert session.get(Division, "110101").full_name.startswith("北京市东城区")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("421122", "421122"), ("421122000000", "421122"), ("421122100000", "421122100"), ("42", "420000"),
     (" 4211 ", "421100"), ("421122101201", "421122101201")],
)
def test_codes_normalised(raw, code):
    assert normalize_code(raw) == code


@pytest.mark.parametrize("raw", ["42112", "abc", "4211221", ""])
def test_malformed_codes_refused(raw):
    with pytest.raises(ValidationProblem) as exc:
        normalize_code(raw)
    assert exc.value.field == "division_code"


def test_unknown_code_refused(session):
    with pytest.raises(ValidationProblem, match="does not exist"):
        require_division(session=session, code="429999")


@pytest.mark.parametrize(("code", "prefix"), [("420000", "42"), ("421100", "4211"), ("421122", "421122"),
                                              ("421122101", "421122101")])
def test_prefixes(code, prefix):
    assert prefix_of(code) == prefix


def test_prefix_range_selects_everything_inside(session):
    inside = session.scalar(select(func.count()).select_from(Division).where(within(Division.code, "421122")))
    assert inside == 1 + 14 + 417


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("河南省光山县", "411522"),
        ("湖北省红安县", "421122"),
        ("湖北黄冈", "421100"),
        ("麻城县", "421181"),
        ("湖北省黄安县七里坪区", "420000"),   # 黄安 was renamed 红安 in 1952: the province is what is sure
        ("湖北省光山县", "420000"),          # Guangshan lies in Henan: do not trust the county
        ("", None),
        ("不详", None),
    ],
)
def test_hometowns_resolved_to_todays_codes(session, text, code):
    assert resolve_hometown(session=session, text=text) == code
