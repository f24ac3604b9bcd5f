"""Signals set claims aside for a reviewer (复核), who clears or confirms them (issue 23).

- `scan` (once per night, before the assessment lists its work; and by `claims oversight scan`):
  computes the institution signals and records a `signal_hold` for every claim not yet assessed
  that a signal points at — one row per claim and signal, so a signal cleared once does not set the
  claim aside again. Bulk: one read of the rosters around the waiting claims (their bodies, those
  bodies' trainees elsewhere, the classes they sit in, their issuers' certificates:
  `rosters_around_waiting`, not the years of history), one of the existing holds, one INSERT.
- The assessment sets a claim with an open hold aside (`claims failed`, `claims show` say why); it
  does not move on, and no advance is paid on it, until the reviewer decides.
- `review`: as reviewer, `clear` records an event (clear_signal) and the claim moves on the next
  night; `confirm` rejects it (reason code `signal_confirmed`, the seed's supervision clause;
  recovery of any advance paid) in the same transaction as its event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Engine, insert, select, update

from intake.messages import msg
from intake.validate import text_problem
from models.oversight import SIGNAL_HOLD
from models.tables import CLAIM
from services.access.actors import Actor
from services.access.roles import check_role
from services.lookup import one_claim
from services.money.payments import PAYMENT
from services.money.recovery import recovery_rows
from services.nightly.moves import plan_move, write_moves
from services.oversight.fraud import SUPERVISION_CLAUSE
from services.oversight.signals import (
    HOLD_STATES,
    SIGNAL_ZH,
    Parameters,
    Signal,
    read_rosters,
    rosters_around_waiting,
    signals,
)
from services.settings import Settings

CONFIRMED = "signal_confirmed"
HOLD_PREFIX = "oversight_signal"


REVIEW_REASON_LIMIT = 400
"""signal_hold.review_reason's length"""


class HoldError(ValueError):
    """A review that cannot be taken, with the reason."""


@dataclass(frozen=True)
class ScanResult:
    signals: list[Signal]
    """the signals of the waiting claims' bodies (the full list: `claims report oversight`)"""
    held: int
    """claims newly set aside tonight"""
    missing: tuple[str, ...]
    """signals not computed: their settings are not given"""


def scan(conn: Connection, as_of: date, settings: Settings, *, full_read: bool = False) -> ScanResult:
    """`full_read`: compute over every claim (`read_rosters`) as before the restricted read — the
    same holds (tests/integration/services/test_signal_read.py), for comparison only."""
    params = Parameters.of(settings)
    if full_read:
        seats = read_rosters(conn)
        found = signals(seats, params)
    else:
        around = rosters_around_waiting(conn)
        seats = around.seats
        found = around.exact(signals(seats, params))
    waiting = {s.claim_pk for s in seats if s.state in HOLD_STATES}
    wanted: dict[tuple[int, str], Signal] = {}
    for sig in found:
        for pk in sig.claims:
            if pk in waiting:
                wanted.setdefault((pk, sig.signal), sig)
    existing: set[tuple[int, str]] = set()
    pks = sorted({pk for pk, _ in wanted})
    for start in range(0, len(pks), 1000):
        existing.update((pk, s) for pk, s in conn.execute(
            select(SIGNAL_HOLD.c.claim_pk, SIGNAL_HOLD.c.signal)
            .where(SIGNAL_HOLD.c.claim_pk.in_(pks[start:start + 1000]))))
    rows = [{"claim_pk": pk, "signal": name, "body": sig.organizer, "score": str(sig.score),
             "detail": sig.example[:400], "raised_on": as_of, "status": "open"}
            for (pk, name), sig in sorted(wanted.items()) if (pk, name) not in existing]
    if rows:
        conn.execute(insert(SIGNAL_HOLD), rows)
    return ScanResult(found, len({r["claim_pk"] for r in rows}), params.missing)


def open_holds(conn: Connection, claim_pks: Iterable[int]) -> dict[int, list[tuple[str, str, str, str]]]:
    """claim pk -> its open holds (signal, body, score, detail), for the claims given (bulk)."""
    pks = sorted(set(claim_pks))
    found: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for start in range(0, len(pks), 1000):
        for r in conn.execute(
                select(SIGNAL_HOLD.c.claim_pk, SIGNAL_HOLD.c.signal, SIGNAL_HOLD.c.body, SIGNAL_HOLD.c.score,
                       SIGNAL_HOLD.c.detail)
                .where(SIGNAL_HOLD.c.claim_pk.in_(pks[start:start + 1000]), SIGNAL_HOLD.c.status == "open")
                .order_by(SIGNAL_HOLD.c.claim_pk, SIGNAL_HOLD.c.signal)):
            found[r.claim_pk].append((r.signal, r.body, r.score, r.detail))
    return found


def hold_reason(holds: list[tuple[str, str, str, str]]) -> str:
    """What `claims failed` and `claims show` say about a claim a signal holds."""
    named = "; ".join(f"{signal} {SIGNAL_ZH.get(signal, signal)} ({body}, score {score}): {detail}"
                      for signal, body, score, detail in holds)
    return (f"{HOLD_PREFIX}: {named} — set aside for a reviewer "
            "(claims oversight clear|confirm CLAIM --reason TEXT --actor NAME)")


@dataclass(frozen=True)
class Outcome:
    claim_id: str
    policy: str
    state: str
    signals: tuple[str, ...]
    recovery: Decimal = Decimal("0")


def review(engine: Engine, claim_id: str, *, confirm: bool, reason: str, actor: Actor, on: date,
           policy: str | None = None) -> Outcome:
    """The reviewer's decision on every open signal of the claim, with its event."""
    if not reason.strip():
        raise HoldError("a review needs its reason (--reason TEXT)")
    if problem := text_problem("reason", reason, free=True):
        raise HoldError(problem)
    if len(reason) > REVIEW_REASON_LIMIT:  # kept whole on the hold, not cut
        raise HoldError(msg("row.too_long", "en", length=len(reason), limit=REVIEW_REASON_LIMIT))
    check_role(actor)
    with engine.begin() as conn:
        claim = one_claim(conn, claim_id, policy)
        holds = open_holds(conn, [claim.id]).get(claim.id, [])
        if not holds:
            raise HoldError(f"claim {claim_id} has no signal waiting for a reviewer")
        names = tuple(h[0] for h in holds)
        owed = Decimal("0")
        if confirm:
            owed = Decimal(claim.advance_paid)
            clause = SUPERVISION_CLAUSE.get(claim.policy)
            move = plan_move(claim, "reject", reason=f"{CONFIRMED}: {', '.join(names)} — {reason}"
                             + (f" ({clause})" if clause else ""),
                             reasons=CONFIRMED, amount=Decimal("0"), recovery_owed=claim.recovery_owed + owed,
                             set_aside_step=None, set_aside_reason=None)
            rows = recovery_rows(conn, [(claim, owed, f"{CONFIRMED}: advance paid back")], on) if owed else []
            if rows:
                conn.execute(insert(PAYMENT), rows)
        else:
            move = plan_move(claim, "clear_signal", reason=f"signal cleared: {', '.join(names)} — {reason}",
                             set_aside_step=None, set_aside_reason=None)
        write_moves(conn, [move], actor=actor, on=on)
        conn.execute(update(SIGNAL_HOLD).where(SIGNAL_HOLD.c.claim_pk == claim.id, SIGNAL_HOLD.c.status == "open")
                     .values(status="confirmed" if confirm else "cleared", reviewer=actor.name,
                             reviewed_on=on, review_reason=reason))
        return Outcome(claim.claim_id, claim.policy, move.to_state, names, owed)


def hold_rows(conn: Connection, status: str | None = "open") -> list[dict[str, str]]:
    """The holds (open by default) with their claims, for `claims oversight list` and the night."""
    query = (select(CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.state, SIGNAL_HOLD.c.signal, SIGNAL_HOLD.c.body,
                    SIGNAL_HOLD.c.score, SIGNAL_HOLD.c.detail, SIGNAL_HOLD.c.raised_on, SIGNAL_HOLD.c.status)
             .join(CLAIM, CLAIM.c.id == SIGNAL_HOLD.c.claim_pk)
             .order_by(SIGNAL_HOLD.c.signal, SIGNAL_HOLD.c.body, CLAIM.c.claim_id))
    if status:
        query = query.where(SIGNAL_HOLD.c.status == status)
    return [{"claim_id": r.claim_id, "policy": r.policy, "state": r.state, "signal": r.signal,
             "信号": SIGNAL_ZH.get(r.signal, r.signal), "body": r.body, "score": r.score, "detail": r.detail,
             "raised_on": r.raised_on.isoformat(), "status": r.status} for r in conn.execute(query)]


def waiting_count(engine: Engine) -> int:
    """Claims with an open signal hold."""
    from sqlalchemy import distinct, func

    with engine.connect() as conn:
        return int(conn.execute(select(func.count(distinct(SIGNAL_HOLD.c.claim_pk)))
                                .where(SIGNAL_HOLD.c.status == "open")).scalar_one())


def night_lines(engine: Engine, as_of: date, settings: Settings) -> list[str]:
    """The night's oversight section: the fund-budget warning and the signals holding claims."""
    from services.money.funds import unlimited_warning

    lines = ["## 监管 oversight", ""]
    if warning := unlimited_warning(settings):
        lines += [f"**warning:** {warning}", ""]
    with engine.connect() as conn:
        counts = conn.execute(
            select(SIGNAL_HOLD.c.signal, SIGNAL_HOLD.c.status, SIGNAL_HOLD.c.raised_on == as_of)
            .select_from(SIGNAL_HOLD)).all()
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for signal, status, today in counts:
        if status == "open":
            per[signal][0] += 1
            per[signal][1] += 1 if today else 0
    if not per:
        lines.append("No claim is set aside by an institution signal.")
    else:
        lines += ["| signal | 信号 | claims waiting for a reviewer | of which raised tonight |", "|---|---|---:|---:|"]
        lines += [f"| {s} | {SIGNAL_ZH.get(s, s)} | {n} | {t} |" for s, (n, t) in sorted(per.items())]
        lines += ["", "Review: `claims oversight list`, then `claims oversight clear|confirm CLAIM`."]
    missing = Parameters.of(settings).missing
    if missing:
        lines += ["", "Not computed (settings `oversight:` not given): " + ", ".join(missing)]
    return lines
