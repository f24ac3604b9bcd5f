"""A person's earlier grants, the history the rules count caps against.

A grant is a claim the assessment found eligible and that was not refused since: assessed,
on the notice, objected (until the review decides), approved, paid or waiting for a payment
retry; and a claim whose assessed amount was below its advance (recover_excess) — it keeps its
grant, only the excess goes back. Refusals, upheld objections and fraud recoveries carry reason
codes and are no grants.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from models.tables import CLAIM
from rules.decision import Grant

GRANTED_STATES: tuple[str, ...] = ("assessed", "publicly_posted", "objected", "approved", "paid",
                                   "payment_failed")
KEPT_AFTER_EXCESS: tuple[str, ...] = ("recovery_due", "recovered")


def granted_clause(*, state_index: bool = False) -> Any:
    """The claims that count as grants. By default the state test cannot drive an index (the
    state is compared as `state || ''`): a caller that selects by certificate, claim or person
    then uses that column's index — on SQLite the planner otherwise scans every granted claim
    through the state index for an IN list of 50 or more numbers, once per chunk, which made
    assessment grow with N². `state_index=True` is for a range of person keys, which the
    (state, person_key) index answers."""
    state = CLAIM.c.state if state_index else CLAIM.c.state.concat("")
    return and_(
        CLAIM.c.amount.isnot(None),
        or_(state.in_(GRANTED_STATES), and_(state.in_(KEPT_AFTER_EXCESS), CLAIM.c.reasons == "")),
    )


def grant_of(row: Any, amount: Decimal | None = None, months_paid: int | None = None) -> Grant:
    """The claim row as a grant (of `amount` and `months_paid` when given: a grant made now, not
    yet written). A capped claim counts the months it was paid, not the months it claimed."""
    paid = months_paid if months_paid is not None else getattr(row, "months_paid", None)
    return Grant(
        claim_id=row.claim_id, policy=row.policy, kind=row.kind,
        amount=row.amount if amount is None else amount,
        subsidy_year=row.certificate_date.year if row.certificate_date else None,
        occupation=row.occupation, level=row.level, certificate_no=row.certificate_no,
        apprentice_year=row.apprentice_year, months=row.months if paid is None else paid,
        apprentice_type=row.apprentice_type,
        training_start=row.training_start, training_end=row.training_end, class_id=row.class_id,
        groups=tuple(g for g in (getattr(row, "groups", "") or "").split(";") if g),
    )


GRANT_COLUMNS = [CLAIM.c[name] for name in (
    "claim_id", "policy", "kind", "amount", "certificate_date", "occupation", "level", "certificate_no",
    "apprentice_year", "apprentice_type", "months", "months_paid", "training_start", "training_end", "class_id",
    "person_id", "filed_on", "groups")]
"""what `grant_of` and `person_order` read of a granted claim"""
_GrantRow = namedtuple("_GrantRow", [c.name for c in GRANT_COLUMNS])  # type: ignore[misc]


PERSONS_PER_QUERY = 500
"""person_ids per IN list: well under every database's bound-parameter limit (SQLite's 999 in old
builds), and small enough that the planner always takes the person index"""


def grants_in_range(conn: Connection, lo: int, hi: int, *,
                    persons: Iterable[str] | None = None) -> dict[str, list[Grant]]:
    """Every grant of the persons whose person_key is in [lo, hi), by person_id, in
    (certificate date, filed date, claim id) order. With `persons` (the chunk's person_ids, as
    assessment and advances pass) only those persons' grants are read, through the person_id
    index in IN lists of PERSONS_PER_QUERY: the cost follows the chunk, not the years of history
    in the key range. Without it, one SELECT of the key range (the (state, person_key) index)."""
    if persons is None:
        rows = conn.execute(
            select(*GRANT_COLUMNS).where(CLAIM.c.person_key >= lo, CLAIM.c.person_key < hi,
                                       granted_clause(state_index=True))
        ).all()
        return _by_person(_GrantRow._make(r) for r in rows)
    wanted = sorted(set(persons))
    found: list[Any] = []
    for start in range(0, len(wanted), PERSONS_PER_QUERY):
        found.extend(conn.execute(
            select(*GRANT_COLUMNS).where(CLAIM.c.person_id.in_(wanted[start:start + PERSONS_PER_QUERY]),
                                       granted_clause())
        ).all())
    return _by_person(_GrantRow._make(r) for r in found)


def _by_person(rows: Iterable[Any]) -> dict[str, list[Grant]]:
    history: dict[str, list[Grant]] = defaultdict(list)
    for row in sorted(rows, key=person_order):
        history[row.person_id].append(grant_of(row))
    return history


def person_order(row: Any) -> tuple[Any, ...]:
    """DESIGN rule 9: a person's claims by (certificate date, filed date, claim id); a claim paid
    without a certificate (以工代训, living allowance) takes its training end, else its filing date,
    in the certificate date's place, so the subsidy earned first is granted first."""
    return (row.person_id, row.certificate_date or row.training_end or row.filed_on, row.filed_on,
            row.claim_id)
