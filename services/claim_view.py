"""One claim as staff see it (`claims show`): state, money, payments, history. Masked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from intake.privacy import mask_account, mask_id, mask_name
from models.tables import EVENT, OBJECTION, PAYMENT
from rules.advance import advance_problem
from services.error_codes import error_code, error_message
from services.lookup import one_claim
from states.lifecycle import STATE_ZH


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def claim_view(engine: Engine, claim_id: str, policy: str | None = None) -> dict[str, Any]:
    with engine.connect() as conn:
        claim = one_claim(conn, claim_id, policy)
        payments = conn.execute(
            select(PAYMENT).where(PAYMENT.c.claim_pk == claim.id).order_by(PAYMENT.c.id)).all()
        events = conn.execute(
            select(EVENT).where(EVENT.c.claim_pk == claim.id).order_by(EVENT.c.seq)).all()
        objections = conn.execute(
            select(OBJECTION).where(OBJECTION.c.claim_pk == claim.id).order_by(OBJECTION.c.id)).all()
    return {
        "claim_id": claim.claim_id,
        "policy": claim.policy,
        "kind": claim.kind,
        "state": claim.state,
        "state_zh": STATE_ZH.get(claim.state, claim.state),
        "amount": _money(claim.amount),
        "advance_amount": _money(claim.advance_amount),
        "advance_paid": _money(claim.advance_paid),
        "final_paid": _money(claim.final_paid),
        "recovery_owed": _money(claim.recovery_owed),
        "recovered": _money(claim.recovered),
        "reasons": [r for r in claim.reasons.split(";") if r],
        "citations": json.loads(claim.citations) if claim.citations.startswith("[") else
        [c for c in claim.citations.split(";") if c],
        "draft": claim.draft,
        "person_id": mask_id(claim.person_id),
        "person_name": mask_name(claim.person_name),
        "payee_type": claim.payee_type,
        "payee_id": mask_id(claim.payee_id),
        "bank_account": mask_account(claim.bank_account),
        "occupation": claim.occupation,
        "level": claim.level,
        "certificate_date": claim.certificate_date.isoformat() if claim.certificate_date else None,
        "filed_on": claim.filed_on.isoformat(),
        "inspection_result": claim.inspection_result,
        "completion_result": claim.completion_result,
        "posting_closes_on": claim.posting_closes_on.isoformat() if claim.posting_closes_on else None,
        "advance_problem": _advance_problem(claim),
        "set_aside": (
            {"step": claim.set_aside_step, "reason": claim.set_aside_reason,
             "error_code": error_code(claim.set_aside_reason),
             "message": error_message(error_code(claim.set_aside_reason), claim.set_aside_reason)}
            if claim.set_aside_step else None
        ),
        "payments": [
            {
                "kind": p.kind,
                "amount": _money(p.amount),
                "status": p.status,
                "attempt": p.attempt,
                "idempotency_key": p.idempotency_key,
                "reference": p.reference,
                "business_date": p.business_date.isoformat(),
            }
            for p in payments
        ],
        "objections": [
            {"raised_on": o.raised_on.isoformat(), "reason": o.reason, "status": o.status,
             "reviewer": o.reviewer, "review_reason": o.review_reason}
            for o in objections
        ],
        "history": [
            {
                "from": e.from_state,
                "to": e.to_state,
                "trigger": e.trigger,
                "at": e.at.isoformat(),
                "on": e.on.isoformat(),
                "actor": e.actor,
                "role": e.role,
                "reason": e.reason,
            }
            for e in events
        ],
    }




def _advance_problem(claim: Any) -> str | None:
    """Why the advance this claim asks for cannot be paid (rules/advance.py), else None."""
    if not claim.advance_requested or claim.advance_paid:
        return None
    groups = [g for g in (claim.groups or "").split(";") if g]
    return advance_problem(claim.policy, claim.kind, claim.payee_type, groups, claim.class_id)
