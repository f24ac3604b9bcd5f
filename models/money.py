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


class Money(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        return to_fen(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_fen(int(value))
