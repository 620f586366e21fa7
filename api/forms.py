"""Editing pages: a form's values through the API's own schemas and services, errors in Chinese by field.

A page form posts plain text fields. They are read into the same Pydantic
schema the API uses (``FacilityCreate``, ``MartyrUpdate``…), then the same
service is called, so a page can store nothing the API would refuse. Every
refusal (Pydantic's, a service's ``ValidationProblem`` or ``Conflict``) comes
back as ``{field: Chinese message}`` to show beside the field; English
reasons of the core are translated here, once, for every form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from memorials.errors import Conflict, ValidationProblem

M = TypeVar("M", bound=BaseModel)

CRS_LABELS = {"wgs84": "WGS84（GPS、天地图）", "cgcs2000": "CGCS2000（国家2000）", "gcj02": "GCJ-02（高德、腾讯）",
              "bd09": "BD-09（百度）"}

# English reasons of the core (memorials, gis) → Chinese. First match wins; groups are kept.
_REASONS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^cannot be empty$"), "不能为空"),
    (re.compile(r"is empty once spaces and punctuation are removed"), "不能只有空格或标点"),
    (re.compile(r"^'?(.*?)'? is not a date"), "“{0}”不是日期：请写作 1938、1938-05、1938-05-12 或 1938年5月"),
    (re.compile(r"^year (\d+) is out of range \((\d+)-(\d+)\)"), "年份 {0} 超出范围（{1}—{2}）"),
    (re.compile(r"^month (\d+) does not exist"), "没有 {0} 月"),
    (re.compile(r"^(\S+) is not a real date"), "{0} 不是真实存在的日期"),
    (re.compile(r"^(\S+) is in the future"), "{0} 在今天之后"),
    (re.compile(r"^death \((.*)\) is before birth \((.*)\)"), "牺牲时间（{0}）早于出生时间（{1}）"),
    (re.compile(r"^ends \((.*)\) before it starts \((.*)\)"), "迁出时间（{0}）早于安葬时间（{1}）"),
    (re.compile(r"^is before the martyr's death \((.*)\)"), "早于烈士牺牲时间（{0}）"),
    (re.compile(r"^'?(.*?)'? is not a division code"), "“{0}”不是行政区划代码（6、9 或 12 位数字）"),
    (re.compile(r"^division code (\d+) does not exist"), "行政区划代码 {0} 不存在"),
    (re.compile(r"^(\d+) is outside your jurisdiction"), "{0} 不在您的管辖范围内"),
    (re.compile(r"looks swapped"), "经度和纬度似乎填反了"),
    (re.compile(r"^(\S+) is outside China \(longitude"), "经度 {0} 不在中国境内（73.5—135.1）"),
    (re.compile(r"^(\S+) is outside China \(latitude"), "纬度 {0} 不在中国境内（3.8—53.6）"),
    (re.compile(r"lies (\d+) km from the centre of (.+?) \((\d+)\), farther than its (\d+) km reach"),
     "该点距{1}中心 {0} 公里，超出 {3} 公里的合理范围：请检查所在区划是否正确，或坐标是否填反、输错"),
    (re.compile(r"^must be a (finite )?number"), "请填写数字"),
    (re.compile(r"^unknown coordinate system"), "不支持的坐标系"),
    (re.compile(r"^unknown (facility kind|protection level|status|gender)"), "请从列表中选择"),
    (re.compile(r"a facility with registry code (\S+) already exists"), "登记编号 {0} 已被其他设施使用"),
    (re.compile(r"certificate (\S+) is already registered"), "证书编号 {0} 已登记给其他烈士"),
    (re.compile(r"is required: the division whose bureau keeps"), "请选择负责保管本记录的区划"),
    (re.compile(r"^no martyr (\d+)"), "没有编号为 {0} 的烈士，或不在您的管辖范围内"),
    (re.compile(r"^no facility (\d+) to point to"), "没有编号为 {0} 的设施"),
    (re.compile(r"^(.+) already lies in (.+?); a move is a relocation"), "{0} 已安葬于 {1}：迁葬请走迁移流程"),
    (re.compile(r"already has a current burial"), "该烈士已有现安葬地"),
    (re.compile(r"is (relocated|removed); no one can be buried there now"), "该设施已迁移或撤销，不能再安葬"),
    # Case work (cases/): relocations and family searches.
    (re.compile(r"^unknown clue"), "不认识的线索项目"),
    (re.compile(r"^a verification names its method"), "请选择核实方式（档案、证言或DNA比对）"),
    (re.compile(r"^a DNA comparison names its laboratory"), "DNA比对须填写检测机构"),
    (re.compile(r"^no entry (\d+) in search"), "本案没有编号为 {0} 的记录"),
    (re.compile(r"^is not a martyr of this case"), "不是本案涉及的烈士"),
    (re.compile(r"^lists a martyr twice"), "同一烈士列了两次"),
    (re.compile(r"^(.+) has no current burial in your jurisdiction"), "{0} 在您的管辖范围内没有现安葬地"),
    (re.compile(r"^a consolidation needs a destination facility"), "集中迁葬须选择迁入设施"),
    (re.compile(r"^is where a martyr of this case already lies"), "本案烈士已安葬于该设施"),
    (re.compile(r"^is for cross-region cases only"), "仅异地迁葬填写"),
    (re.compile(r"^a cross-region case goes to a receiving bureau"), "异地迁葬迁往接收地，不填写本地迁入设施"),
    (re.compile(r"^a cross-region case needs the receiving division"), "异地迁葬须填写接收地区划代码"),
    (re.compile(r"^unknown division (\S+)"), "行政区划代码 {0} 不存在"),
    (re.compile(r"^names a martyr not in this case"), "所列烈士不在本案中"),
    (re.compile(r"^is for consolidation cases only"), "仅集中迁葬填写"),
    (re.compile(r"^martyr (\d+) is not in case"), "烈士 {0} 不在本案中"),
    (re.compile(r"^a family decision names who decided"), "请填写作出决定的亲属及其与烈士的关系"),
    (re.compile(r"^say what was done to find the family"), "请说明为寻找亲属做了哪些工作（及时间）"),
    (re.compile(r"^when the decision was made"), "请填写决定（或查找）的日期"),
    (re.compile(r"^one of "), "请从列表中选择"),
    (re.compile(r"^a consent document belongs to one martyr"), "亲属意愿书须对应本案的一位烈士"),
    (re.compile(r"^exhumation and reburial evidence are photos"), "起迁和安葬材料须为照片（JPEG、PNG、HEIC）"),
    (re.compile(r"^no facility (\d+)"), "没有编号为 {0} 的设施"),
    (re.compile(r"^date: ?(.*)"), "日期有误：{0}"),
]

# Pydantic error types → Chinese (with the context Pydantic gives).
_TYPES: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "必填",
    "string_too_long": "不能超过 {max_length} 个字",
    "too_long": "最多 {max_length} 项",
    "float_parsing": "请填写数字",
    "float_type": "请填写数字",
    "finite_number": "请填写数字",
    "int_parsing": "请填写整数",
    "int_type": "请填写整数",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "literal_error": "请从列表中选择",
    "enum": "请从列表中选择",
    "unstorable_text": "含有无法保存的控制字符",
}


def chinese_reason(reason: str) -> str:
    """A core reason in Chinese; an unknown English reason becomes a plain "cannot be saved"."""
    for pattern, template in _REASONS:
        match = pattern.search(reason)
        if match:
            return template(match) if callable(template) else template.format(*match.groups())
    if re.search(r"[A-Za-z]{3,}", reason):
        return "该项无法保存，请检查"
    return reason


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if not isinstance(part, int)]
        field = loc[0] if loc else "form"
        if field in out:
            continue
        kind = err.get("type", "")
        if kind == "value_error":
            message = str(err.get("ctx", {}).get("error", "") or err.get("msg", "")).removeprefix("Value error, ")
            out[field] = chinese_reason(message)
        elif kind in _TYPES:
            try:
                out[field] = _TYPES[kind].format(**err.get("ctx", {}))
            except (KeyError, IndexError):
                out[field] = "填写有误"
        else:
            out[field] = "填写有误"
    return out


def problem_errors(exc: ValidationProblem | Conflict) -> dict[str, str]:
    if isinstance(exc, ValidationProblem):
        pairs = exc.problems
    else:
        field, sep, reason = str(exc).partition(": ")
        pairs = [(field, reason)] if sep and field.isidentifier() else [("form", str(exc))]
    out: dict[str, str] = {}
    for field, reason in pairs:
        out.setdefault(field, chinese_reason(reason))
    return out


def form_values(form: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    """The named text fields of a posted form (missing ones empty), nothing else."""
    out = {}
    for name in fields:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out


def to_schema(model: type[M], values: dict[str, Any]) -> M:
    """``values`` validated by ``model``; raises ``ValidationError`` like the API's body parsing would."""
    return model.model_validate(values)
