"""Finding claims by the applicant's reference: in bulk for files, one for single commands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from models.tables import CLAIM


class ClaimNotFound(LookupError):
    pass


class AmbiguousClaim(LookupError):
    pass


LOOKUP_COLUMNS = [c for c in CLAIM.c if c.name not in ("citations", "decision_trace", "created_at", "updated_at")]
"""what a bulk lookup reads by default: not the decision's long texts nor the row's timestamps"""


def find_claims(conn: Connection, refs: Iterable[tuple[str, str | None]],
                columns: Sequence[Any] | None = None,
                source: Any = CLAIM) -> dict[tuple[str, str | None], list[Row[Any]]]:
    """Rows for each (claim_id, policy-or-None) in one query per 500 references (`columns`, by
    default LOOKUP_COLUMNS, from `source`: the claim table or a join of it)."""
    wanted = list(dict.fromkeys(refs))
    cols = list(columns) if columns is not None else LOOKUP_COLUMNS
    found: dict[tuple[str, str | None], list[Row[Any]]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        ids = {claim_id for claim_id, _ in part}
        rows = conn.execute(select(*cols).select_from(source).where(CLAIM.c.claim_id.in_(ids))).all()
        by_id: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            by_id[row.claim_id].append(row)
        for claim_id, policy in part:
            matches = by_id.get(claim_id, [])
            found[(claim_id, policy)] = [r for r in matches if policy is None or r.policy == policy]
    return found


def one_claim(conn: Connection, claim_id: str, policy: str | None = None, *,
              columns: Sequence[Any] | None = None, source: Any = CLAIM) -> Row[Any]:
    """The claim (every column, or `columns` from `source`), or ClaimNotFound / AmbiguousClaim."""
    matches = find_claims(conn, [(claim_id, policy)], columns or [CLAIM], source)[(claim_id, policy)]
    if not matches:
        where = f" under {policy}" if policy else ""
        raise ClaimNotFound(f"no claim {claim_id}{where}; check the id (claims show ID)")
    if len(matches) > 1:
        policies = ", ".join(sorted(r.policy for r in matches))
        raise AmbiguousClaim(f"claim {claim_id} exists under {policies}: add --policy")
    return matches[0]


