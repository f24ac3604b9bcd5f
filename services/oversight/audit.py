"""The tamper-evident event log: per-claim hash chains plus anchors over their heads and payments.

Each event carries the previous event's hash and its own (services/nightly/moves.py). Events of
format 2 (claim_event.version, from migration 80 on) also hash the claim's money after the move
(`moves.MONEY_FIELDS`, kept in claim_event.money); format 1 events are verified as format 1. Each
payment row carries the hash of what it pays, to whom, under which key (`moves.payment_hash`). A
claim's last hash is its chain head (claim.event_head). After each command and night an anchor row
digests the heads written since the previous anchor and (format 2 anchors) the payment rows written
since, chained anchor to anchor and copied to the outside log, so rewriting a claim's whole chain,
or deleting or adding a payment row, still breaks the anchor. `verify` streams the log once, in
claim order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select

from intake.messages import msg
from models.audit_hash import money_value, payment_hash
from models.tables import ANCHOR, BATCH_ORDER, CLAIM, EVENT, PAYMENT
from services.nightly.moves import (
    EVENT_ONLY_MONEY,
    MONEY_FIELDS,
    event_hash,
    event_hash_v2,
    parse_money,
)
from services.oversight import outside_log
from services.settings import chunk_size


@dataclass
class AuditReport:
    claims: int = 0
    events: int = 0
    payments: int = 0
    anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _digest(prev_digest: str, heads: Iterable[tuple[int, str]],
            payments: Iterable[tuple[int, str]] | None = None) -> tuple[str, int]:
    """sha256 over the previous anchor and the heads in claim order, streamed, then (format 2
    anchors) the payment rows' ids and hashes in id order; and the heads' count."""
    digest = hashlib.sha256(prev_digest.encode())
    count = 0
    for pk, head in heads:
        digest.update(f"|{pk}:{head}".encode())
        count += 1
    if payments is not None:
        digest.update(b"#payments")
        for payment_id, hashed in payments:
            digest.update(f"|{payment_id}:{hashed or ''}".encode())
    return digest.hexdigest(), count


def _payments_between(conn: Any, first_id: int, last_id: int) -> Iterator[tuple[int, str]]:
    rows = conn.execute(
        select(PAYMENT.c.id, PAYMENT.c.hash).where(PAYMENT.c.id > first_id, PAYMENT.c.id <= last_id)
        .order_by(PAYMENT.c.id), execution_options={"stream_results": True, "yield_per": 10_000})
    for row in rows:
        yield row.id, row.hash


def _heads_between(conn: Any, first_id: int, last_id: int) -> Iterator[tuple[int, str]]:
    """The newest event hash of each claim among events with id in (first_id, last_id], in
    claim order, streamed."""
    newest = (select(EVENT.c.claim_pk, func.max(EVENT.c.id).label("id"))
              .where(EVENT.c.id > first_id, EVENT.c.id <= last_id)
              .group_by(EVENT.c.claim_pk).subquery())
    rows = conn.execute(
        select(EVENT.c.claim_pk, EVENT.c.hash).join(newest, EVENT.c.id == newest.c.id)
        .order_by(EVENT.c.claim_pk),
        execution_options={"stream_results": True, "yield_per": 10_000})
    for row in rows:
        yield row.claim_pk, row.hash


def write_anchor(engine: Engine, on: date, run_id: str | None = None) -> int | None:
    """Anchor the heads written since the last anchor; None when nothing changed."""
    with engine.begin() as conn:
        last = conn.execute(select(ANCHOR).order_by(ANCHOR.c.id.desc()).limit(1)).first()
        first_id = last.last_event_id if last else 0
        last_id = conn.execute(select(func.max(EVENT.c.id))).scalar() or 0
        first_pay = last.last_payment_id if last is not None and last.last_payment_id is not None else 0
        last_pay = max(conn.execute(select(func.max(PAYMENT.c.id))).scalar() or 0, first_pay)
        if last_id <= first_id and last_pay <= first_pay:
            return None
        prev = last.digest if last else ""
        digest, heads = _digest(prev, _heads_between(conn, first_id, last_id),
                                _payments_between(conn, first_pay, last_pay))
        result = conn.execute(insert(ANCHOR).values(
            on=on, run_id=run_id, first_event_id=first_id, last_event_id=max(last_id, first_id),
            heads=heads, digest=digest, prev_digest=prev, first_payment_id=first_pay, last_payment_id=last_pay))
        key = result.inserted_primary_key
        anchor_id = int(key[0]) if key else None
    if anchor_id is not None:  # committed: now outside the database too (CLAIMS_AUDIT_LOG)
        with engine.connect() as conn:
            row = conn.execute(select(ANCHOR).where(ANCHOR.c.id == anchor_id)).one()
        outside_log.append(outside_log.anchor_record(row))
    return anchor_id


def _claim_events(conn: Any) -> Iterator[tuple[Any, list[Any]]]:
    claims = conn.execution_options(stream_results=True, yield_per=chunk_size()).execute(
        select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.state, CLAIM.c.event_seq,
               CLAIM.c.event_head, *(CLAIM.c[n] for n in MONEY_FIELDS)).order_by(CLAIM.c.id))
    events = conn.execution_options(stream_results=True, yield_per=chunk_size()).execute(
        select(EVENT).order_by(EVENT.c.claim_pk, EVENT.c.seq))
    pending = next(events, None)
    for claim in claims:
        chain = []
        while pending is not None and pending.claim_pk < claim.id:
            pending = next(events, None)  # events of a claim that no longer exists: reported below
        while pending is not None and pending.claim_pk == claim.id:
            chain.append(pending)
            pending = next(events, None)
        yield claim, chain


def _claim_payments(conn: Any) -> Iterator[tuple[int, list[Any]]]:
    """Each claim's payment rows, in claim order then id order (streamed)."""
    rows = conn.execution_options(stream_results=True, yield_per=chunk_size()).execute(
        select(PAYMENT, BATCH_ORDER.c.batch_id.label("sealed_in"))
        .select_from(PAYMENT.outerjoin(BATCH_ORDER, BATCH_ORDER.c.payment_id == PAYMENT.c.id))
        .order_by(PAYMENT.c.claim_pk, PAYMENT.c.id))
    pk: int | None = None
    batch: list[Any] = []
    for row in rows:
        if row.claim_pk != pk:
            if pk is not None:
                yield pk, batch
            pk, batch = row.claim_pk, []
        batch.append(row)
    if pk is not None:
        yield pk, batch


def verify(engine: Engine) -> AuditReport:
    report = AuditReport()
    with engine.connect() as chain_conn, engine.connect() as pay_conn, engine.connect() as conn:
        payments = _claim_payments(pay_conn)
        pending = next(payments, None)
        for claim, chain in _claim_events(chain_conn):
            report.claims += 1
            report.events += len(chain)
            _verify_chain(claim, chain, report)
            while pending is not None and pending[0] < claim.id:
                pending = next(payments, None)
            rows = pending[1] if pending is not None and pending[0] == claim.id else []
            report.payments += len(rows)
            _verify_payments(claim, rows, report)
        orphans = conn.execute(select(func.count()).select_from(EVENT).where(
            EVENT.c.claim_pk.not_in(select(CLAIM.c.id)))).scalar() or 0
        if orphans:
            report.problems.append(msg("audit.orphans", "en", events=orphans))
        prev = ""
        anchors = conn.execute(select(ANCHOR).order_by(ANCHOR.c.id)).all()
        report.problems.extend(outside_log.compare([outside_log.anchor_record(a) for a in anchors],
                                                   outside_log.read()))
        for anchor in anchors:
            report.anchors += 1
            paid = (None if anchor.last_payment_id is None else
                    _payments_between(conn, anchor.first_payment_id or 0, anchor.last_payment_id))
            digest, _ = _digest(prev, _heads_between(conn, anchor.first_event_id, anchor.last_event_id), paid)
            if anchor.prev_digest != prev or anchor.digest != digest:
                ids = {"anchor": anchor.id, "on": anchor.on, "first": anchor.first_event_id + 1,
                       "last": anchor.last_event_id}
                report.problems.append(
                    msg("audit.anchor_events", "en", **ids) if anchor.last_payment_id is None else
                    msg("audit.anchor_both", "en", **ids, pay_first=(anchor.first_payment_id or 0) + 1,
                        pay_last=anchor.last_payment_id))
            prev = anchor.digest
    return report


def _verify_chain(claim: Any, chain: list[Any], report: AuditReport) -> None:
    name = {"claim_id": claim.claim_id, "policy": claim.policy}
    prev_hash = ""
    prev_state: str | None = None
    for expected_seq, event in enumerate(chain, start=1):
        where = {**name, "seq": event.seq, "event": event.id}
        if event.seq != expected_seq:
            report.problems.append(msg("audit.seq_gap", "en", **where, expected=expected_seq))
            return
        if event.prev_hash != prev_hash:
            report.problems.append(msg("audit.not_following", "en", **where))
            return
        fields = (event.prev_hash, event.claim_pk, event.seq, event.from_state, event.to_state,
                  event.trigger, event.actor, event.role, event.on, event.run_id, event.reason)
        if event.version == 2:
            recomputed = event_hash_v2(*fields, event.money or "")
        elif event.version == 1:
            recomputed = event_hash(*fields)
        else:
            report.problems.append(msg("audit.unknown_hash", "en", **where, version=event.version))
            return
        if recomputed != event.hash:
            report.problems.append(msg("audit.event_changed", "en", **where))
            return
        if prev_state is not None and event.from_state != prev_state:
            report.problems.append(msg("audit.from_state", "en", **where, from_state=event.from_state,
                                          prev_state=prev_state))
            return
        prev_hash, prev_state = event.hash, event.to_state
    if len(chain) != claim.event_seq or prev_hash != claim.event_head:
        report.problems.append(msg("audit.log_ends", "en", **name, length=len(chain), seq=claim.event_seq))
    elif chain and prev_state != claim.state:
        report.problems.append(msg("audit.state_differs", "en", **name, state=claim.state, last=prev_state))
    elif chain and chain[-1].version == 2:
        recorded = parse_money(chain[-1].money or "")
        changed = [msg("audit.money_field", "en", field=field, value=money_value(claim._mapping[field]) or "empty",
                       seq=chain[-1].seq, recorded=recorded.get(field) or "empty")
                   for field in EVENT_ONLY_MONEY if money_value(claim._mapping[field]) != recorded.get(field)]
        if changed:
            report.problems.append(msg("audit.money_changed", "en", **name, diff="; ".join(changed)))


PAID_BY_KIND = {"advance": "advance_paid", "final": "final_paid"}
"""The claim column each payment kind adds up to (rows not failed)."""


def _none(value: int | None) -> str:
    return "none" if value is None else str(value)


def _verify_payments(claim: Any, rows: list[Any], report: AuditReport) -> None:
    name = {"claim_id": claim.claim_id, "policy": claim.policy}
    totals: dict[str, Decimal] = {}
    for row in rows:
        if row.hash is None or payment_hash(row._mapping) != row.hash:
            what = "audit.payment_no_hash" if row.hash is None else "audit.payment_changed"
            report.problems.append(msg(what, "en", **name, payment=row.id, kind=row.kind, attempt=row.attempt,
                                       amount=f"{row.amount:.2f}", payee_type=row.payee_type, payee=row.payee_id))
        if row.batch_id != row.sealed_in:  # the outbox finds unsent orders by this mark (migration 99)
            report.problems.append(msg("audit.payment_batch", "en", **name, payment=row.id, kind=row.kind,
                                       attempt=row.attempt, noted=_none(row.batch_id), sealed=_none(row.sealed_in)))
        if row.kind in PAID_BY_KIND and row.status != "failed":
            totals[row.kind] = totals.get(row.kind, Decimal("0")) + row.amount
    for kind, column in PAID_BY_KIND.items():
        paid = claim._mapping[column] or Decimal("0")
        rowed = totals.get(kind, Decimal("0"))
        if paid != rowed:
            report.problems.append(msg("audit.paid_mismatch", "en", **name, column=column, paid=f"{paid:.2f}",
                                       kind=kind, rowed=f"{rowed:.2f}"))
