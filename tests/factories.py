"""Claim rows for service-level tests that do not go through the import."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from models.tables import CLAIM


def claim_row(claim_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "claim_id": claim_id,
        "policy": "huludao-2019",
        "kind": "skill_upgrade",
        "person_id": "211402199001011234",
        "person_name": "王小明",
        "groups": "enterprise_employee;unemployment_insured",
        "region": "211402",
        "filed_on": date(2020, 5, 1),
        "payee_type": "individual",
        "payee_id": "211402199001011234",
        "payee_name": "王小明",
        "bank_account": "6217000000000000001",
        "occupation": "电工",
        "level": "L4",
        "certificate_date": date(2020, 4, 20),
        "person_key": int(hashlib.sha1(claim_id.encode()).hexdigest()[:7], 16),
        "content_hash": hashlib.sha256(claim_id.encode()).hexdigest(),
        "state": "filed",
        "advance_paid": Decimal("0"),
        "final_paid": Decimal("0"),
        "recovery_owed": Decimal("0"),
        "recovered": Decimal("0"),
        "citations": "",
        "reasons": "",
        "advance_requested": False,
        "advance_amount": None,
        "amount": None,
    }
    row.update(overrides)
    return row


def insert_claims(conn: Connection, *rows: dict[str, Any]) -> None:
    conn.execute(insert(CLAIM), list(rows))
