"""`claims reconcile`: money and state invariants over the whole database, claim by claim.

Per claim, with live payments = advance and final rows not failed (pending, sent, confirmed),
recovery owed = recovery rows due or confirmed, recovery received = recovery rows returned:

- the claim's money columns equal its payment rows (advance_paid, final_paid, recovery_owed,
  recovered) and no payment is there twice (one live advance, one live final, one row per
  kind and attempt);
- the money agrees with the state: a paid claim got its assessed amount; a claim in progress has
  at most its advance out and nothing owed; a rejected or withdrawn claim has nothing out; a claim
  owing money keeps after recovery what it was granted (its assessed amount when only an advance
  above it goes back, else nothing), with received ≤ owed, all of it once `recovered`;
- the state is a lifecycle state and equals its last event's `to_state`;
- every batch file handed over is read back (services/money/outbox.py `check_files`): each order in
  exactly one file, rows, total and hash equal to its batch; a line added by hand or a file deleted
  is named.

Claims are read in id order, a chunk at a time (one query each for the claims, their payments and
their last events); totals per policy and business day come from one GROUP BY.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from intake.messages import msg
from models.tables import CLAIM, EVENT, PAYMENT
from services.money.channel import outbox_dir
from services.money.outbox import check_files
from services.nightly.grants import granted_clause
from services.settings import chunk_size
from states.lifecycle import STATE_CODES

ZERO = Decimal("0.00")
LIVE = ("pending", "ordered", "released", "sent", "confirmed")
OWED = ("due", "confirmed")
RETURNED = "returned"
IN_PROGRESS = ("filed", "advance_paid", "on_site_inspected", "assessed", "publicly_posted", "objected",
               "approved", "payment_failed")
NOTHING_OUT = ("rejected", "withdrawn")
OWING = ("recovery_due", "recovered")


@dataclass(frozen=True, slots=True)
class Breach:
    claim_id: str
    policy: str
    state: str
    check: str
    message: str


@dataclass
class DayTotal:
    advance: Decimal = ZERO
    final: Decimal = ZERO
    failed: Decimal = ZERO
    recovery_owed: Decimal = ZERO
    recovery_received: Decimal = ZERO
    payments: int = 0


@dataclass
class ReconcileReport:
    claims: int = 0
    payments: int = 0
    states: Counter[str] = field(default_factory=Counter)
    breaches: list[Breach] = field(default_factory=list)
    totals: dict[tuple[str, date], DayTotal] = field(default_factory=dict)
    """(policy, business date) -> money by kind"""
    outstanding: Decimal = ZERO
    """recovery owed but not yet received, over all claims"""

    @property
    def holds(self) -> bool:
        return not self.breaches

    @property
    def broken_claims(self) -> list[tuple[str, str]]:
        return sorted({(b.policy, b.claim_id) for b in self.breaches})


@dataclass
class _Money:
    advance: Decimal = ZERO
    final: Decimal = ZERO
    owed: Decimal = ZERO
    received: Decimal = ZERO
    live: Counter[str] = field(default_factory=Counter)
    attempts: Counter[tuple[str, int]] = field(default_factory=Counter)
    rows: int = 0


def reconcile(engine: Engine, *, chunk: int | None = None) -> ReconcileReport:
    report = ReconcileReport()
    with engine.connect() as conn:
        for claims in _claim_chunks(conn, chunk or chunk_size()):
            pks = [c.id for c in claims]
            money = _payments(conn, pks)
            last = _last_events(conn, pks)
            for claim in claims:
                report.claims += 1
                report.states[claim.state] += 1
                got = money.get(claim.id, _Money())
                report.payments += got.rows
                report.outstanding += max(got.owed - got.received, ZERO)
                report.breaches.extend(check_claim(claim, got, last.get(claim.id)))
        report.breaches.extend(certificates_granted_twice(conn))
        report.totals = _totals(conn)
    report.breaches.extend(Breach("", "", "", "batch_file", f"{name}: {problem}")
                           for name, problem in check_files(engine, outbox_dir()))
    return report


def certificates_granted_twice(conn: Connection) -> list[Breach]:
    """One certificate number may back one grant (duplicate_certificate). A check across claims:
    several workers assessing at once could, in a narrow race, each grant a claim on the same number."""
    granted = granted_clause()
    twice = (select(CLAIM.c.certificate_no).where(granted, CLAIM.c.certificate_no.isnot(None))
             .group_by(CLAIM.c.certificate_no).having(func.count() > 1).subquery())
    rows = conn.execute(
        select(CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.state, CLAIM.c.certificate_no)
        .where(granted, CLAIM.c.certificate_no.in_(select(twice.c.certificate_no)))
        .order_by(CLAIM.c.certificate_no, CLAIM.c.id)).all()
    holders: dict[str, list[str]] = {}
    for row in rows:
        holders.setdefault(row.certificate_no, []).append(f"{row.claim_id} ({row.policy})")
    return [Breach(row.claim_id, row.policy, row.state, "certificate_granted_twice",
                   msg("breach.certificate_twice", "en", certificate=row.certificate_no,
                       holders=", ".join(holders[row.certificate_no])))
            for row in rows]


def _claim_chunks(conn: Connection, size: int) -> Iterator[list[Any]]:
    after = 0
    while True:
        rows = conn.execute(
            select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.state, CLAIM.c.amount,
                   CLAIM.c.advance_amount, CLAIM.c.advance_paid, CLAIM.c.final_paid, CLAIM.c.recovery_owed,
                   CLAIM.c.recovered, CLAIM.c.reasons, CLAIM.c.event_seq)
            .where(CLAIM.c.id > after).order_by(CLAIM.c.id).limit(size)).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].id


def _payments(conn: Connection, pks: list[int]) -> dict[int, _Money]:
    found: dict[int, _Money] = defaultdict(_Money)
    query = select(PAYMENT.c.claim_pk, PAYMENT.c.kind, PAYMENT.c.attempt, PAYMENT.c.status,
                   PAYMENT.c.amount).where(PAYMENT.c.claim_pk.in_(pks))
    for p in conn.execute(query):
        money = found[p.claim_pk]
        money.rows += 1
        if p.kind in ("advance", "final") or p.attempt > 0:
            money.attempts[(p.kind, p.attempt)] += 1
        if p.kind in ("advance", "final") and p.status in LIVE:
            money.live[p.kind] += 1
            if p.kind == "advance":
                money.advance += p.amount
            else:
                money.final += p.amount
        elif p.kind == "recovery" and p.status in OWED:
            money.owed += p.amount
        elif p.kind == "recovery" and p.status == RETURNED:
            money.received += p.amount
    return found


def _last_events(conn: Connection, pks: list[int]) -> dict[int, str]:
    rows = conn.execute(
        select(EVENT.c.claim_pk, EVENT.c.to_state)
        .join(CLAIM, and_(CLAIM.c.id == EVENT.c.claim_pk, CLAIM.c.event_seq == EVENT.c.seq))
        .where(EVENT.c.claim_pk.in_(pks)))
    return {r.claim_pk: r.to_state for r in rows}


def kept_after_recovery(claim: Any) -> Decimal:
    """What the payee keeps once recovery completes: the assessed amount when only an advance above
    it goes back (recover_excess, no reason codes), else nothing."""
    if claim.reasons or claim.amount is None:
        return ZERO
    return Decimal(claim.amount)


def check_claim(claim: Any, money: _Money, last_state: str | None) -> list[Breach]:
    found: list[Breach] = []

    def breach(check: str, message: str) -> None:
        found.append(Breach(claim.claim_id, claim.policy, claim.state, check, message))

    for column, value in (("advance_paid", money.advance), ("final_paid", money.final),
                          ("recovery_owed", money.owed), ("recovered", money.received)):
        if getattr(claim, column) != value:
            breach("columns", msg("breach.columns", "en", column=column, value=f"{getattr(claim, column):.2f}",
                                  rows=f"{value:.2f}"))
    for kind, n in money.live.items():
        if n > 1:
            breach("duplicate", msg("breach.live_twice", "en", n=n, kind=kind))
    for (kind, attempt), n in money.attempts.items():
        if n > 1:
            breach("duplicate", msg("breach.attempt_twice", "en", n=n, kind=kind, attempt=attempt))
    _state_money(claim, money, breach)
    if claim.state not in STATE_CODES:
        breach("state", msg("breach.unknown_state", "en", state=claim.state))
    if last_state is None:
        breach("events", msg("breach.no_event", "en", seq=claim.event_seq, state=claim.state))
    elif last_state != claim.state:
        breach("events", msg("breach.event_differs", "en", state=claim.state, seq=claim.event_seq, last=last_state))
    return found


def _state_money(claim: Any, money: _Money, breach: Callable[[str, str], None]) -> None:
    out = money.advance + money.final
    state = claim.state
    if money.received > money.owed:
        breach("recovery", msg("breach.received_more", "en", received=f"{money.received:.2f}",
                               owed=f"{money.owed:.2f}"))
    if state == "paid":
        amount = Decimal(claim.amount) if claim.amount is not None else None
        if amount is None or out != amount or money.owed:
            spent = {"out": f"{out:.2f}", "owed": f"{money.owed:.2f}"}
            breach("paid", msg("breach.paid_unassessed", "en", **spent) if amount is None
                   else msg("breach.paid", "en", **spent, amount=f"{amount:.2f}"))
    elif state in IN_PROGRESS:
        if money.final or money.owed:
            breach("in_progress", msg("breach.in_progress", "en", final=f"{money.final:.2f}",
                                      owed=f"{money.owed:.2f}"))
        if money.advance and money.advance != claim.advance_amount:
            breach("in_progress", msg("breach.advance_differs", "en", out=f"{money.advance:.2f}",
                                      advance=f"{claim.advance_amount or ZERO:.2f}"))
    elif state in NOTHING_OUT:
        if out or money.owed:
            breach("nothing_out", msg("breach.nothing_out", "en", state=state, out=f"{out:.2f}",
                                      owed=f"{money.owed:.2f}"))
    elif state in OWING:
        kept = kept_after_recovery(claim)
        if out - money.owed != kept:
            breach("recovery", msg("breach.kept", "en", out=f"{out:.2f}", owed=f"{money.owed:.2f}",
                                   left=f"{out - money.owed:.2f}", kept=f"{kept:.2f}"))
        if state == "recovered" and money.received != money.owed:
            breach("recovery", msg("breach.recovered_short", "en", received=f"{money.received:.2f}",
                                   owed=f"{money.owed:.2f}"))
        if state == "recovery_due" and money.owed and money.received >= money.owed:
            breach("recovery", msg("breach.all_back", "en", owed=f"{money.owed:.2f}"))


def _totals(conn: Connection) -> dict[tuple[str, date], DayTotal]:
    rows = conn.execute(
        select(CLAIM.c.policy, PAYMENT.c.business_date, PAYMENT.c.kind, PAYMENT.c.status,
               func.count(), func.sum(PAYMENT.c.amount))
        .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
        .group_by(CLAIM.c.policy, PAYMENT.c.business_date, PAYMENT.c.kind, PAYMENT.c.status))
    totals: dict[tuple[str, date], DayTotal] = {}
    for policy, day, kind, status, count, summed in rows:
        total = totals.setdefault((policy, day), DayTotal())
        amount = summed or ZERO
        total.payments += count
        if kind in ("advance", "final") and status in LIVE:
            if kind == "advance":
                total.advance += amount
            else:
                total.final += amount
        elif kind in ("advance", "final"):
            total.failed += amount
        elif status in OWED:
            total.recovery_owed += amount
        elif status == RETURNED:
            total.recovery_received += amount
    return dict(sorted(totals.items()))
