"""Payment rows: what is paid, to whom, under which idempotency key.

A key is derived from what it pays — `<policy>:<claim_id>:<kind>:<attempt>` — and unique in the
database, so no step can write the same payment twice; a retry after a failure is the next
attempt with its own key. Rows are written in the same transaction as the claim's move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from intake.messages import explained, msg
from models.audit_hash import payment_hash
from models.tables import CLAIM, PAYMENT
from services.access.actors import Actor
from services.access.roles import check_role
from services.money.channel import ChannelResult, PaymentChannel, PaymentOrder
from services.nightly.moves import plan_move, write_moves
from services.settings import chunk_size
from states.lifecycle import sources

SENT, FAILED, CONFIRMED, DUE, RETURNED = "sent", "failed", "confirmed", "due", "returned"
ORDERED, RELEASED, VOID = "ordered", "released", "void"
"""an order waiting for its batch's release; released, its file not yet handed over; voided unsent
(a payee change): closed, paying again is a new order with a new reference"""
LIVE_ORDER = (ORDERED, RELEASED, SENT, CONFIRMED)
"""statuses of an order that is (or will be) money out"""


def idempotency_key(policy: str, claim_id: str, kind: str, attempt: int) -> str:
    return f"{policy}:{claim_id}:{kind}:{attempt}"


def payment_row(claim: Any, kind: str, attempt: int, amount: Decimal, on: date, *,
                status: str, reference: str | None = None, note: str | None = None,
                key: str | None = None) -> dict[str, Any]:
    row = {
        "claim_pk": claim.id, "kind": kind, "attempt": attempt, "amount": amount,
        "status": status, "payee_type": claim.payee_type, "payee_id": claim.payee_id,
        "payee_name": getattr(claim, "payee_name", None), "bank_account": getattr(claim, "bank_account", None),
        "bank_name": getattr(claim, "bank_name", None),
        "idempotency_key": key or idempotency_key(claim.policy, claim.claim_id, kind, attempt),
        "business_date": on, "reference": reference, "settled_on": None, "note": note,
        "created_at": datetime.now(UTC),
    }
    row["hash"] = payment_hash(row)
    return row


def order_for(claim: Any, kind: str, attempt: int, amount: Decimal, on: date) -> PaymentOrder:
    return PaymentOrder(
        payment_key=idempotency_key(claim.policy, claim.claim_id, kind, attempt), kind=kind,
        amount=amount, policy=claim.policy, claim_id=claim.claim_id, payee_type=claim.payee_type,
        payee_id=claim.payee_id, payee_name=claim.payee_name, bank_account=claim.bank_account,
        business_date=on,
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """One order after the channel answered, with the payment row to write."""

    claim: Any
    order: PaymentOrder
    result: ChannelResult
    row: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.result.ok


def send(channel: PaymentChannel, items: list[tuple[Any, str, int, Decimal]], on: date, *,
         needs_release: Callable[[str], bool] | None = None) -> list[Sent]:
    """Send (claim, kind, attempt, amount) through `channel` as one batch; return each with the
    payment row to insert (status sent with the channel's reference, or failed). An accepted order
    of a policy for which `needs_release` holds is written `ordered`: its batch waits for a release."""
    if not items:
        return []
    orders = [order_for(claim, kind, attempt, amount, on) for claim, kind, attempt, amount in items]
    answers = {r.payment_key: r for r in channel.send(orders, on)}
    done: list[Sent] = []
    for (claim, kind, attempt, amount), order in zip(items, orders, strict=True):
        answer = answers.get(order.payment_key) or ChannelResult(
            order.payment_key, False, None, "the payment channel gave no answer")
        row = payment_row(claim, kind, attempt, amount, on,
                          status=(ORDERED if needs_release and needs_release(claim.policy) else SENT)
                          if answer.ok else FAILED, reference=answer.reference,
                          note=answer.message or None)
        done.append(Sent(claim, order, answer, row))
    return done


def payments_of(conn: Connection, claim_pks: Iterable[int], kind: str | None = None) -> dict[int, list[Any]]:
    """Payment rows of these claims (one SELECT per 1000 claims), by claim, in attempt order."""
    pks = list(claim_pks)
    found: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(pks), 1000):
        query = select(PAYMENT).where(PAYMENT.c.claim_pk.in_(pks[start:start + 1000]))
        if kind is not None:
            query = query.where(PAYMENT.c.kind == kind)
        for row in conn.execute(query.order_by(PAYMENT.c.attempt, PAYMENT.c.id)):
            found[row.claim_pk].append(row)
    return found


def next_attempt(rows: Iterable[Any], kind: str) -> int:
    return 1 + max((r.attempt for r in rows if r.kind == kind), default=0)


# --- claims bank import FILE: the bank's word on each payment ------------------------------------

BANK_STATUS = {"confirmed": CONFIRMED, "成功": CONFIRMED, "failed": FAILED, "失败": FAILED}
BANK_COLUMNS = {"reference": ("reference", "参考号"), "amount": ("amount", "金额", "金额（元）"),
                "status": ("status", "状态"), "on": ("on", "日期", "date")}
ADVANCE_OPEN = sources("pass_inspection")
"""states in which a paid advance is all the claim has had: the class has not been inspected yet"""
LATER_THAN_ADVANCE = tuple(state for state in sources("reject") if state not in ADVANCE_OPEN)


@dataclass
class BankReport:
    confirmed: int = 0
    failed: int = 0
    unchanged: int = 0
    claims_failed: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    """(row, reference, message): unknown references, mismatched amounts, conflicts, rows not applied"""
    conflicts: list[str] = field(default_factory=list)
    """references a later line contradicted (confirmed then failed, or failed then confirmed)"""


def _cell(raw: Mapping[str, Any], name: str) -> str:
    for alias in BANK_COLUMNS[name]:
        if raw.get(alias) not in (None, ""):
            return str(raw[alias]).strip()
    return ""


def import_bank_statement(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                          actor: Actor, on: date, chunk: int | None = None) -> BankReport:
    """Rows reference, amount, status (confirmed|failed), [on]. Confirmed → the payment is settled;
    failed → the payment is failed and its claim waits for a retry as a new attempt."""
    check_role(actor)
    report = BankReport()
    batch: list[tuple[int, Mapping[str, Any]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= (chunk or chunk_size()):
            _bank_chunk(engine, batch, actor, on, report)
            batch = []
    if batch:
        _bank_chunk(engine, batch, actor, on, report)
    return report


def _bank_chunk(engine: Engine, batch: list[tuple[int, Mapping[str, Any]]], actor: Actor, on: date,
                report: BankReport) -> None:
    with engine.begin() as conn:
        refs = [_cell(raw, "reference") for _, raw in batch]
        found = {r.reference: r for r in conn.execute(
            select(PAYMENT).where(PAYMENT.c.reference.in_([r for r in refs if r])))}
        claims = {c.id: c for c in conn.execute(
            select(CLAIM).where(CLAIM.c.id.in_(sorted({p.claim_pk for p in found.values()}))))}
        settle: list[dict[str, Any]] = []
        fail: list[tuple[Any, Any]] = []
        said = {ref: payment.status for ref, payment in found.items()}
        for (number, raw), ref in zip(batch, refs, strict=True):
            problem = _bank_row_problem(raw, ref, found.get(ref), on)
            if problem:
                report.problems.append((number, ref, problem))
                continue
            payment, status = found[ref], BANK_STATUS[_cell(raw, "status").lower()]
            day = date.fromisoformat(_cell(raw, "on")) if _cell(raw, "on") else on
            if said[ref] == status:
                report.unchanged += 1
            elif said[ref] in (CONFIRMED, FAILED):
                report.conflicts.append(ref)
                report.problems.append((number, ref, msg("bank.conflict", "en", before=said[ref], now=status,
                                                         reference=ref)))
            elif status == CONFIRMED:
                settle.append({"b_id": payment.id, "v_status": CONFIRMED, "v_settled_on": day})
                report.confirmed += 1
            else:
                fail.append((payment, claims[payment.claim_pk]))
            if said[ref] not in (CONFIRMED, FAILED):
                said[ref] = status
        if settle:
            conn.execute(update(PAYMENT).where(PAYMENT.c.id == bindparam("b_id"))
                         .values(status=bindparam("v_status"), settled_on=bindparam("v_settled_on")), settle)
        _bank_failures(conn, fail, actor, on, report)


def _bank_row_problem(raw: Mapping[str, Any], ref: str, payment: Any, on: date) -> str | None:
    if not ref:
        return msg("bank.no_reference", "en")
    if payment is None:
        return msg("bank.unknown_reference", "en")
    status = _cell(raw, "status").lower()
    if status not in BANK_STATUS:
        return msg("bank.status", "en", value=repr(status or "empty"))
    try:
        amount = Decimal(_cell(raw, "amount"))
        if _cell(raw, "on"):
            date.fromisoformat(_cell(raw, "on"))
    except (InvalidOperation, ValueError):
        return msg("bank.unreadable", "en", amount=repr(_cell(raw, "amount")), day=repr(_cell(raw, "on")))
    if amount != payment.amount:
        return msg("bank.amount_mismatch", "en", amount=amount, expected=f"{payment.amount:.2f}")
    if payment.kind not in ("advance", "final"):
        return msg("bank.not_sent_kind", "en", reference=ref, kind=payment.kind)
    if payment.status in (ORDERED, RELEASED, VOID):
        return msg("bank.never_sent", "en", reference=ref, status=payment.status)
    return None


def _bank_failures(conn: Connection, fail: list[tuple[Any, Any]], actor: Actor, on: date,
                   report: BankReport) -> None:
    close_orders(conn, fail, actor, on, report,
                 why=lambda p: f"the bank failed payment {p.reference} (attempt {p.attempt}) on {on}")


def close_orders(conn: Connection, orders: list[tuple[Any, Any]], actor: Actor, on: date, report: BankReport, *,
                 why: Callable[[Any], str], status: str = FAILED) -> None:
    """Close (payment, claim) orders as `status` (failed by the bank, or void: never sent) and put
    their claims back as a refused payment would: a paid claim → payment_failed (the next night or
    claims retry pays it as a new order with a new reference), an advance → owed again."""
    moves, updates, failed_ids = [], [], []
    for payment, claim in orders:
        why_text = why(payment)
        if payment.kind == "final" and claim.state == "paid":
            moves.append(plan_move(claim, "fail_payment", reason=why_text,
                                   final_paid=claim.final_paid - payment.amount,
                                   set_aside_step="pay_due", set_aside_reason=why_text))
        elif payment.kind == "advance" and claim.state in ADVANCE_OPEN:
            updates.append({"b_pk": claim.id, "b_seq": claim.event_seq,
                            "v_paid": claim.advance_paid - payment.amount, "v_step": "pay_advances",
                            "v_reason": why_text})
        elif payment.kind == "advance" and claim.state in LATER_THAN_ADVANCE:
            updates.append({"b_pk": claim.id, "b_seq": claim.event_seq,
                            "v_paid": claim.advance_paid - payment.amount, "v_step": claim.set_aside_step,
                            "v_reason": claim.set_aside_reason})
        else:
            report.problems.append((0, payment.reference, msg("bank.needs_admin", "en", claim_id=claim.claim_id,
                                                                  state=claim.state)))
            continue
        failed_ids.append(payment.id)
        report.claims_failed.append(claim.claim_id)
    if not failed_ids:
        return
    conn.execute(update(PAYMENT).where(PAYMENT.c.id.in_(failed_ids)).values(status=status, settled_on=None))
    if updates:
        conn.execute(update(CLAIM).where(CLAIM.c.id == bindparam("b_pk"), CLAIM.c.event_seq == bindparam("b_seq"))
                     .values(advance_paid=bindparam("v_paid"), set_aside_step=bindparam("v_step"),
                             set_aside_reason=bindparam("v_reason")), updates)
    write_moves(conn, moves, actor=actor, on=on)
    report.failed += len(failed_ids)


class BankResolveError(ValueError):
    pass


def resolve_conflict(engine: Engine, reference: str, status: str, *, actor: Actor, on: date) -> str:
    """An administrator's decision on a contradicted payment: `confirmed` keeps or makes it settled,
    `failed` fails it (its claim waits for a retry as a new attempt, an event records the move). The
    decision is written on the payment row's note. A failed payment whose claim was already paid again
    cannot be confirmed here: one of the two must come back (claims recovered)."""
    check_role(actor)
    if actor.role != "admin":
        raise explained(BankResolveError, "ops.resolve_not_admin", name=actor.name, role=actor.role)
    if status not in (CONFIRMED, FAILED):
        raise explained(BankResolveError, "ops.resolve_choice")
    with engine.begin() as conn:
        payment = conn.execute(select(PAYMENT).where(PAYMENT.c.reference == reference)).first()
        if payment is None:
            raise explained(BankResolveError, "ops.resolve_no_payment", reference=reference)
        claim = conn.execute(select(CLAIM).where(CLAIM.c.id == payment.claim_pk)).one()
        decided = f"{payment.note or ''}\nresolved {status} by {actor.name} on {on}".strip()
        if payment.status == status:
            outcome = msg("bank.resolved_stays", "en", reference=reference, status=status)
        elif status == FAILED:
            report = BankReport()
            _bank_failures(conn, [(payment, claim)], actor, on, report)
            if report.problems:
                raise BankResolveError(report.problems[0][2])
            outcome = msg("bank.resolved_failed", "en", reference=reference, claim_id=claim.claim_id)
        else:
            raise explained(BankResolveError, "ops.resolve_paid_again", reference=reference,
                            claim_id=claim.claim_id, state=claim.state)
        conn.execute(update(PAYMENT).where(PAYMENT.c.id == payment.id).values(note=decided))
    return outcome
