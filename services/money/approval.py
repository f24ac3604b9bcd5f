"""Payment approval (拨付审批), on by default (setting payment.approval.required; per policy
payment.approval.by_policy).

Where a policy needs it, the night writes that policy's orders `ordered` and the outbox seals them
into batches of their own (services/money/outbox.py): the night creates orders and batches, nothing
leaves. A named approver releases a batch (`claims approve`, or the Prefect `release-payments`
flow — both call `approve_batch`): the release binds to the batch's id, count, total and hash, the
orders become `released`, and the batch is sent at once through the outbox's `write_batches`, the
same code path by which the night writes files. Any change to the batch (an order voided by a
payee change, `void_unsent_orders`) voids its release: the batch needs a new one.

Segregation of duties: the approver may not have imported, inspected, completed, amended or
reviewed any claim in the batch (services/access/roles.check_may_approve).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from models.tables import BATCH_ORDER, BATCH_RELEASE, CLAIM, OUTBOX_BATCH, PAYMENT
from services.access.actors import Actor
from services.access.roles import check_may_approve
from services.crash_drill import checkpoint
from services.money.channel import outbox_dir
from services.money.outbox import ORDERED, RELEASED, VOID, batch_hash, money_transaction, write_batches
from services.money.payments import BankReport, close_orders

VOID_ACTOR = "system:void"
"""who voids an order when the caller names nobody"""


class ApprovalError(ValueError):
    pass


@dataclass(frozen=True)
class Waiting:
    """A batch waiting for its release."""

    batch_id: int
    policy: str
    business_date: date
    claims: int
    amount: Decimal
    hash: str


@dataclass
class Release:
    batch_id: int
    policy: str
    claims: int
    amount: Decimal
    new: bool
    file_name: str


@dataclass
class ApprovalReport:
    releases: list[Release] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def waiting_batches(conn: Connection, *, on: date | None = None, policy: str | None = None,
                    batch_id: int | None = None) -> list[Waiting]:
    """Batches holding orders that wait for a release (of business days up to `on`)."""
    query = (select(OUTBOX_BATCH.c.id, CLAIM.c.policy, OUTBOX_BATCH.c.business_date, OUTBOX_BATCH.c.rows,
                    OUTBOX_BATCH.c.total, OUTBOX_BATCH.c.hash)
             .select_from(OUTBOX_BATCH.join(BATCH_ORDER, BATCH_ORDER.c.batch_id == OUTBOX_BATCH.c.id)
                          .join(PAYMENT, PAYMENT.c.id == BATCH_ORDER.c.payment_id)
                          .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
             .where(PAYMENT.c.status == ORDERED)
             .group_by(OUTBOX_BATCH.c.id, CLAIM.c.policy, OUTBOX_BATCH.c.business_date, OUTBOX_BATCH.c.rows,
                       OUTBOX_BATCH.c.total, OUTBOX_BATCH.c.hash)
             .order_by(OUTBOX_BATCH.c.id))
    if on is not None:
        query = query.where(OUTBOX_BATCH.c.business_date <= on)
    if policy:
        query = query.where(CLAIM.c.policy == policy)
    if batch_id is not None:
        query = query.where(OUTBOX_BATCH.c.id == batch_id)
    return [Waiting(r.id, r.policy, r.business_date, r.rows, Decimal(r.total).quantize(Decimal("0.01")), r.hash)
            for r in conn.execute(query)]


def release_batch(engine: Engine, batch_id: int, *, actor: Actor, on: date) -> Release:
    """Release one batch: check it is unchanged (count, total, hash) and that `actor` may release
    it, record the release bound to it and mark its orders released (one transaction). The caller
    sends it (`write_batches`)."""
    with money_transaction(engine) as conn:
        batch = conn.execute(select(OUTBOX_BATCH).where(OUTBOX_BATCH.c.id == batch_id)).first()
        if batch is None:
            raise ApprovalError(f"no payment batch {batch_id}")
        orders = conn.execute(
            select(PAYMENT.c.id, PAYMENT.c.claim_pk, PAYMENT.c.status, PAYMENT.c.reference,
                   PAYMENT.c.idempotency_key, PAYMENT.c.amount, CLAIM.c.policy)
            .select_from(BATCH_ORDER.join(PAYMENT, PAYMENT.c.id == BATCH_ORDER.c.payment_id)
                         .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
            .where(BATCH_ORDER.c.batch_id == batch_id, PAYMENT.c.status != VOID)
            .order_by(BATCH_ORDER.c.line)).all()
        policy = orders[0].policy if orders else "-"
        if not orders or all(o.status != ORDERED for o in orders):
            return Release(batch_id, policy, batch.rows, batch.total, False, batch.file_name)
        lines = [(o.reference, o.idempotency_key, o.amount) for o in orders]
        total = sum((o.amount for o in orders), Decimal("0"))
        if len(orders) != batch.rows or total != batch.total or batch_hash(lines) != batch.hash:
            raise ApprovalError(f"batch {batch_id} changed since it was sealed ({len(orders)} orders, "
                                f"{total:.2f} yuan; sealed {batch.rows}, {batch.total:.2f}): not released")
        check_may_approve(conn, actor, sorted({o.claim_pk for o in orders}))
        conn.execute(insert(BATCH_RELEASE).values(
            batch_id=batch_id, policy=policy, business_date=on, approver=actor.name, claims=batch.rows,
            amount=batch.total, hash=batch.hash, at=datetime.now(UTC)))
        batch_orders = select(BATCH_ORDER.c.payment_id).where(BATCH_ORDER.c.batch_id == batch_id)
        done = conn.execute(update(PAYMENT).where(PAYMENT.c.id.in_(batch_orders),
                                                  PAYMENT.c.status == ORDERED).values(status=RELEASED))
        if done.rowcount != len(orders):
            raise ApprovalError(f"batch {batch_id} changed while it was being released: not released")
    checkpoint("release.after_release")
    return Release(batch_id, policy, batch.rows, batch.total, True, batch.file_name)


def approve_batch(engine: Engine, *, on: date, actor: Actor, policy: str | None = None,
                  batch_id: int | None = None, out_dir: Path | None = None) -> ApprovalReport:
    """Release every batch waiting (of business days up to `on`; only `policy` or `batch_id` if
    given) and send them at once through the outbox. Used by `claims approve` and the
    release-payments flow."""
    with engine.connect() as conn:
        waiting = waiting_batches(conn, on=on, policy=policy, batch_id=batch_id)
    if not waiting:
        what = f"batch {batch_id}" if batch_id is not None else f"{policy or 'any policy'} up to {on}"
        raise ApprovalError(f"no payment batch waits for a release ({what}): claims approve --list")
    report = ApprovalReport()
    for batch in waiting:
        report.releases.append(release_batch(engine, batch.batch_id, actor=actor, on=on))
    report.written = write_batches(engine, out_dir or outbox_dir(), actor=actor.name)
    return report


def finish_released(engine: Engine, *, actor: Actor, out_dir: Path | None = None) -> list[str]:
    """Send what a release interrupted after its commit left released but unwritten (the same
    `write_batches`); the file names written."""
    return write_batches(engine, out_dir or outbox_dir(), actor=actor.name)


def void_unsent_orders(conn: Connection, claim_pks: Iterable[int], reason: str, *, actor: Actor | None = None,
                       on: date | None = None) -> list[int]:
    """In the caller's transaction: void the unsent orders (ordered, or released whose file was not
    handed over) of these claims — closed, never sent; their claims go back as after a refused
    payment (a paid claim → payment_failed, an advance owed again), so the next night pays them as
    a new order with a new reference — void the releases of their batches, reseal each such batch's
    count, total and hash without them, and put its other orders back to ordered: a changed batch
    needs a new release. Returns the ids of the orders voided."""
    pks = list(claim_pks)
    if not pks:
        return []
    found = conn.execute(select(PAYMENT, BATCH_ORDER.c.batch_id)
                         .select_from(PAYMENT.outerjoin(BATCH_ORDER, BATCH_ORDER.c.payment_id == PAYMENT.c.id))
                         .where(PAYMENT.c.claim_pk.in_(pks), PAYMENT.c.status.in_((ORDERED, RELEASED)))).all()
    if not found:
        return []
    claims = {c.id: c for c in conn.execute(select(CLAIM).where(CLAIM.c.id.in_(sorted({r.claim_pk for r in found}))))}
    report = BankReport()
    close_orders(conn, [(r, claims[r.claim_pk]) for r in found], actor or Actor(VOID_ACTOR, "admin"),
                 on or date.today(), report, status=VOID,
                 why=lambda p: f"order {p.reference} voided before it was sent: {reason}")
    if report.problems:
        raise ApprovalError("; ".join(problem for _, _, problem in report.problems))
    batches = sorted({r.batch_id for r in found if r.batch_id is not None})
    if batches:
        conn.execute(update(BATCH_RELEASE).where(BATCH_RELEASE.c.batch_id.in_(batches),
                                                 BATCH_RELEASE.c.voided_at.is_(None))
                     .values(voided_at=datetime.now(UTC), void_reason=reason[:400]))
    for batch_id in batches:
        rest = conn.execute(select(PAYMENT.c.reference, PAYMENT.c.idempotency_key, PAYMENT.c.amount)
                            .select_from(BATCH_ORDER.join(PAYMENT, PAYMENT.c.id == BATCH_ORDER.c.payment_id))
                            .where(BATCH_ORDER.c.batch_id == batch_id, PAYMENT.c.status != VOID)
                            .order_by(BATCH_ORDER.c.line)).all()
        lines = [(r.reference, r.idempotency_key, r.amount) for r in rest]
        mine = select(BATCH_ORDER.c.payment_id).where(BATCH_ORDER.c.batch_id == batch_id)
        conn.execute(update(PAYMENT).where(PAYMENT.c.id.in_(mine), PAYMENT.c.status == RELEASED)
                     .values(status=ORDERED))
        conn.execute(update(OUTBOX_BATCH).where(OUTBOX_BATCH.c.id == batch_id).values(
            rows=len(rest), total=sum((r.amount for r in rest), Decimal("0")), hash=batch_hash(lines)))
    return [r.id for r in found]
