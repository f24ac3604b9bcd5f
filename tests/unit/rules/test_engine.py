"""Engine properties over many generated claims, and its refusals of bad input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine import ClaimFactsError, evaluate
from rules.history import grant_from
from rules.packs import load_pack
from rules.reasons import REASONS
from rules.record import GROUPS, KINDS, LEVELS, ClaimRecord
from tests.unit.rules.ids import org_id, person_id

REGION = {"huludao-2019": "211402", "heilongjiang-2019": "230102", "nanxun-2019": "330503",
          "zhumadian-2019": "411702", "ordos-2019": "150602"}


@st.composite
def claims(draw: st.DrawFn) -> ClaimRecord:
    policy = draw(st.sampled_from(sorted(REGION)))
    region = REGION[policy]
    payee_type = draw(st.sampled_from(["individual", "enterprise", "institution"]))
    pid = person_id(region, draw(st.integers(0, 999)))
    return ClaimRecord(
        claim_id="P", policy=policy, kind=draw(st.sampled_from(sorted(KINDS))), person_id=pid,
        person_name="测试", region=region, filed_on=date(2020, 6, 1), payee_type=payee_type,
        payee_id=pid if payee_type == "individual" else org_id(1, region),
        groups=tuple(draw(st.lists(st.sampled_from(sorted(GROUPS)), max_size=3))),
        occupation="电工", level=draw(st.sampled_from(sorted(LEVELS))),
        urgent=draw(st.booleans()),
        certificate_date=date(2018, 6, 1) + timedelta(days=draw(st.integers(0, 1500))),
        enterprise_funded=draw(st.booleans()),
        apprentice_type=draw(st.sampled_from(["employee", "student"])),
        apprentice_year=draw(st.integers(1, 4)), months=draw(st.integers(1, 8)),
        days=draw(st.integers(1, 60)), employed_on=date(2020, 3, 1),
        training_start=date(2019, 12, 1) - timedelta(days=draw(st.integers(0, 40))),
        training_end=date(2020, 1, 1),
        catalog_standard=Decimal(draw(st.integers(1, 500000))) / 100,
        advance_requested=draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(claims())
def test_every_decision_is_well_formed(claim: ClaimRecord) -> None:
    pack = load_pack(claim.policy)
    decision = evaluate(claim, [], pack)
    assert decision.amount == decision.amount.quantize(Decimal("0.01"))
    assert set(decision.reasons) <= set(REASONS) and set(decision.notes) <= set(REASONS)
    assert decision.draft is pack.draft
    if decision.eligible:
        assert decision.amount > 0 and not decision.reasons and decision.citations
        if claim.months is not None and decision.months_paid is not None:
            assert 0 < decision.months_paid <= claim.months
            assert ("capped" in decision.notes) == (decision.months_paid < claim.months or (
                decision.days_paid is not None and claim.days is not None and decision.days_paid < claim.days))
        if decision.advance_amount is not None:
            assert claim.advance_requested and decision.payee_type != "individual"
            assert 0 < decision.advance_amount <= decision.amount
    else:
        assert decision.amount == 0 and decision.reasons and decision.advance_amount is None
    assert ("missing_parameter" in decision.reasons) == bool(decision.missing)
    again = evaluate(claim, [grant_from(claim, decision)] if decision.eligible else [], pack)
    if decision.eligible and claim.kind in pack.spec.caps.annual_limit_kinds:
        assert not again.eligible  # the same claim twice is never paid twice


def _claim(**kw: object) -> ClaimRecord:
    pid = person_id("230102")
    base: dict[str, object] = dict(
        claim_id="F1", policy="heilongjiang-2019", kind="work_based_training", person_id=pid,
        person_name="测试", region="230102", filed_on=date(2020, 6, 1), payee_type="enterprise",
        payee_id=org_id(2, "230102"), groups=("poor_labor",), months=3,
    )
    return ClaimRecord(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"months": None}, "months"),
     ({"kind": "living_allowance", "days": None}, "days"),
     # 在培训期间…按实际参加培训天数: days are checked against the class's dates (第20项)
     ({"kind": "living_allowance", "days": 5, "groups": ("two_after_rural",), "training_end": date(2020, 5, 1)},
      "training_start"),
     ({"kind": "living_allowance", "days": 5, "groups": ("two_after_rural",), "training_start": date(2020, 5, 1)},
      "training_end"),
     ({"kind": "enterprise_training", "groups": ("enterprise_employee",), "level": None}, "level"),
     ({"kind": "employment_service", "employed_on": None}, "employed_on")],
)
def test_a_missing_fact_is_an_error_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ClaimFactsError) as err:
        evaluate(_claim(**change), [], load_pack("heilongjiang-2019"))
    assert err.value.field == field and str(err.value).startswith(field + ":")


def test_a_claim_under_another_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="not huludao-2019"):
        evaluate(_claim(), [], load_pack("huludao-2019"))


def test_parameters_are_read_for_the_claims_own_date() -> None:
    decision = evaluate(_claim(training_end=date(2020, 4, 30)), [], load_pack("heilongjiang-2019"))
    assert {t.read_for for t in decision.trace} == {date(2020, 4, 30)}
