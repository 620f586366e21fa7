"""Masking of relatives' personal data: a rule for every length and format, and it reaches every exit.

What may show (``memorials/relatives.py``): a mobile's first 3 and last 4
digits; a landline's area code and last 2-3 digits; at most the last 4 of an
ID number, passport or permit and never half of it; an address down to the
township, else the county, never a village, group or house number. Empty
stays empty; nothing is ever shown whole.
"""

import re

import pytest

from memorials.relatives import mask_address, mask_id_number, mask_phone, masked_values

# ---- phones -------------------------------------------------------------------------------------------------

PHONES = [
    ("13812341234", "138****1234"),
    ("138 1234 1234", "138****1234"),
    ("138-1234-1234", "138****1234"),
    (" 13812341234 ", "138****1234"),
    ("+8613812341234", "+86 138****1234"),
    ("+86 138 1234 1234", "+86 138****1234"),
    ("+86-13812341234", "+86 138****1234"),
    ("008613812341234", "+86 138****1234"),
    ("8613812341234", "+86 138****1234"),
    ("0713-5123456", "0713-*****56"),
    ("07135123456", "0713-*****56"),
    ("(0713)5123456", "0713-*****56"),
    ("（0713）5123456", "0713-*****56"),
    ("0713 512 34 56", "0713-*****56"),
    ("010-12345678", "010-*****678"),
    ("01012345678", "010-*****678"),
    ("021-51234567", "021-*****567"),
    ("0713-5123456-801", "0713-*****56-***"),
    ("0713-5123456转801", "0713-*****56-***"),
    ("+86 713 5123456", "+86 713-*****56"),
    ("+86 10 12345678", "+86 10-*****678"),
    ("5123456", "*****56"),
    ("51234567", "*****567"),
    ("512-3456", "*****56"),
    ("+1 415 555 0100", "********0100"),
    ("+852 9123 4567", "********4567"),
    ("138123412", "******412"),
    ("123456", "****56"),
    ("12345", "****5"),
    ("1234", "***4"),
    ("110", "***"),
    ("12", "**"),
    ("1", "*"),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("phone", "masked"), PHONES)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


# ---- ID numbers, passports, permits -------------------------------------------------------------------------

IDS = [
    ("420000198001011234", "**************1234"),    # identity card
    ("42000019800101123X", "**************123X"),
    ("420000800101123", "***********1123"),          # old 15-digit card
    ("E12345678", "*****5678"),                      # passport
    ("EA1234567", "*****4567"),
    ("H12345678", "*****5678"),                      # Mainland travel permit for HK/Macao residents
    ("M1234567890", "*******7890"),
    ("C12345678", "*****5678"),                      # exit-entry permit for HK and Macao
    ("12345678", "****5678"),                        # Mainland travel permit for Taiwan residents
    ("1234567", "****567"),
    ("123456", "***456"),
    ("12345", "***45"),
    ("1234", "**34"),
    ("123", "**3"),
    ("12", "*2"),
    ("1", "*"),
    (" 4200 0019 8001 011234 ", "**************1234"),
    ("", ""),
]


@pytest.mark.parametrize(("number", "masked"), IDS)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


# ---- addresses ----------------------------------------------------------------------------------------------

ADDRESSES = [
    ("湖北省红安县七里坪镇长胜街8号", "湖北省红安县七里坪镇****"),
    ("湖北省黄冈市红安县七里坪镇张家湾村3组", "湖北省黄冈市红安县七里坪镇****"),
    ("湖北省红安县张家湾村3组", "湖北省红安县****"),
    ("红安县张家湾村", "红安县****"),
    ("张家湾村3组", "****"),
    ("3组15号", "****"),
    ("七里坪镇长胜街8号", "七里坪镇****"),
    ("七里坪镇", "****"),                                   # never the whole value
    ("湖北省红安县", "湖北省****"),
    ("湖北省黄冈市红安县", "湖北省黄冈市****"),
    ("湖北省麻城市张市村", "湖北省麻城市****"),             # 张市 names the village, not a county
    ("湖北省红安县八里湾乡", "湖北省红安县****"),
    ("湖北省红安县八里湾乡陡山村", "湖北省红安县八里湾乡****"),
    ("北京市朝阳区建国路88号", "北京市朝阳区****"),
    ("上海市浦东新区张江镇中心村", "上海市浦东新区张江镇****"),
    ("江苏省镇江市丹徒区高资街道新民社区", "江苏省镇江市丹徒区高资街道****"),  # 镇江 is a city
    ("山西省临汾市乡宁县昌宁镇东关村", "山西省临汾市乡宁县昌宁镇****"),      # 乡宁 is a county
    ("湖南省湘乡市东郊乡韶西村", "湖南省湘乡市东郊乡****"),
    ("福建省福州市鼓楼区东街街道三坊七巷社区", "福建省福州市鼓楼区东街街道****"),
    ("贵州省安顺市镇宁布依族苗族自治县城关镇", "贵州省安顺市镇宁布依族苗族自治县****"),
    ("内蒙古自治区锡林郭勒盟正蓝旗上都镇", "内蒙古自治区锡林郭勒盟正蓝旗****"),
    ("内蒙古自治区锡林郭勒盟正蓝旗那日图苏木1号", "内蒙古自治区锡林郭勒盟正蓝旗那日图苏木****"),
    ("新疆维吾尔自治区喀什地区喀什市", "新疆维吾尔自治区喀什地区****"),
    ("广东省东莞市长安镇新安社区", "广东省东莞市长安镇****"),
    ("湖北省 红安县 七里坪镇 长胜街8号", "湖北省 红安县 七里坪镇****"),
    ("某某乡村3组", "****"),
    ("No. 8 Changsheng St", "****"),
    ("", ""),
]


@pytest.mark.parametrize(("address", "masked"), ADDRESSES)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


def test_masked_values_masks_only_personal_fields():
    values = {"name": "张小红", "relation": "孙女", "phone": "5123456", "id_number": "E12345678",
              "address": "湖北省红安县张家湾村3组", "martyr_id": 1}
    assert masked_values(values) == {**values, "phone": "*****56", "id_number": "*****5678",
                                     "address": "湖北省红安县****"}
    assert masked_values({"phone": None}) == {"phone": None}


# ---- properties: for any input, no more than the rule allows ---------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
given, settings = hypothesis.given, hypothesis.settings
RULE = settings(max_examples=300, deadline=None)


def _alnum(text):
    return [c for c in text if c.isalnum()]


def _is_subsequence(shown, of):
    rest = iter(of)
    return all(c in rest for c in shown)


phone_like = st.text(alphabet="0123456789 -+()（）转x#*", max_size=24)
place_like = st.text(alphabet=list("省市县区旗州盟乡镇街道苏木村组号门牌社区路巷自治湖北红安张家湾七里坪0123456789３ -"),
                     max_size=30)


@RULE
@given(st.one_of(st.text(max_size=40), phone_like))
def test_any_phone_shows_less_than_all_of_it(text):
    masked = mask_phone(text)
    if not text.strip():
        assert masked == ""
        return
    shown, original = _alnum(masked), _alnum(text)
    assert "*" in masked
    assert _is_subsequence(shown, original)                 # nothing invented, nothing reordered
    assert len(shown) <= 9                                  # +86, 3 and 4 of a mobile at the very most
    assert len(shown) < len(original) or not original


@RULE
@given(st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"]), st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
       st.sampled_from(["", " ", "-"]))
def test_any_mobile_shows_its_first_three_and_last_four(prefix, digits, sep):
    text = prefix + digits[:3] + sep + digits[3:7] + sep + digits[7:]
    assert mask_phone(text) == ("+86 " if prefix else "") + digits[:3] + "****" + digits[7:]


@RULE
@given(st.sampled_from(["010", "021", "0713", "0755", ""]), st.from_regex(r"[2-9]\d{6,7}", fullmatch=True),
       st.sampled_from(["-", " ", "", "()"]))
def test_any_landline_shows_its_area_code_and_two_or_three_digits(area, number, sep):
    text = (f"({area}){number}" if sep == "()" else area + sep + number) if area else number
    tail = 2 if len(number) == 7 else 3
    assert mask_phone(text) == (f"{area}-" if area else "") + "*" * (len(number) - tail) + number[-tail:]


@RULE
@given(st.one_of(st.text(max_size=30), st.from_regex(r"[A-Z]{0,2}\d{6,17}[0-9X]?", fullmatch=True)))
def test_any_id_number_shows_at_most_four_and_never_half(text):
    masked = mask_id_number(text)
    compact = re.sub(r"\s+", "", text)
    allowed = min(4, len(compact) // 2)
    assert len(masked) == len(compact)
    assert masked[: len(compact) - allowed] == "*" * (len(compact) - allowed)
    assert masked[len(compact) - allowed:] == compact[len(compact) - allowed:]


@RULE
@given(st.one_of(st.text(max_size=30), place_like))
def test_any_address_shows_a_strict_prefix_down_to_the_township(text):
    masked = mask_address(text)
    if not text.strip():
        assert masked == ""
        return
    assert masked.endswith("****")
    kept = masked[:-4]
    assert text.strip().startswith(kept) and len(kept) < len(text.strip())
    assert not re.search(r"村|组|号|门牌|社区|[0-9０-９]", kept)
    assert kept == "" or kept[-1] in "乡镇道木省区市县旗州盟"


# ---- every exit: the JSON API, the audit trail, the page ------------------------------------------------------


@pytest.fixture
def backend():
    """Masking does not depend on the database: SQLite is enough."""
    return "sqlite"


def test_short_numbers_and_village_addresses_are_masked_everywhere(demo_api):
    officer = demo_api.user("case_officer")
    sent = {"name": "李大山", "relation": "侄子", "phone": "0713-5123456", "id_number": "E12345678",
            "address": "湖北省红安县张家湾村3组"}
    made = demo_api.post(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", json=sent, headers=officer)
    assert made.status_code == 201, made.text
    viewer = demo_api.user("viewer")
    mine = [r for r in demo_api.get(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", headers=viewer).json()["items"]
            if r["id"] == made.json()["id"]]
    assert mine == [{**sent, "id": made.json()["id"], "martyr_id": 1, "masked": True,
                     "phone": "0713-*****56", "id_number": "*****5678", "address": "湖北省红安县****"}]

    history = demo_api.get("/api/v1/audit", params={"entity": "relative", "id": made.json()["id"]},
                           headers=viewer).json()["items"]
    new = history[-1]["new"]
    assert (new["phone"], new["id_number"], new["address"]) == ("0713-*****56", "*****5678", "湖北省红安县****")

    page = demo_api.get(f"/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", headers=viewer)
    assert page.status_code == 200
    for secret in ("5123456", "123456", "E1234", "张家湾", "3组"):
        assert secret not in page.text and secret not in str(history)
    assert "0713-*****56" in page.text and "湖北省红安县****" in page.text
