"""The floor's decisions: one rules evaluation per distinct rate signature, kept in a table.

Claims that share (policy, kind, level, urgent, enterprise_funded, payee_type, advance_requested,
months, days, groups) get the same amount, advance, citations and annual cap from the rules
engine (`rules.engine.evaluate` via the product's rulebook), so the floor asks the engine once
per signature — a few hundred evaluations for any N — and joins. The cap is probed, not read:
the smallest number of same-year grants after which the engine refuses the signature's claim.
The floor relies on the synthetic data keeping dated conditions (validity, employment within
months) true for every claim of a signature; the end-state comparison would show otherwise.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select, text

from bench.floor_sql import analyze
from models.money import to_fen
from models.tables import CLAIM
from rules.decision import Grant
from services.nightly.assess import trace_json
from services.nightly.rulebook import Rules, load_rulebook

SIGNATURE = ("policy", "kind", "level", "urgent", "enterprise_funded", "payee_type", "advance_requested",
             "months", "days", "groups")
PROBE_LIMIT = 20
"""probe histories up to this length; a signature not refused by then has no annual cap"""

NULL_AS = {"level": "''", "months": "-1", "days": "-1", "groups": "''"}


def signature_sql(alias: str) -> list[str]:
    return [f"COALESCE({alias}.{col}, {NULL_AS[col]})" if col in NULL_AS else f"{alias}.{col}"
            for col in SIGNATURE]


def join_condition(claim: str, rate: str) -> str:
    return " AND ".join(f"{expr} = {rate}.{col}" for expr, col in zip(signature_sql(claim), SIGNATURE, strict=True))


def _probe_history(row: Any, size: int) -> list[Grant]:
    year = row.certificate_date.year if row.certificate_date else None
    return [Grant(claim_id=f"probe-{k}", policy=row.policy, kind=row.kind, amount=Decimal("1"),
                  subsidy_year=year, occupation=f"probe-{k}", level=row.level, certificate_no=f"probe-{k}")
            for k in range(size)]


def _cap(rules: Rules, row: Any) -> tuple[int | None, Any]:
    for size in range(1, PROBE_LIMIT + 1):
        decision = rules.evaluate(row, _probe_history(row, size))
        if not decision.eligible:
            return size, decision
    return None, None


def build(conn: Connection) -> int:
    """Create and fill `floor_rate`; returns the number of signatures."""
    cols = ", ".join(f"{expr} AS {col}" for expr, col in zip(signature_sql("c"), SIGNATURE, strict=True))
    group = ", ".join(signature_sql("c"))
    conn.execute(text("DROP TABLE IF EXISTS floor_rate"))
    conn.execute(text(
        f"CREATE TABLE floor_rate AS SELECT {cols}, MIN(c.id) AS sample_id, 0 AS amount, "
        "CAST(NULL AS BIGINT) AS advance, CAST(NULL AS INTEGER) AS cap, 0 AS eligible, "
        "CAST('' AS TEXT) AS citations, CAST('' AS TEXT) AS trace, CAST('' AS VARCHAR(400)) AS cap_reasons, "
        "CAST('' AS TEXT) AS cap_citations, CAST('' AS TEXT) AS cap_trace, 0 AS draft, "
        "CAST('' AS VARCHAR(400)) AS reasons, CAST(NULL AS INTEGER) AS months_paid "
        f"FROM claim c GROUP BY {group}"))
    conn.execute(text(f"CREATE INDEX floor_rate_signature ON floor_rate ({', '.join(SIGNATURE)})"))
    sample_ids = conn.execute(text("SELECT sample_id FROM floor_rate")).scalars().all()
    rules = load_rulebook()
    updates: list[dict[str, Any]] = []
    for start in range(0, len(sample_ids), 500):
        rows = conn.execute(select(CLAIM).where(CLAIM.c.id.in_(sample_ids[start:start + 500]))).all()
        updates.extend(_decide(rules, row) for row in rows)
    if updates:
        conn.execute(text(
            "UPDATE floor_rate SET amount = :amount, eligible = :eligible, advance = :advance, cap = :cap, "
            "citations = :citations, trace = :trace, draft = :draft, cap_reasons = :cap_reasons, "
            "cap_citations = :cap_citations, cap_trace = :cap_trace, reasons = :reasons, months_paid = :months_paid "
            "WHERE sample_id = :sid"), updates)
    analyze(conn, "floor_rate")
    return len(updates)


def _decide(rules: Rules, row: Any) -> dict[str, Any]:
    filed = rules.evaluate(row, [])
    assessed_row = _with_certificate(row) if row.certificate_date is None and row.advance_requested else row
    decision = rules.evaluate(assessed_row, [])
    cap, capped = _cap(rules, assessed_row)
    return {
        "sid": row.id, "amount": to_fen(decision.amount), "eligible": int(decision.eligible),
        "advance": to_fen(filed.advance_amount) if filed.eligible and filed.advance_amount is not None else None,
        "cap": cap, "citations": json.dumps(list(decision.citations), ensure_ascii=False),
        "trace": trace_json(decision), "draft": int(decision.draft), "reasons": ";".join(decision.reasons),
        "cap_reasons": ";".join(capped.reasons) if capped else "",
        "cap_citations": json.dumps(list(capped.citations), ensure_ascii=False) if capped else "",
        "cap_trace": trace_json(capped) if capped else "",
        "months_paid": decision.months_paid if row.months is not None else None,
    }


def _with_certificate(row: Any) -> Any:
    """An advance claim as assessment will see it: the class's end stands for the certificate."""
    values = dict(row._mapping)
    values["certificate_date"] = row.training_end or row.filed_on
    return SimpleNamespace(**values)
