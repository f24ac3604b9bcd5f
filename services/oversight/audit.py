"""The tamper-evident event log: per-claim hash chains plus nightly anchors over their heads.

Each event carries the previous event's hash and its own (services/nightly/moves.py). A claim's last
hash is its chain head (claim.event_head). After each night an anchor row digests the heads
written since the previous anchor, chained anchor to anchor, so rewriting a claim's whole
chain still breaks the anchor. `verify` streams the log once, in claim order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, insert, select

from models.tables import ANCHOR, CLAIM, EVENT
from services.nightly.moves import event_hash
from services.oversight import outside_log
from services.settings import chunk_size


@dataclass
class AuditReport:
    claims: int = 0
    events: int = 0
    anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _digest(prev_digest: str, heads: Iterable[tuple[int, str]]) -> tuple[str, int]:
    """sha256 over the previous anchor and the heads in claim order, streamed; and their count."""
    digest = hashlib.sha256(prev_digest.encode())
    count = 0
    for pk, head in heads:
        digest.update(f"|{pk}:{head}".encode())
        count += 1
    return digest.hexdigest(), count


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
        if last_id <= first_id:
            return None
        prev = last.digest if last else ""
        digest, heads = _digest(prev, _heads_between(conn, first_id, last_id))
        result = conn.execute(insert(ANCHOR).values(
            on=on, run_id=run_id, first_event_id=first_id, last_event_id=last_id,
            heads=heads, digest=digest, prev_digest=prev))
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
               CLAIM.c.event_head).order_by(CLAIM.c.id))
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


def verify(engine: Engine) -> AuditReport:
    report = AuditReport()
    with engine.connect() as chain_conn, engine.connect() as conn:
        for claim, chain in _claim_events(chain_conn):
            report.claims += 1
            report.events += len(chain)
            _verify_chain(claim, chain, report)
        orphans = conn.execute(select(func.count()).select_from(EVENT).where(
            EVENT.c.claim_pk.not_in(select(CLAIM.c.id)))).scalar() or 0
        if orphans:
            report.problems.append(f"{orphans} events belong to no claim")
        prev = ""
        anchors = conn.execute(select(ANCHOR).order_by(ANCHOR.c.id)).all()
        report.problems.extend(outside_log.compare([outside_log.anchor_record(a) for a in anchors],
                                                   outside_log.read()))
        for anchor in anchors:
            report.anchors += 1
            digest, _ = _digest(prev, _heads_between(conn, anchor.first_event_id, anchor.last_event_id))
            if anchor.prev_digest != prev or anchor.digest != digest:
                report.problems.append(
                    f"anchor {anchor.id} of {anchor.on}: the events it covers (ids "
                    f"{anchor.first_event_id + 1}..{anchor.last_event_id}) were changed, added or removed")
            prev = anchor.digest
    return report


def _verify_chain(claim: Any, chain: list[Any], report: AuditReport) -> None:
    name = f"claim {claim.claim_id} ({claim.policy})"
    prev_hash = ""
    prev_state: str | None = None
    for expected_seq, event in enumerate(chain, start=1):
        where = f"{name} event #{event.seq} (id {event.id})"
        if event.seq != expected_seq:
            report.problems.append(f"{where}: expected #{expected_seq}: an event was deleted or inserted")
            return
        if event.prev_hash != prev_hash:
            report.problems.append(f"{where}: does not follow the previous event (inserted or reordered)")
            return
        recomputed = event_hash(event.prev_hash, event.claim_pk, event.seq, event.from_state,
                                event.to_state, event.trigger, event.actor, event.role, event.on,
                                event.run_id, event.reason)
        if recomputed != event.hash:
            report.problems.append(f"{where}: its content was changed after it was written")
            return
        if prev_state is not None and event.from_state != prev_state:
            report.problems.append(f"{where}: starts in '{event.from_state}' but the claim was '{prev_state}'")
            return
        prev_hash, prev_state = event.hash, event.to_state
    if len(chain) != claim.event_seq or prev_hash != claim.event_head:
        report.problems.append(f"{name}: the log ends at #{len(chain)} but the claim says #{claim.event_seq}: "
                               "events were deleted or the claim was changed without an event")
    elif chain and prev_state != claim.state:
        report.problems.append(f"{name}: state '{claim.state}' differs from its last event ('{prev_state}')")
