"""Payee checks before money moves (issue 17): an order is written only for a claim whose payee has
a name and an account. A claim without them is set aside at payment with the reason code
`payee_incomplete` (listed by `claims failed`); a clerk corrects the payee with `claims amend`
(allowed on an approved or payment_failed claim for the payee fields), and the next night pays it.
The account's form (8–32 digits, an individual's 16–19) is checked at import (intake/validate.py).
"""

from __future__ import annotations

from typing import Any

from intake.messages import msg

PAYEE_INCOMPLETE = "payee_incomplete"
PAYEE_FIELDS: tuple[str, ...] = ("payee_name", "bank_account", "bank_name")
"""the fields `claims amend` may correct on an approved or payment_failed claim (trigger amend_payee)"""


def payee_problem(claim: Any) -> str | None:
    """`payee_incomplete: …` naming what is missing, or None when the claim can be paid."""
    missing = [name for name in ("payee_name", "bank_account") if not (getattr(claim, name, None) or "").strip()]
    if not missing:
        return None
    if len(missing) == 1:
        return msg("fact.payee_incomplete", "en", field=missing[0], listed=missing[0])
    return msg("fact.payee_incomplete_both", "en")
