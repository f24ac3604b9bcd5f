"""Does the floor's end state equal the product's? Aggregates, then claim by claim (streamed)."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from sqlalchemy import Engine, text

AGGREGATES: dict[str, str] = {
    "claims per state and reasons": "SELECT state, reasons, COUNT(*), COALESCE(SUM(amount), 0), SUM(advance_paid), "
                                    "SUM(final_paid), SUM(recovery_owed) FROM claim GROUP BY state, reasons",
    "payments per kind and status": "SELECT kind, status, attempt, COUNT(*), SUM(amount) FROM payment "
                                    "GROUP BY kind, status, attempt",
    "events per transition": 'SELECT "trigger", from_state, to_state, "on", COUNT(*) FROM claim_event '
                             'GROUP BY "trigger", from_state, to_state, "on"',
    "inspections, completions, objections": "SELECT 'inspection', COUNT(*) FROM inspection UNION ALL "
                                            "SELECT 'completion', COUNT(*) FROM completion UNION ALL "
                                            "SELECT 'objection ' || status, COUNT(*) FROM objection GROUP BY status",
    "posting windows": "SELECT policy, opened_on, closes_on, COUNT(*) FROM posting_window "
                       "GROUP BY policy, opened_on, closes_on",
}
PER_CLAIM = ("SELECT id, state, amount, advance_amount, advance_paid, final_paid, recovery_owed, reasons, "
             "event_seq, payment_attempt, posting_closes_on, completion_result FROM claim ORDER BY id")
SHOWN = 10


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted((tuple(str(v) for v in row) for row in conn.execute(text(sql))), key=str)


def differences(product: Engine, floor: Engine) -> list[str]:
    """Plain-language differences, empty when the two end states agree."""
    found: list[str] = []
    for name, sql in AGGREGATES.items():
        ours, theirs = _rows(product, sql), _rows(floor, sql)
        if ours != theirs:
            only_product = sorted(set(ours) - set(theirs), key=str)[:SHOWN]
            only_floor = sorted(set(theirs) - set(ours), key=str)[:SHOWN]
            found.append(f"{name}: product only {only_product}; floor only {only_floor}")
    with product.connect() as a, floor.connect() as b:
        per_claim = text(PER_CLAIM).execution_options(stream_results=True, max_row_buffer=5000)
        left, right = a.execute(per_claim), b.execute(per_claim)
        shown = 0
        for a_row, b_row in zip_longest(left, right):
            if tuple(map(str, a_row or ())) != tuple(map(str, b_row or ())):
                shown += 1
                if shown <= SHOWN:
                    found.append(f"claim row differs: product {tuple(a_row or ())} floor {tuple(b_row or ())}")
        if shown > SHOWN:
            found.append(f"... {shown - SHOWN} more claims differ")
    return found
