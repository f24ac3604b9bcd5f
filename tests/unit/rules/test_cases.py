"""Every data-driven case (tests/unit/rules/cases/*.yaml): input record -> expected decision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.engine import ClaimFactsError, evaluate
from rules.packs import load_pack
from tests.unit.rules.casefile import Case, all_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    pack = load_pack(case.policy)
    expect = case.expect
    if "missing_facts" in expect:  # a valid claim lacking a fact its rule needs: never paid, named
        with pytest.raises(ClaimFactsError) as lacking:
            evaluate(case.claim, case.history, pack, case.overrides)
        assert [lacking.value.field] == expect["missing_facts"] and lacking.value.reason == "missing_facts"
        assert case.clause.split(" ", 1)[1] in str(lacking.value), str(lacking.value)
        return
    decision = evaluate(case.claim, case.history, pack, case.overrides)
    assert decision.eligible is expect["eligible"], decision
    assert decision.amount == Decimal(str(expect.get("amount", "0.00"))), decision
    if "payee" in expect:
        assert decision.payee_type == expect["payee"], decision
    if "advance" in expect:
        want = expect["advance"]
        assert decision.advance_amount == (None if want is None else Decimal(str(want))), decision
    assert list(decision.reasons) == expect.get("reasons", []), decision
    assert list(decision.notes) == expect.get("notes", []), decision
    if "counted" in expect:
        assert list(decision.counted) == expect["counted"], decision
    if "months_paid" in expect:
        assert decision.months_paid == expect["months_paid"], decision
    if "months_paid" in expect and "capped" in decision.notes:
        note = next(t for t in decision.trace if t.parameter == "months_paid")
        assert note.note.startswith(f"capped: claimed {case.claim.months} months, paid {expect['months_paid']}")
    if "days_paid" in expect:
        assert decision.days_paid == expect["days_paid"], decision
    if "days_paid" in expect and "capped" in decision.notes:
        note = next(t for t in decision.trace if t.parameter == "days_paid")
        assert note.note.startswith(f"capped: claimed {case.claim.days} days, paid {expect['days_paid']}")
    assert decision.draft is pack.draft
    if "draft" in expect:
        assert decision.draft is expect["draft"]
    for text in expect.get("missing", []):
        assert any(text in m for m in decision.missing), decision.missing
    if not expect.get("missing"):
        assert not decision.missing, decision.missing
    if not expect.get("uncited"):
        assert case.clause in decision.citations, (case.clause, decision.citations)
    used = {t.parameter for t in decision.trace}
    for name in case.covers:
        assert name in used, f"case claims to cover {name} but the decision did not read it"
    for name in expect.get("bound_taken", []):
        entry = next(t for t in decision.trace if t.parameter == name)
        assert entry.note.startswith("took the bound") and not entry.local
    if "amount_capped_from" in expect:  # an actual figure above its ceiling: the ceiling is paid
        note = next(t for t in decision.trace if t.parameter == "amount_paid")
        assert note.note.startswith(f"capped: claimed {expect['amount_capped_from']} yuan, paid {decision.amount}")
    for name in expect.get("claimed", []):  # what the claimant supplied is labelled claimed, never local
        entry = next(t for t in decision.trace if t.parameter == name)
        assert entry.note.startswith("claimed:") and not entry.local, entry
    for name in expect.get("local", []):
        entry = next(t for t in decision.trace if t.parameter == name)
        assert entry.local, entry


def test_every_parameter_of_every_pack_is_covered_by_a_case() -> None:
    covered = {(c.policy, name) for c in CASES for name in c.covers}
    from rules.packs import load_packs

    missing = [
        f"{policy}: {name}"
        for policy, pack in load_packs().items()
        for name in pack.parameters
        if (policy, name) not in covered
    ]
    assert not missing, "parameters no case covers:\n" + "\n".join(missing)
