"""Rows for the export tests, inserted directly: claims in the states a test needs, posting
windows, payments, events and rejected import rows (the lifecycle steps are not needed)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from intake.identity import make_credit_code, make_person_id
from models.tables import (
    BATCH,
    EVENT,
    PAYEE,
    PAYMENT,
    REJECTION,
    WINDOW,
)
from tests.factories import CLAIM, claim_row

D = Decimal


def person(region: str, seq: int) -> str:
    return make_person_id(region, date(1990, 1, 1), seq)


def add_window(engine: Engine, policy: str, opened: date, closes: date, days: int = 5) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(WINDOW).values(
            policy=policy, opened_on=opened, closes_on=closes, working_days=days)
        ).inserted_primary_key[0])


def add_claims(engine: Engine, *rows: dict[str, Any]) -> dict[str, int]:
    """Insert claim rows (tests.factories.claim_row); returns claim_id -> primary key."""
    with engine.begin() as conn:
        pks = {}
        for row in rows:
            pks[row["claim_id"]] = int(conn.execute(insert(CLAIM).values(**row))
                                       .inserted_primary_key[0])
        return pks


def add_payments(engine: Engine, *rows: dict[str, Any]) -> None:
    """Payment rows; like the product's orders they keep the payee's name and account as the claim
    (else the payee registry) holds them now, unless given."""
    with engine.begin() as conn:
        pks = sorted({row["claim_pk"] for row in rows})
        claims = {c.id: c for c in conn.execute(select(CLAIM).where(CLAIM.c.id.in_(pks)))}
        registry = {p.payee_id: p for p in conn.execute(select(PAYEE))}
        def payee(row: dict[str, Any]) -> dict[str, Any]:
            claim, known = claims[row["claim_pk"]], registry.get(row["payee_id"])
            return {"payee_name": claim.payee_name or (known.name if known else None),
                    "bank_account": claim.bank_account or (known.bank_account if known else None)}
        conn.execute(insert(PAYMENT), [
            {"attempt": 1, "status": "sent", "reference": None, **payee(row), **row,
             "idempotency_key": row.get("idempotency_key")
             or f"{row['claim_pk']}:{row['kind']}:{row.get('attempt', 1)}"}
            for row in rows
        ])


def add_events(engine: Engine, claim_pk: int, path: list[str], on: date) -> None:
    with engine.begin() as conn:
        conn.execute(insert(EVENT), [
            {"claim_pk": claim_pk, "seq": i + 1, "from_state": a, "to_state": b,
             "trigger": "t", "actor": "tester", "role": "system", "on": on,
             "hash": f"{claim_pk}-{i}"}
            for i, (a, b) in enumerate(itertools.pairwise(path))
        ])


def add_import_rejections(engine: Engine, file_name: str, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        batch = int(conn.execute(insert(BATCH).values(
            file_name=file_name, file_sha256="0" * 64, rows=10, rejected=len(rows))
        ).inserted_primary_key[0])
        conn.execute(insert(REJECTION), [{"batch_id": batch, "raw": "{}", **r} for r in rows])


@dataclass
class Scenario:
    """What the standard data set holds, for assertions."""

    pks: dict[str, int]
    person_ids: dict[str, str]
    accounts: dict[str, str]
    window_june: int
    window_july: int
    notes: dict[str, Any] = field(default_factory=dict)


def standard_scenario(engine: Engine) -> Scenario:
    """Huludao and Heilongjiang claims in every state the exports care about.

    On the June 2020 Huludao notice: H001 (paid), H002 (posted), H003 (objected, enterprise).
    Not on it: H004 rejected, H005 assessed, H006 recovery_due after an upheld objection,
    H007 advance_paid, H008 on the July notice. Payments on 2020-06-12: final H001 2000.00
    and K001 1800.00 (plus a failed first attempt), advance H007 750.25; recovery H006 500.00.
    """
    june = add_window(engine, "huludao-2019", date(2020, 6, 4), date(2020, 6, 10))
    july = add_window(engine, "huludao-2019", date(2020, 7, 1), date(2020, 7, 7))
    ids = {cid: person(region, n) for n, (cid, region) in enumerate([
        ("H001", "211401"), ("H002", "211402"), ("H003", "211403"), ("H004", "211404"),
        ("H005", "211421"), ("H006", "211422"), ("H007", "211481"), ("H008", "211402"),
        ("K001", "230102"), ("K002", "230203"), ("K003", "230102"),
    ], start=1)}
    firm = make_credit_code(7)
    firm2 = make_credit_code(8)
    accounts = {"H001": "6222020400001234567", "H003": "6228480010987654321",
                "H007": "6217000010001112223", "K001": "6230580000009876543"}

    def row(cid: str, region: str, **kw: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"person_id": ids[cid], "payee_id": ids[cid], "region": region,
                                "person_name": "王小明", "certificate_date": date(2019, 12, 1)}
        base.update(kw)
        return claim_row(cid, **base)

    pks = add_claims(
        engine,
        row("H001", "211401", state="paid", amount=D("2000.00"), final_paid=D("2000.00"),
            posting_window_id=june, payee_name="王小明", bank_account=accounts["H001"]),
        row("H002", "211402", state="publicly_posted", amount=D("1500.00"), person_name="李四",
            posting_window_id=june, level="L5", occupation="焊工"),
        row("H003", "211403", state="objected", amount=D("2500.55"), person_name="欧阳娜娜",
            kind="enterprise_training", payee_type="enterprise", payee_id=firm,
            payee_name="葫芦岛渤船重工有限公司", bank_account=accounts["H003"],
            posting_window_id=june, level="L3", occupation="船体装配工"),
        row("H004", "211404", state="rejected", person_name="张三",
            reasons="annual_limit;duplicate_occupation_level", state_on=date(2020, 6, 2)),
        row("H005", "211421", state="assessed", amount=D("1500.00")),
        row("H006", "211422", state="recovery_due", amount=D("1000.00"), posting_window_id=june,
            advance_paid=D("500.00"), recovery_owed=D("500.00"), reasons="objection_upheld",
            payee_type="enterprise", payee_id=firm2),
        row("H007", "211481", state="advance_paid", advance_paid=D("750.25"),
            payee_type="enterprise", payee_id=firm, payee_name=None, bank_account=None,
            certificate_date=None, training_end=date(2019, 11, 30)),
        row("H008", "211402", state="paid", amount=D("1500.00"), final_paid=D("1500.00"),
            posting_window_id=july),
        row("K001", "230102", policy="heilongjiang-2019", state="paid", amount=D("1800.00"),
            final_paid=D("1800.00"), payee_name="赵六", bank_account=accounts["K001"]),
        row("K002", "230203", policy="heilongjiang-2019", state="assessed", amount=D("1000.00")),
        row("K003", "230102", policy="heilongjiang-2019", state="filed"),
    )
    with engine.begin() as conn:
        conn.execute(insert(PAYEE).values(payee_id=firm, payee_type="enterprise",
                                          name="葫芦岛渤船重工有限公司",
                                          bank_account=accounts["H007"]))
    day = date(2020, 6, 12)
    add_payments(
        engine,
        {"claim_pk": pks["H001"], "kind": "final", "amount": D("2000.00"), "status": "sent",
         "payee_type": "individual", "payee_id": ids["H001"], "business_date": day,
         "reference": "PAY-20200612-0001"},
        {"claim_pk": pks["H007"], "kind": "advance", "amount": D("750.25"), "status": "pending",
         "payee_type": "enterprise", "payee_id": firm, "business_date": day},
        {"claim_pk": pks["K001"], "kind": "final", "amount": D("1800.00"), "status": "failed",
         "payee_type": "individual", "payee_id": ids["K001"], "business_date": day},
        {"claim_pk": pks["K001"], "kind": "final", "attempt": 2, "amount": D("1800.00"),
         "status": "confirmed", "payee_type": "individual", "payee_id": ids["K001"],
         "business_date": day},
        {"claim_pk": pks["H006"], "kind": "advance", "amount": D("500.00"), "status": "sent",
         "payee_type": "enterprise", "payee_id": firm2, "business_date": date(2019, 12, 20),
         "reference": "PAY-20191220-0001"},
        {"claim_pk": pks["H006"], "kind": "recovery", "amount": D("500.00"), "status": "due",
         "payee_type": "enterprise", "payee_id": firm2, "business_date": day},
        {"claim_pk": pks["H008"], "kind": "final", "amount": D("1500.00"), "status": "sent",
         "payee_type": "individual", "payee_id": ids["H008"], "business_date": date(2020, 7, 9)},
    )
    add_events(engine, pks["H001"], ["filed", "on_site_inspected", "assessed", "publicly_posted",
                                     "approved", "paid"], date(2020, 6, 12))
    add_events(engine, pks["H004"], ["filed", "on_site_inspected", "rejected"], date(2020, 6, 2))
    add_import_rejections(engine, "claims-2020-05.csv", [
        {"row_number": 3, "claim_id": "H900", "policy": "huludao-2019", "kind": "invalid",
         "errors": json.dumps([{"field": "person_id",
                                "message": f"check digit is wrong in {ids['H002'][:17]}0"}],
                              ensure_ascii=False)},
        {"row_number": 5, "claim_id": "H002", "policy": "huludao-2019", "kind": "conflict",
         "errors": "amount: differs from the claim already filed"},
    ])
    return Scenario(pks, ids, accounts, june, july, {"firm": firm, "day": day})
