"""Money: exact yuan to the fen, never a float.

Amounts are ``Money`` values (a ``Decimal`` with two places underneath),
stored as whole fen in a ``BIGINT`` column on both backends (SQLite has no
exact decimal type: a ``NUMERIC`` there is a float), summed in SQL as
integers, answered in JSON as decimal strings (``"330000.00"``) and written
to XLSX as exact decimals with a two-place number format.

>>> Money("330000") + Money("0.1") + Money("0.2")
Money('330000.30')
>>> str(Money.sum([Money("0.1")] * 3))
'0.30'
>>> Money(0.1)
Traceback (most recent call last):
...
TypeError: Money takes a decimal string, int or Decimal, never a float (0.1)
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import total_ordering
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")
MAX_YUAN = Decimal("999999999999.99")  # under a trillion yuan: far beyond any budget, well inside BIGINT fen
XLSX_FORMAT = "#,##0.00"


@total_ordering
class Money:
    """An exact amount of yuan with two places."""

    __slots__ = ("_value",)

    def __init__(self, value: str | int | Decimal | Money = 0) -> None:
        if isinstance(value, Money):
            self._value = value._value
            return
        if isinstance(value, (float, bool)):
            raise TypeError(f"Money takes a decimal string, int or Decimal, never a float ({value!r})")
        try:
            amount = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(value)
        except (InvalidOperation, ValueError):
            raise ValueError(f"not an amount of money: {value!r}") from None
        if not amount.is_finite():
            raise ValueError(f"not an amount of money: {value!r}")
        if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
            raise ValueError(f"more than two decimal places (fen): {value!r}")
        if abs(amount) > MAX_YUAN:
            raise ValueError(f"beyond {MAX_YUAN} yuan: {value!r}")
        self._value = amount.quantize(FEN)

    @classmethod
    def from_fen(cls, fen: int) -> Money:
        return cls(Decimal(int(fen)).scaleb(-2))

    @classmethod
    def sum(cls, amounts: Iterable[Money]) -> Money:
        total = cls(0)
        for amount in amounts:
            total = total + amount
        return total

    @property
    def fen(self) -> int:
        return int(self._value * 100)

    @property
    def decimal(self) -> Decimal:
        return self._value

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self._value + other._value)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self._value - other._value)

    def __neg__(self) -> Money:
        return Money(-self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and self._value == other._value

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._value < other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return f"{self._value:.2f}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    def __float__(self) -> float:
        raise TypeError("Money is never turned into a float; use .decimal")


def _parse(value: Any) -> Money:
    if isinstance(value, float):
        # JSON numbers reach here as floats only when the client sent a number: its
        # shortest text is what the user typed (1234.5), so it is read exactly from that.
        value = repr(value)
    return Money(value)


MoneyField = Annotated[
    Money,
    PlainValidator(_parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,12}\.\d{2}$", "examples": ["330000.00"]}),
]
"""An amount in a Pydantic schema: read from ``"1234.50"`` (or a number), answered as ``"1234.50"``."""


class MoneyColumn(TypeDecorator[Money]):
    """Money stored as whole fen (``BIGINT``) on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Money | None, dialect: object) -> int | None:
        if value is None:
            return None
        return Money(value).fen

    def process_result_value(self, value: int | None, dialect: object) -> Money | None:
        return None if value is None else Money.from_fen(value)


def xlsx_cell(value: Money | None) -> Decimal | None:
    """The exact decimal to put in a spreadsheet cell (format it with ``XLSX_FORMAT``)."""
    return None if value is None else value.decimal
