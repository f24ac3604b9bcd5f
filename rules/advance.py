"""Why an advance request (预支/先行拨付) cannot be paid: a pure function of the claim's facts
and its policy pack, asked at import (a warning) and by the night's advance step (the reason a
claim is set aside), so that no request is silently never paid (issue 20).
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.packs import load_pack

ORGANISATION_PAYEES = ("enterprise", "institution")

NO_CLASS_FILING = "advance_not_payable: no class filing number (class_id 开班备案号)"
NOT_AN_ORGANISATION = "advance_not_payable: advances go to an enterprise or institution only"
POLICY_ALLOWS_NONE = "advance_not_allowed: the policy provides no advance"
NOT_FOR_THIS_CLAIM = "advance_not_allowed: the policy's advance does not cover this"


def advance_problem(policy: str, kind: str, payee_type: str, groups: Sequence[str],
                    class_id: str | None) -> str | None:
    """The reason (a stable code, then the words) an advance asked for cannot be paid, or None
    when the policy pays one for this claim once the night evaluates it."""
    advance = load_pack(policy).spec.advance
    if advance.rate is None:
        return f"{POLICY_ALLOWS_NONE} ({advance.source})"
    if payee_type not in ORGANISATION_PAYEES:
        return NOT_AN_ORGANISATION
    if kind not in advance.kinds:
        return f"{NOT_FOR_THIS_CLAIM}: kind {kind} ({advance.source})"
    if payee_type not in advance.payee_types:
        return f"{NOT_FOR_THIS_CLAIM}: payee_type {payee_type} ({advance.source})"
    if advance.groups_any and not any(g in advance.groups_any for g in groups):
        return (f"{NOT_FOR_THIS_CLAIM}: only for groups {', '.join(advance.groups_any)} "
                f"({advance.source})")
    if not class_id:
        return NO_CLASS_FILING
    return None


def unpaid_reason(policy: str, kind: str, payee_type: str, groups: Sequence[str],
                  class_id: str | None, reasons: Sequence[str]) -> str:
    """Why an evaluated claim gets no advance: `advance_problem`'s reason, else the rules'
    reason codes (not eligible), else that the policy's advance comes to nothing here."""
    problem = advance_problem(policy, kind, payee_type, groups, class_id)
    if problem:
        return problem
    if reasons:
        return f"advance_not_allowed: not eligible ({', '.join(reasons)})"
    return f"{NOT_FOR_THIS_CLAIM}: no advance amount"


def claim_problem(payee_type: str, class_id: str | None) -> str | None:
    """The claim's own facts that stop any advance before the rules are asked."""
    if payee_type not in ORGANISATION_PAYEES:
        return NOT_AN_ORGANISATION
    if not class_id:
        return NO_CLASS_FILING
    return None


def is_final(problem: str) -> bool:
    """A problem the claim's own facts cannot mend by an amendment adding a class filing."""
    return not problem.startswith(NO_CLASS_FILING)
