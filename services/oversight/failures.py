"""The set-aside list (`claims failed`) and running a claim's step again (`claims retry`).

A claim is set aside when a step could not finish it: a parameter the seed leaves open has no
local value, a draft policy is not confirmed in force, or a payment was refused (its claim is
then also in payment_failed). The nightly run takes every set-aside claim again; `claims retry`
does it at once for one claim or all of them, as an administrator, and sends a payment refused
today again as the next attempt. Retrying a claim that is no longer set aside does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, or_, select

from models.tables import CLAIM
from services.access.actors import Actor
from services.access.roles import check_role
from services.lookup import one_claim
from services.nightly.base import Run
from services.nightly.runner import MODULES, run_step
from services.nightly.steps import STEP_ORDER, StepResult
from states.lifecycle import sources


@dataclass(frozen=True)
class Failure:
    claim_pk: int
    claim_id: str
    policy: str
    state: str
    step: str
    reason: str
    since: date | None

    def as_json(self) -> dict[str, Any]:
        from services.error_codes import error_code, error_message

        code = error_code(self.reason)
        return {"claim_id": self.claim_id, "policy": self.policy, "state": self.state, "step": self.step,
                "reason": self.reason, "error_code": code, "message": error_message(code, self.reason),
                "since": self.since.isoformat() if self.since else None}


def _failure(row: Any) -> Failure:
    step = row.set_aside_step or "pay_due"
    reason = row.set_aside_reason or "payment refused"
    return Failure(row.id, row.claim_id, row.policy, row.state, step, reason, row.state_on)


def _failed_clause() -> Any:
    return or_(CLAIM.c.set_aside_step.isnot(None), CLAIM.c.state.in_(sources("retry_payment")))


def list_failures(engine: Engine, *, policy: str | None = None) -> list[Failure]:
    query = select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.state, CLAIM.c.state_on,
                   CLAIM.c.set_aside_step, CLAIM.c.set_aside_reason).where(_failed_clause())
    if policy:
        query = query.where(CLAIM.c.policy == policy)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(CLAIM.c.policy, CLAIM.c.claim_id)).all()
    return [_failure(r) for r in rows]


@dataclass
class RetryReport:
    chosen: list[Failure] = field(default_factory=list)
    steps: dict[str, StepResult] = field(default_factory=dict)
    still_failed: list[Failure] = field(default_factory=list)
    note: str = ""


def retry(engine: Engine, *, actor: Actor, on: date, claim_id: str | None = None,
          policy: str | None = None, run_id: str | None = None, size: int | None = None) -> RetryReport:
    """Run each chosen claim's step again (all set-aside claims when `claim_id` is None)."""
    check_role(actor)
    report = RetryReport()
    if claim_id is not None:
        with engine.connect() as conn:
            claim = one_claim(conn, claim_id, policy)
        if claim.set_aside_step is None and claim.state not in sources("retry_payment"):
            report.note = f"claim {claim.claim_id} is '{claim.state}' and not set aside: nothing to retry"
            return report
        report.chosen = [_failure(claim)]
    else:
        report.chosen = list_failures(engine, policy=policy)
    by_step: dict[str, set[int]] = {}
    for failure in report.chosen:
        by_step.setdefault(failure.step, set()).add(failure.claim_pk)
    for step in STEP_ORDER:
        if step in by_step and step in MODULES:
            run = Run(on, run_id or f"retry-{on.isoformat()}", actor, frozenset(by_step[step]), force=True)
            report.steps[step] = run_step(engine, step, on, size=size, run=run)
    chosen = {f.claim_pk for f in report.chosen}
    report.still_failed = [f for f in list_failures(engine, policy=policy) if f.claim_pk in chosen]
    return report
