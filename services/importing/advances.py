"""The advance requests of an import batch that cannot be paid, named at import (issue 20)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from intake.messages import count, msg
from models.tables import CLAIM
from rules.advance import advance_problem
from services.error_codes import reason_text
from services.settings import chunk_size

SHOWN = 20
"""Claims named one by one in the import's warning; the rest are counted."""


def unpayable_advances(engine: Engine, batch_id: int) -> list[tuple[str, str, str]]:
    """(policy, claim_id, reason) per claim of the batch asking for an advance it cannot get:
    one streamed query, the rule asked once per distinct combination of facts."""
    query = (select(CLAIM.c.policy, CLAIM.c.claim_id, CLAIM.c.kind, CLAIM.c.payee_type,
                    CLAIM.c.groups, CLAIM.c.class_id)
             .where(CLAIM.c.import_batch_id == batch_id, CLAIM.c.advance_requested.is_(True))
             .order_by(CLAIM.c.id))
    found: list[tuple[str, str, str]] = []
    known: dict[tuple[object, ...], str | None] = {}
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_size()).execute(query)
        for row in result:
            key = (row.policy, row.kind, row.payee_type, row.groups, bool(row.class_id))
            if key not in known:
                groups = [g for g in (row.groups or "").split(";") if g]
                known[key] = advance_problem(row.policy, row.kind, row.payee_type, groups,
                                             row.class_id)
            problem = known[key]
            if problem:
                found.append((row.policy, row.claim_id, problem))
    return found


def advance_warnings(found: list[tuple[str, str, str]]) -> list[str]:
    """The import's warnings for `found`: one line per claim, the first SHOWN of them."""
    lines = [msg("import.advance_unpayable", claim_id=claim_id, policy=policy, reason=reason_text(reason))
             for policy, claim_id, reason in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(msg("import.advance_more", more=count(len(found) - SHOWN, "request")))
    return lines
