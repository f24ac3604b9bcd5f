"""A granted claim as the caps of later claims see it."""

from __future__ import annotations

from rules.decision import Decision, Grant
from rules.record import ClaimRecord


def grant_from(claim: ClaimRecord, decision: Decision) -> Grant:
    """The Grant an eligible decision adds to the person's history."""
    return Grant(
        claim_id=claim.claim_id,
        policy=claim.policy,
        kind=claim.kind,
        amount=decision.amount,
        subsidy_year=claim.subsidy_year or claim.business_date.year,
        occupation=claim.occupation,
        level=claim.level,
        certificate_no=claim.certificate_no,
        apprentice_year=claim.apprentice_year,
        apprentice_type=claim.apprentice_type,
        months=decision.months_paid if decision.months_paid is not None else claim.months,
        training_start=claim.training_start,
        training_end=claim.training_end,
        class_id=claim.class_id,
        groups=tuple(claim.groups),
    )
