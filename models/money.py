"""Money columns: Decimal yuan in Python, exact integer fen (分) in the database.

Integer fen is exact on SQLite and PostgreSQL alike and sums exactly in SQL.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Round half up to the fen."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(value: Decimal) -> int:
    return int(to_yuan(value) * 100)


def from_fen(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


_YUAN: dict[int, Decimal] = {}
"""fen -> Decimal yuan for amounts already read: a chunk's money columns repeat a few hundred
rates (Decimal is immutable, so one object can stand for every equal amount)."""
_YUAN_MAX = 200_000
_FEN: dict[Decimal, int] = {}
"""Decimal -> fen for amounts already written (equal Decimals round to the same fen)"""


def _yuan_of(value: Any) -> Decimal | None:
    if value is None:
        return None
    found = _YUAN.get(value)
    if found is None:
        if len(_YUAN) >= _YUAN_MAX:
            _YUAN.clear()
        found = _YUAN[value] = from_fen(int(value))
    return found


class Money(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        if type(value) is Decimal and value.is_finite():
            found = _FEN.get(value)
            if found is None:
                if len(_FEN) >= _YUAN_MAX:
                    _FEN.clear()
                found = _FEN[value] = to_fen(value)
            return found
        return to_fen(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return _yuan_of(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """Fen to yuan without TypeDecorator's per-value wrapper (the driver returns ints)."""
        if self.impl_instance.result_processor(dialect, coltype) is not None:
            return super().result_processor(dialect, coltype)
        return _yuan_of
