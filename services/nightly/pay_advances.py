"""Step 1 — pay the advances the policy allows (预支/先行拨付).

A claim filed with `advance_requested` for a class filing (开班备案: the approval an advance
rests on), payee an organisation, is evaluated; one the advance cannot be paid for (no class
filing number, payee not an organisation, the policy provides none: rules/advance.py) is set
aside with that reason, so `claims failed` and the night's list name it; where the pack allows an advance the amount
goes out through the payment channel and the claim moves to `advance_paid`. No advance
allowed: `advance_amount` is set to 0 and the claim waits for its inspection as any other.
A draft policy not confirmed in force pays nothing: the claim waits, set aside. An advance whose
claim has no payee name or account is not ordered: set aside as payee_incomplete
(services/money/payee_check.py) and decided again the night after `claims amend` corrects it.
A refused payment leaves the claim set aside here; it is sent again as the next attempt the
next night (or at once by `claims retry`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, and_, or_

from rules.advance import claim_problem, is_final, unpaid_reason
from services.money.channel import current_channel
from services.money.funds import draw
from services.money.payee_check import payee_problem
from services.money.payments import next_attempt, payments_of, send
from services.nightly.base import CLAIM, ZERO, Batch, Run
from services.nightly.grants import grants_in_range
from services.nightly.moves import unrecorded_money
from services.oversight.holds import hold_reason, open_holds, scan
from services.settings import Settings
from states.lifecycle import sources

STEP = "pay_advances"
ORGANISATIONS = ("enterprise", "institution")
KIND = "advance"


def source(run: Run, settings: Settings) -> Any:
    first = and_(CLAIM.c.state.in_(sources("pay_advance")), CLAIM.c.advance_requested.is_(True),
                 CLAIM.c.advance_amount.is_(None))
    again = and_(CLAIM.c.state.in_(sources("pay_advance", "pass_inspection")), CLAIM.c.set_aside_step == STEP,
                 CLAIM.c.advance_amount > ZERO, CLAIM.c.advance_paid == ZERO)
    # the states of both terms once more at the top: an OR alone makes SQLite scan every claim,
    # years of history included, instead of the (state, person_key) index
    return and_(CLAIM.c.state.in_(sorted({*sources("pay_advance"), *sources("pay_advance", "pass_inspection")})),
                or_(first, again))


def prepare(engine: Engine, run: Run, settings: Settings) -> None:
    """Once a night, before any step lists its work: institution signals set claims aside."""
    with engine.begin() as conn:
        scan(conn, run.as_of, settings)


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    run = batch.run
    held = open_holds(conn, [r.id for r in rows])
    history = grants_in_range(conn, rows[0].person_key, max(r.person_key for r in rows) + 1,
                              persons=(r.person_id for r in rows))
    retries = [r for r in rows if r.advance_amount is not None]
    earlier = payments_of(conn, [r.id for r in retries], KIND) if retries else {}
    items: list[tuple[Any, str, int, Any]] = []
    for row in rows:
        if row.id in held:  # no advance on a claim a signal holds for a reviewer
            batch.set_aside(row, hold_reason(held[row.id]))
            continue
        if not batch.rules.in_force(row.policy):
            batch.set_aside(row, "policy_not_in_force")
            continue
        if (edited := unrecorded_money(row)) is not None:  # never pay an account edited by hand
            batch.set_aside(row, edited)
            continue
        if row.advance_amount is not None:
            tried = earlier.get(row.id, [])
            if tried and tried[-1].business_date >= run.as_of and not run.force:
                continue  # refused today: the next night (or claims retry) sends it again
            if (missing := payee_problem(row)) is not None:  # no order without a payee name and account
                batch.set_aside(row, missing)
                continue
            items.append((row, KIND, next_attempt(tried, KIND), row.advance_amount))
            continue
        problem = claim_problem(row.payee_type, row.class_id)
        if problem:  # named, never silently unpaid: claims failed lists it with the reason
            batch.set_aside(row, problem, **({"advance_amount": ZERO} if is_final(problem) else {}))
            continue
        decision = batch.decide_or_set_aside(row, history.get(row.person_id, []))
        if decision is None:
            continue
        if decision.eligible and decision.advance_amount and decision.advance_amount > 0:
            if (missing := payee_problem(row)) is not None:  # no order without a payee name and account
                batch.set_aside(row, missing)  # decided again the next night, once the payee is amended
                continue
            items.append((row, KIND, 1, decision.advance_amount))
        else:  # no advance: the claim waits for its inspection, named with the reason
            groups = [g for g in (row.groups or "").split(";") if g]
            batch.set_aside(row, unpaid_reason(row.policy, row.kind, row.payee_type, groups, row.class_id,
                                               list(decision.reasons)), advance_amount=ZERO)
    items = draw(conn, items, run.as_of, batch.settings, batch.set_aside)
    for sent in send(current_channel(batch.settings), items, run.as_of,
                     needs_release=batch.settings.needs_payment_approval):
        claim, amount = sent.claim, sent.row["amount"]
        batch.pay(sent.row, claim.policy)
        if not sent.ok:
            batch.set_aside(claim, f"advance payment refused: {sent.result.message}", advance_amount=amount)
        elif claim.state == "filed":
            batch.move(claim, "pay_advance", reason=f"advance {amount:.2f} ({sent.result.reference})",
                       advance_amount=amount, advance_paid=amount)
        else:
            batch.update(claim, advance_paid=amount, set_aside_step=None, set_aside_reason=None)
