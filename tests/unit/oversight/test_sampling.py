"""Inspection sampling is pure: the same inputs and seed give the same plan; each pick has its reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.oversight.sampling import Candidate, PriorClass, choose, parse_rate, roster_rows

ON = date(2020, 6, 2)


def _c(pk: int, class_id: str | None, organizer: str | None = "甲培训学校", person: str | None = None,
       amount: str | None = "1000", start: date = date(2020, 5, 1), end: date = date(2020, 5, 20)) -> Candidate:
    return Candidate(pk, f"C{pk}", "huludao-2019", class_id, organizer, person or f"P{pk}", f"学员{pk}",
                     start, end, Decimal(amount) if amount else None)


def _population() -> list[Candidate]:
    return [_c(i, f"K{i // 5}", organizer=f"机构{i // 10}", amount=str(1000 + i)) for i in range(200)]


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    people = _population()
    prior = [PriorClass(f"机构{b}", f"OLD{b}", 9, date(2019, 1, 1)) for b in range(20)]
    first = choose(people, prior, [], on=ON, rate=Decimal("0.1"), seed="s1")
    again = choose(list(reversed(people)), prior, [], on=ON, rate=Decimal("0.1"), seed="s1")
    other = choose(people, prior, [], on=ON, rate=Decimal("0.1"), seed="s2")
    assert [p.candidate.pk for p in first.picks] == [p.candidate.pk for p in again.picks]
    assert first.waiting_classes == 40 and first.random_classes == 4
    assert first.count("random") == 20  # 4 classes of 5
    assert {p.candidate.pk for p in first.picks if "random" in p.reasons} != \
        {p.candidate.pk for p in other.picks if "random" in p.reasons}
    assert {p.candidate.pk for p in first.picks if "high_amount" in p.reasons} == set(range(180, 200))
    # every trainee of a drawn class is on the roster; nothing else is random
    drawn = {p.candidate.class_id for p in first.picks if "random" in p.reasons}
    assert {p.candidate.pk for p in first.picks if "random" in p.reasons} == \
        {c.pk for c in people if c.class_id in drawn}


def test_risk_picks_name_their_reason() -> None:
    people = [
        _c(1, "A1", organizer="新机构"), _c(2, "A1", organizer="新机构"),
        _c(3, "A2", organizer="新机构", start=date(2020, 5, 10)),
        *[_c(10 + i, "B9", organizer="老机构") for i in range(4)],      # 4 > 3 before: surge
        *[_c(20 + i, "D1", organizer="稳机构") for i in range(2)],      # 2 <= 5 before: none
        _c(30, None, organizer=None, amount="9000"),                    # top amount
        _c(31, "D1", organizer="稳机构", person="P-TWO"),
    ]
    prior = [PriorClass("老机构", "B1", 3, date(2019, 1, 1)), PriorClass("稳机构", "D0", 5, date(2019, 1, 1))]
    others = [("P-TWO", "huludao-2019", "X7", date(2020, 5, 15), date(2020, 6, 15)),
              ("P-TWO", "huludao-2019", "D1", date(2020, 5, 1), date(2020, 5, 20))]
    plan = choose(people, prior, others, on=ON, rate=Decimal("0.01"), seed="x")
    reasons = {p.candidate.pk: set(p.reasons) for p in plan.picks}
    assert {pk for pk, r in reasons.items() if "first_class" in r} == {1, 2}
    assert {pk for pk, r in reasons.items() if "surge" in r} == {10, 11, 12, 13}
    assert {pk for pk, r in reasons.items() if "high_amount" in r} == {30}
    assert {pk for pk, r in reasons.items() if "flagged" in r} == {31}
    assert plan.random_classes == 1
    assert not any(r - {"random"} for pk, r in reasons.items() if pk in (20, 21))
    row = next(r for r in roster_rows(plan) if r[0] == "C31")
    assert row[7] is None and "X7" in (row[11] or "") and "种子x" in (row[12] or "")


@pytest.mark.parametrize(("text", "value"), [("10%", Decimal("0.1")), ("0.25", Decimal("0.25")), ("100%", 1)])
def test_rate_is_a_share(text: str, value: Decimal) -> None:
    assert parse_rate(text) == value


@pytest.mark.parametrize("text", ["0", "0%", "120%", "abc", "-5%", "NaN"])
def test_rate_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_a_claim_a_signal_holds_is_picked_with_its_reason() -> None:
    from dataclasses import replace

    people = [_c(1, "K1"), replace(_c(2, "K2"), signals=("shared_trainees",)), _c(3, "K3")]
    plan = choose(people, [PriorClass("甲培训学校", "OLD", 9, date(2019, 1, 1))], [], on=ON,
                  rate=Decimal("0.01"), seed="s")
    picked = {p.candidate.pk: p for p in plan.picks}
    assert "signal" in picked[2].reasons and "机构风险信号：shared_trainees" in picked[2].detail
    assert plan.count("signal") == 1
