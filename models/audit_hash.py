"""The hashes the audit chain takes of money (issue 18), shared by the night's writes, the
migration that hashes payment rows written before format 2, and the audit's checks."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any


def money_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def payment_hash(row: Any) -> str:
    """A payment row's hash (format 1): what is paid, to whom, under which key; its status and
    bank reference change after it is written and are not covered."""
    text = "|".join(["p1", str(row["claim_pk"]), row["kind"], str(row["attempt"]), money_value(row["amount"]),
                     row["idempotency_key"], row["payee_type"], row["payee_id"],
                     row["business_date"].isoformat()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
