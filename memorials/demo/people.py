"""Synthetic martyrs' particulars: names, dates, ranks and battles as registers of the period show them.

Surnames follow their frequency in China (the 2020 census's shares of the
most common ones, a few compound surnames rarely); given names are one
character (about a third) or two, from characters common in names of
men and women born 1890–1950. Dates are partial as the records are: a
full date for some, year and month or only the year for others, nothing
for a few; the birth, when known, comes 16 to 45 years before the death.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from random import Random

# Share per thousand (2020 census, rounded); the rest is spread over the tail.
SURNAMES: dict[str, float] = {
    "王": 71.2, "李": 70.0, "张": 67.4, "刘": 51.0, "陈": 46.1, "杨": 32.2, "黄": 24.5, "赵": 21.9, "吴": 20.0,
    "周": 19.5, "徐": 16.3, "孙": 15.4, "马": 15.1, "朱": 14.5, "胡": 13.4, "郭": 13.2, "何": 11.9, "林": 11.8,
    "高": 11.7, "罗": 11.4, "郑": 10.8, "梁": 10.3, "谢": 8.6, "宋": 8.0, "唐": 7.9, "许": 7.4, "韩": 7.2,
    "邓": 7.1, "冯": 7.0, "曹": 6.8, "彭": 6.7, "曾": 6.4, "肖": 6.3, "田": 6.1, "董": 6.0, "潘": 5.4,
    "袁": 5.4, "蔡": 5.1, "蒋": 5.1, "余": 5.0, "于": 4.9, "杜": 4.9, "叶": 4.8, "程": 4.7, "魏": 4.6,
    "苏": 4.6, "吕": 4.6, "丁": 4.5, "任": 4.4, "卢": 4.3, "姚": 4.2, "沈": 4.1, "钟": 4.0, "姜": 4.0,
    "崔": 3.9, "谭": 3.8, "陆": 3.7, "范": 3.6, "汪": 3.6, "廖": 3.5, "石": 3.5, "金": 3.4, "韦": 3.4,
    "贾": 3.3, "夏": 3.2, "付": 3.2, "方": 3.1, "邹": 3.0, "熊": 3.0, "白": 3.0, "孟": 2.9, "秦": 2.9,
    "邱": 2.8, "侯": 2.8, "江": 2.7, "尹": 2.7, "薛": 2.6, "闫": 2.6, "段": 2.5, "雷": 2.5, "龙": 2.4,
    "黎": 2.4, "史": 2.4, "陶": 2.3, "贺": 2.3, "毛": 2.2, "郝": 2.2, "顾": 2.1, "龚": 2.1, "邵": 2.0,
    "万": 2.0, "覃": 1.9, "武": 1.9, "钱": 1.9, "戴": 1.8, "严": 1.8, "莫": 1.7, "孔": 1.7, "向": 1.7,
    "常": 1.6, "汤": 1.6, "康": 1.5, "易": 1.5, "乔": 1.5, "赖": 1.5, "文": 1.4, "施": 1.3, "洪": 1.3,
    "牛": 1.3, "樊": 1.2, "葛": 1.2, "邢": 1.2, "安": 1.1, "齐": 1.1, "俞": 1.0, "伍": 1.0, "庞": 1.0,
    "欧阳": 0.6, "司马": 0.1, "诸葛": 0.1, "上官": 0.1, "东方": 0.05,
}
MALE_CHARS = ("德明国华建文志春山福贵成金有清海富荣生林长才永发满义忠树宝兴仁立正先连和友汉保财顺根全祥广光"
              "启元家振占学胜世万喜恩章开炳耀庆培松柏青云龙虎彪武军斌洪涛江河民新天宗传继承绍维修达仲伯"
              "秋冬玉朝廷得安如良善士子之大小三四五六")
FEMALE_CHARS = "秀英兰珍凤桂梅玉芳翠花云莲淑琴素霞荣桃香菊娥贞惠敏雪春月"

ERAS: tuple[tuple[int, int, int, tuple[str, ...]], ...] = (
    # first year, last year, share per hundred, battles of the period
    (1924, 1936, 18, ("北伐战争", "南昌起义", "秋收起义", "反“围剿”作战", "长征", "湘江战役", "土地革命战争")),
    (1937, 1945, 26, ("平型关战役", "百团大战", "台儿庄战役", "抗日战争", "敌后游击战", "反“扫荡”作战")),
    (1946, 1949, 33, ("辽沈战役", "淮海战役", "平津战役", "渡江战役", "孟良崮战役", "解放战争", "剿匪作战")),
    (1950, 1953, 15, ("抗美援朝战争", "上甘岭战役", "长津湖战役", "剿匪作战")),
    (1954, 2020, 8, ("边境作战", "抢险救灾", "执行任务", "对越自卫反击战", "抗洪抢险")),
)
RANKS = (("战士", 55), ("班长", 15), ("副班长", 6), ("排长", 8), ("连长", 5), ("指导员", 3), ("营长", 2),
         ("民兵", 4), ("干部", 2))
ETHNICITIES = (("汉族", 915), ("壮族", 13), ("回族", 8), ("满族", 7), ("苗族", 7), ("维吾尔族", 6),
               ("土家族", 6), ("彝族", 6), ("蒙古族", 4), ("藏族", 4), ("朝鲜族", 3), ("侗族", 3), ("瑶族", 2),
               ("白族", 2), ("布依族", 2), ("哈尼族", 1), ("黎族", 1), ("傣族", 1))

DATE_SHAPES = (("full", 34), ("month", 28), ("year", 28), ("unknown", 10))
"""How precisely a death date is known: YYYY-MM-DD, YYYY-MM, YYYY, or not at all."""
BIRTH_KNOWN = 0.45
FEMALE = 0.03


class Picker:
    """Weighted choice without ``random.choices``' per-call setup.

    Whole-number weights (shares per hundred or per thousand) pick from a
    table that holds each value as many times as its weight: one index,
    exact proportions. Fractional weights search the running totals.
    """

    def __init__(self, weighted: Sequence[tuple[object, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.bounds = list(accumulate(w for _, w in weighted))
        self.total = self.bounds[-1]
        whole = all(isinstance(w, int) for _, w in weighted) and self.total <= 100_000
        self.table = [v for v, w in weighted for _ in range(int(w))] if whole else None

    def __call__(self, rng: Random) -> object:
        if self.table is not None:
            return self.table[int(rng.random() * self.total)]
        return self.values[bisect(self.bounds, rng.random() * self.total)]


_surname = Picker([(name, round(share * 20)) for name, share in SURNAMES.items()])
_era = Picker([(era, era[2]) for era in ERAS])
_rank = Picker(RANKS)
_ethnicity = Picker(ETHNICITIES)
_shape = Picker(DATE_SHAPES)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def person_name(rng: Random, female: bool) -> str:
    chars = FEMALE_CHARS if female else MALE_CHARS
    size, random = len(chars), rng.random
    given = chars[int(random() * size)]
    if random() >= 0.33:
        given += chars[int(random() * size)]
    return str(_surname(rng)) + given


def _partial(rng: Random, year: int, shape: str) -> str:
    if shape == "year":
        return f"{year:04d}"
    month = 1 + int(rng.random() * 12)
    if shape == "month":
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{1 + int(rng.random() * _DAYS[month - 1]):02d}"


def life(rng: Random) -> tuple[str | None, str | None, str]:
    """A birth date, a death date (partial, or None when unknown) and the battle of the death's period."""
    first, last, _share, battles = _era(rng)  # type: ignore[misc]
    year = first + int(rng.random() * (last - first + 1))
    shape = str(_shape(rng))
    death = None if shape == "unknown" else _partial(rng, year, shape)
    birth = None
    if rng.random() < BIRTH_KNOWN:
        # Years only, mostly; born 16–45 years before: never after the death, whatever its precision.
        birth_shape = "year" if rng.random() < 0.7 else ("month" if rng.random() < 0.5 else "full")
        birth = _partial(rng, year - 16 - int(rng.random() * 30), birth_shape)
    return birth, death, battles[int(rng.random() * len(battles))]


def rank(rng: Random) -> str:
    return str(_rank(rng))


def ethnicity(rng: Random) -> str:
    return str(_ethnicity(rng))
