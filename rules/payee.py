"""Who the seed says is paid for a claim (个人 / 企业 / 培训机构), with the clause that says so."""

from __future__ import annotations

from rules.packs import PolicyPack
from rules.record import ClaimRecord


def required_payee_type(claim: ClaimRecord, pack: PolicyPack) -> tuple[str, str] | None:
    """(payee_type, citation) where the seed names the payee for this claim; None where it
    is silent (then the file's `payee_type` stands)."""
    for rule in pack.spec.payees:
        if rule.kinds and claim.kind not in rule.kinds:
            continue
        if rule.groups and not any(g in rule.groups for g in claim.groups):
            continue
        if rule.enterprise_funded is not None and claim.enterprise_funded != rule.enterprise_funded:
            continue
        return rule.payee, rule.source
    return None


def payee_conflict(claim: ClaimRecord, pack: PolicyPack) -> str | None:
    """A plain-language error when the claim's payee_type contradicts the seed, else None."""
    required = required_payee_type(claim, pack)
    if required is None or required[0] == claim.payee_type:
        return None
    payee, source = required
    return (
        f"payee_type: the claim names {claim.payee_type!r} but {source} pays {payee!r} "
        f"for {claim.kind}" + (" (enterprise-funded)" if claim.enterprise_funded else "")
    )
