"""Objections during the posting window (公示期异议) and their review.

`raise_objection` moves a posted claim to `objected` (a second objection on an objected claim is
recorded without a move); it waits there — the nightly close skips it — until `review_objection`:
upheld → rejected, or recovery_due with a recovery row for the advance (objection_upheld);
dismissed → back on the notice, closed by the next night once its window has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, insert, select, update

from intake.validate import text_problem
from models.tables import CLAIM, OBJECTION
from services.access.actors import Actor
from services.access.roles import check_may_review, check_role
from services.lookup import one_claim
from services.money.payments import PAYMENT
from services.money.recovery import recovery_rows
from services.nightly.moves import LAST_EVENT, LAST_EVENT_COLUMNS, now_of, plan_move, write_moves
from states.lifecycle import IllegalTransition

UPHELD = "objection_upheld"
CLAIM_AND_HEAD = [CLAIM, *LAST_EVENT_COLUMNS]
"""the claim read with its last event (from LAST_EVENT), so its move chains from this read (`now_of`) without another"""


class ObjectionError(ValueError):
    """An objection or review that cannot be taken, with the reason."""


@dataclass(frozen=True)
class Outcome:
    claim_id: str
    policy: str
    state: str
    recovery: Decimal = Decimal("0")


def raise_objection(engine: Engine, claim_id: str, *, reason: str, actor: Actor, on: date,
                    policy: str | None = None) -> Outcome:
    if not reason.strip():
        raise ObjectionError("an objection needs its reason (--reason TEXT)")
    if problem := text_problem("reason", reason, free=True):
        raise ObjectionError(problem)
    check_role(actor)
    with engine.begin() as conn:
        claim = one_claim(conn, claim_id, policy, columns=CLAIM_AND_HEAD, source=LAST_EVENT)
        if claim.state == "publicly_posted":
            if claim.posting_closes_on is not None and on > claim.posting_closes_on:
                raise ObjectionError(f"claim {claim_id}'s posting window ended on {claim.posting_closes_on}; "
                                     f"an objection on {on} is too late")
            if claim.state_on is not None and on < claim.state_on:
                raise ObjectionError(f"claim {claim_id} was posted on {claim.state_on}, after {on}")
            move = plan_move(claim, "object", reason=f"objection: {reason}")
            write_moves(conn, [move], actor=actor, on=on, known={claim.id: now_of(claim)})
        elif claim.state != "objected":
            raise IllegalTransition(claim_id, claim.state, "object",
                                    "objections are taken while the claim is on the posting notice")
        conn.execute(insert(OBJECTION).values(claim_pk=claim.id, raised_on=on, reason=reason,
                                              actor=actor.name, status="open"))
        return Outcome(claim.claim_id, claim.policy, "objected")


def review_objection(engine: Engine, claim_id: str, *, uphold: bool, reason: str, actor: Actor,
                     on: date, policy: str | None = None) -> Outcome:
    if not reason.strip():
        raise ObjectionError("a review needs its reason (--reason TEXT)")
    if problem := text_problem("reason", reason, free=True):
        raise ObjectionError(problem)
    with engine.begin() as conn:
        claim = one_claim(conn, claim_id, policy, columns=CLAIM_AND_HEAD, source=LAST_EVENT)
        check_may_review(conn, actor, claim.id, claim.claim_id)
        open_ids = conn.execute(select(OBJECTION.c.id).where(
            OBJECTION.c.claim_pk == claim.id, OBJECTION.c.status == "open")).scalars().all()
        if claim.state != "objected" or not open_ids:
            raise ObjectionError(f"claim {claim_id} has no objection waiting for review (state {claim.state})")
        owed = Decimal(claim.advance_paid) if uphold else Decimal("0")
        if uphold:
            move = plan_move(claim, "uphold", reason=f"{UPHELD}: {reason}", reasons=UPHELD,
                             amount=Decimal("0"), recovery_owed=claim.recovery_owed + owed)
        else:
            move = plan_move(claim, "dismiss", reason=f"objection dismissed: {reason}")
        rows = recovery_rows(conn, [(claim, owed, f"{UPHELD}: advance paid back")], on)
        if rows:
            conn.execute(insert(PAYMENT), rows)
        write_moves(conn, [move], actor=actor, on=on, known={claim.id: now_of(claim)})
        conn.execute(update(OBJECTION).where(OBJECTION.c.id.in_(open_ids)).values(
            status="upheld" if uphold else "dismissed", reviewer=actor.name, reviewed_on=on,
            review_reason=reason))
        return Outcome(claim.claim_id, claim.policy, move.to_state, owed)
