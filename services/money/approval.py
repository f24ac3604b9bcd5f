"""Payment approval: where a policy requires it (a product setting), the night pays a policy's
approved claims only after a named approver released that day's batch with `claims approve`.
The approver may not have inspected or reviewed any claim in the batch (services/access/roles.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine, insert, select

from models.tables import CLAIM, RELEASE
from services.access.actors import Actor
from services.access.roles import check_may_approve
from services.settings import load_settings
from states.lifecycle import sources

DUE_STATES = sources("pay", "retry_payment")


class ApprovalError(ValueError):
    pass


@dataclass
class Release:
    policy: str
    claims: int
    amount: Decimal
    new: bool


@dataclass
class ApprovalReport:
    releases: list[Release] = field(default_factory=list)


def released_policies(conn: Connection, on: date) -> set[str]:
    return set(conn.execute(select(RELEASE.c.policy).where(RELEASE.c.business_date == on)).scalars())


def approve_batch(engine: Engine, *, on: date, actor: Actor, policy: str | None = None) -> ApprovalReport:
    """Release the batch of `on` for `policy` (or every policy that needs approval)."""
    settings = load_settings()
    report = ApprovalReport()
    with engine.begin() as conn:
        due = select(CLAIM.c.policy, CLAIM.c.id, CLAIM.c.amount, CLAIM.c.advance_paid, CLAIM.c.final_paid).where(
            CLAIM.c.state.in_(DUE_STATES))
        if policy:
            due = due.where(CLAIM.c.policy == policy)
        rows = conn.execute(due).all()
        policies = sorted({r.policy for r in rows if settings.needs_payment_approval(r.policy)})
        if policy and not settings.needs_payment_approval(policy):
            raise ApprovalError(f"{policy} does not require payment approval (setting payment.approval)")
        if not policies:
            raise ApprovalError(f"no claims are waiting for payment approval on {on}")
        already = released_policies(conn, on)
        for name in policies:
            mine = [r for r in rows if r.policy == name]
            check_may_approve(conn, actor, [r.id for r in mine])
            amount = sum((max(r.amount - r.advance_paid - r.final_paid, Decimal("0")) for r in mine), Decimal("0"))
            if name not in already:
                conn.execute(insert(RELEASE).values(policy=name, business_date=on, approver=actor.name,
                                                    claims=len(mine), amount=amount, at=datetime.now(UTC)))
            report.releases.append(Release(name, len(mine), amount, name not in already))
    return report
