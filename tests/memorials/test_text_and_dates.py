import pytest

from memorials.dates import may_precede, parse_partial_date
from memorials.text import (
    normalize_person_name,
    normalize_place_name,
    query_key,
    search_key,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("　张　德胜，", "张德胜"),
        (" 张 德 胜 ", "张德胜"),
        ("“李小红”", "李小红"),
        ("阿不都 • 热合曼", "阿不都·热合曼"),
        ("阿不都．热合曼", "阿不都·热合曼"),
        ("Norman Bethune", "Norman Bethune"),
        ("张\t德胜\n", "张德胜"),
    ],
)
def test_person_names_are_normalised(raw, clean):
    assert normalize_person_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "　", "，。、", "---"])
def test_empty_names_refused(raw):
    with pytest.raises(ValueError, match="empty"):
        normalize_person_name(raw)


def test_place_names_keep_brackets_lose_stray_ends():
    assert normalize_place_name("　七里坪镇 烈士墓（檀树岗村）。 ") == "七里坪镇烈士墓（檀树岗村）"


def test_search_key_unifies_scripts():
    assert search_key("張德勝") == search_key("张德胜") == "张德胜"
    assert query_key("德勝") in search_key("张德胜", "张老三")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("1938", "1938"), ("1938-5", "1938-05"), ("1938-05-12", "1938-05-12"), ("1938/05/12", "1938-05-12"),
     ("1938.05", "1938-05"), ("1938年5月", "1938-05"), ("1938年5月12日", "1938-05-12"), (" 1951 ", "1951")],
)
def test_partial_dates_stored_without_inventing_a_day(raw, stored):
    assert parse_partial_date(raw) == stored


@pytest.mark.parametrize(
    ("raw", "words"),
    [("1938-02-30", "not a real date"), ("1938-13", "month"), ("38", "not a date"), ("1700", "out of range"),
     ("2999-01-01", "out of range"), ("May 1938", "not a date")],
)
def test_bad_dates_refused_with_reason(raw, words):
    with pytest.raises(ValueError, match=words):
        parse_partial_date(raw)


def test_partial_dates_compare_by_what_they_can_mean():
    assert may_precede("1938", "1938-05-12")     # born some time in 1938, died in May: possible
    assert may_precede("1938-05", "1938")
    assert not may_precede("1939", "1938-12-31")
