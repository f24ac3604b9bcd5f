"""Who the seed says is paid, as validation asks it: `rules.payee.required_payee_type`
with the claim's policy pack. None while the rules package does not provide it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from intake.record import ClaimRecord

PayeeRule = Callable[[ClaimRecord], tuple[str, str] | None]


@cache
def payee_rule() -> PayeeRule | None:
    try:
        from rules.payee import required_payee_type

        from rules.packs import load_pack
    except ImportError:
        return None

    def required(record: ClaimRecord) -> tuple[str, str] | None:
        return required_payee_type(record, load_pack(record.policy))

    return required
