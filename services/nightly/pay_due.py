"""Step 6 — pay what is due (拨付 / 清算).

An approved claim is paid the assessed amount less any advance, as a `final` payment through the
payment channel; amount equal to the advance → paid with no payment row; amount below the
advance → recovery_due with a recovery row for the excess. A draft policy not confirmed in
force pays nothing: the claim stays approved, set aside as policy_not_in_force; so does a claim
without a payee name or account (payee_incomplete, services/money/payee_check.py). Where the
settings require payment approval (the default), the orders are written `ordered` and sealed into
batches that wait for an approver's release (services/money/approval.py): the claims are held,
listed by `claims approve --list`, not set aside.
The usual case — an approved claim owing money with nothing in its way, through the file channel — is
written in SQL before any row comes into Python (`write_in_sql`, services/nightly/pay_in_sql.py).
A refused payment moves the claim to payment_failed; the next night (or `claims retry`, at once)
sends it again as the next attempt with its own key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_

from services.money.channel import current_channel
from services.money.funds import draw
from services.money.payee_check import payee_problem
from services.money.payments import send
from services.nightly import pay_in_sql
from services.nightly.base import CLAIM, Batch, Run
from services.nightly.moves import unrecorded_money
from services.nightly.rulebook import load_rulebook
from services.nightly.steps import StepResult
from services.oversight.holds import hold_reason, open_holds
from services.settings import Settings
from states.lifecycle import sources

WRITES_IN_SQL = True
"""its partitions are `sql_partition_factor` times larger (services.nightly.base.partition_size)"""
STEP = "pay_due"
KIND = "final"


def source(run: Run, settings: Settings) -> Any:
    failed: ColumnElement[bool] = CLAIM.c.state.in_(sources("retry_payment"))
    if not run.force:
        failed = and_(failed, CLAIM.c.state_on < run.as_of)
    # the states of both terms once more at the top: an OR alone makes SQLite scan every claim,
    # years of history included, instead of the (state, person_key) index
    return and_(CLAIM.c.state.in_(sorted({*sources("pay"), *sources("retry_payment")})),
                or_(CLAIM.c.state.in_(sources("pay")), failed))


def write_in_sql(conn: Connection, run: Run, settings: Settings, chunk: ColumnElement[bool],
                 result: StepResult) -> int:
    """The chunk's orders `pay_in_sql` may write, written; how many claims it paid."""
    return pay_in_sql.write_orders(conn, run.as_of, run.run_id, run.actor, settings, load_rulebook(), chunk, result)


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    items: list[tuple[Any, str, int, Any]] = []
    owed: list[tuple[Any, Any, str]] = []
    held = open_holds(conn, [r.id for r in rows if r.state == "approved"])
    for row in rows:
        if row.id in held:  # an institution signal: not paid until a reviewer clears it
            batch.set_aside(row, hold_reason(held[row.id]))
            continue
        if row.draft and not batch.rules.in_force(row.policy):
            batch.set_aside(row, "policy_not_in_force")
            continue
        if (edited := unrecorded_money(row)) is not None:  # never pay an amount or account edited by hand
            batch.set_aside(row, edited)
            continue
        owing = row.amount - row.advance_paid - row.final_paid > 0
        if owing and (problem := payee_problem(row)) is not None:  # no order without a payee name and account
            batch.set_aside(row, problem)
            continue
        if row.state == "payment_failed":
            row = batch.move_then(row, "retry_payment", reason=f"payment attempt {row.payment_attempt + 1}")
        rest = row.amount - row.advance_paid - row.final_paid
        if rest > 0:
            items.append((row, KIND, row.payment_attempt + 1, rest))
        elif rest == 0:
            batch.move(row, "pay", reason="settled by the advance: nothing more to pay")
        else:
            excess = -rest
            batch.move(row, "recover_excess",
                       reason=f"assessed {row.amount:.2f} is below the {row.advance_paid:.2f} paid: "
                              f"{excess:.2f} to recover",
                       recovery_owed=row.recovery_owed + excess)
            owed.append((row, excess, "advance above the assessed amount"))
    items = draw(conn, items, batch.run.as_of, batch.settings, batch.set_aside)
    for sent in send(current_channel(batch.settings), items, batch.run.as_of,
                     needs_release=batch.settings.needs_payment_approval):
        claim, amount = sent.claim, sent.row["amount"]
        batch.pay(sent.row, claim.policy)
        attempt = sent.row["attempt"]
        if sent.ok:
            batch.move(claim, "pay", reason=f"paid {amount:.2f} ({sent.result.reference})",
                       final_paid=claim.final_paid + amount, payment_attempt=attempt)
        else:
            why = f"payment attempt {attempt} refused: {sent.result.message}"
            batch.move(claim, "fail_payment", reason=why, payment_attempt=attempt,
                       set_aside_step=STEP, set_aside_reason=why)
    batch.owe(conn, owed)
