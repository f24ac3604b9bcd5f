"""Reason codes a Decision can carry: GLOSSARY's, plus two the rules module adds."""

from __future__ import annotations

REASONS: dict[str, str] = {
    "annual_limit": "每人每年可享受不超过3次 — the person's yearly certificate-based subsidies are used up",
    "duplicate_occupation_level": "同一职业同一等级不可重复享受 — already granted for this occupation and level",
    "outside_policy_period": "the claim's date is outside the policy's validity",
    "ineligible_group": "the person is not in a group the subsidy is for",
    "not_combinable": "two subsidies the seed forbids together",
    "term_limit": "apprenticeship beyond its term, or months beyond the cap",
    "duplicate_certificate": "the certificate number was already used",
    "institution_not_listed": "the training body is not on the deployment's catalogue list",
    "missing_parameter": "a number the seed leaves open has no local value",
    "policy_not_in_force": "the policy is a draft not confirmed in force",
    # Added by the rules module (not in GLOSSARY's first table):
    "not_covered": "the seed gives no subsidy for this claim kind or certificate level",
    "not_insured": "the subsidy is for insured trainees (参保职工, 参加失业保险): the claim's insured "
    "months are fewer than the seed states, or it neither gives them nor names the unemployment_insured group",
    "capped": "核减 — months beyond the term or what earlier grants left, days beyond the class, or an "
    "actual allowance beyond its ceiling were cut; the rest is paid (a note on an eligible decision, never a refusal)",
    "missing_facts": "the claim lacks a fact its rule needs (e.g. a student apprentice's actual "
    "allowance, a per-day claim's class dates): it waits for the fact (claims amend), never paid without it",
    "condition_not_met": "a fact the rule depends on is not met (job within 6 months, in-province, "
    "employment or tenure length)",
}
