"""Input bounds of the import format: product settings, not policy numbers.

Text lengths are the claim table's column sizes. The number ranges and the money bound only
catch typing mistakes (a month count of 1,000, an amount with a stray digit); the policy's own
caps (terms, months, amounts) are applied by the rules with their seed clauses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from sqlalchemy import String

from models.tables import CLAIM

_TEXT_FIELDS = ("claim_id", "person_name", "occupation", "certificate_no", "class_id",
                "organizer", "payee_name", "bank_account", "groups", "bank_name")



def _length(column: str) -> int:
    length = cast(String, CLAIM.c[column].type).length
    assert length is not None, f"claim.{column} is a text column with a length"
    return length


TEXT_LIMITS: dict[str, int] = {name: _length(name) for name in _TEXT_FIELDS}

INT_RANGES: dict[str, tuple[int, int]] = {
    "apprentice_year": (1, 10),
    "months": (1, 120),
    "days": (1, 366),
    "insured_months": (0, 1200),
    "employed_months": (0, 1200),
}

MAX_MONEY = Decimal("1000000.00")
"""Largest amount in yuan a money cell may hold (a catalogue standard per trainee)."""
