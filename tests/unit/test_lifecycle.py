"""The lifecycle table: every legal path ends where it should, every other move is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from states.lifecycle import (
    MACHINE,
    STATE_CODES,
    TRANSITIONS,
    IllegalTransition,
    Subject,
    allowed_triggers,
    fire,
    next_state,
)

CONTRACT_STATES = {"filed", "advance_paid", "on_site_inspected", "assessed", "publicly_posted",
                   "paid", "rejected", "withdrawn", "recovery_due", "recovered"}


def walk(triggers: list[str], *, advance: bool = False, completion_ready: bool = True) -> list[str]:
    subject = Subject("C1", "filed", Decimal("0"), completion_ready)
    seen = [subject.state]
    for trigger in triggers:
        if trigger == "pay_advance":
            subject.advance_paid = Decimal("100") if advance else subject.advance_paid
        seen.append(fire(subject, trigger))
    return seen


def test_contract_states_exist() -> None:
    assert set(STATE_CODES) >= CONTRACT_STATES
    assert set(MACHINE.states) == set(STATE_CODES)


def test_no_auto_transitions() -> None:
    assert not any(name.startswith("to_") for name in MACHINE.events)


@pytest.mark.parametrize(
    ("triggers", "advance", "end"),
    [
        (["pass_inspection", "assess", "post", "close_posting", "pay"], False, "paid"),
        (["pay_advance", "pass_inspection", "assess", "post", "close_posting", "pay"], True, "paid"),
        (["pay_advance", "pass_inspection", "assess", "post", "close_posting", "recover_excess",
          "confirm_recovery"], True, "recovered"),
        (["pay_advance", "fail_inspection", "confirm_recovery"], True, "recovered"),
        (["fail_inspection"], False, "rejected"),
        (["pass_inspection", "refuse"], False, "rejected"),
        (["pay_advance", "pass_inspection", "refuse"], True, "recovery_due"),
        (["pass_inspection", "assess", "post", "object", "dismiss", "close_posting", "pay"], False, "paid"),
        (["pass_inspection", "assess", "post", "object", "uphold"], False, "rejected"),
        (["pay_advance", "pass_inspection", "assess", "post", "object", "uphold"], True, "recovery_due"),
        (["pass_inspection", "assess", "post", "close_posting", "pay", "fail_payment", "retry_payment",
          "pay"], False, "paid"),
        (["pass_inspection", "assess", "post", "close_posting", "pay", "demand_recovery",
          "confirm_recovery"], False, "recovered"),
        (["withdraw"], False, "withdrawn"),
        (["pass_inspection", "withdraw"], False, "withdrawn"),
        (["pay_advance", "withdraw"], True, "recovery_due"),
        (["amend", "record_completion", "pass_inspection", "amend"], False, "on_site_inspected"),
        (["pass_inspection", "assess", "reject"], False, "rejected"),
        (["pay_advance", "reject"], True, "recovery_due"),
    ],
)
def test_legal_paths(triggers: list[str], advance: bool, end: str) -> None:
    assert walk(triggers, advance=advance)[-1] == end


def _sources(transition: dict[str, object]) -> list[str]:
    source = transition["source"]
    return [source] if isinstance(source, str) else list(source)  # type: ignore[arg-type]


ALL_TRIGGERS = sorted({str(t["trigger"]) for t in TRANSITIONS})


@pytest.mark.parametrize("state", STATE_CODES)
@pytest.mark.parametrize("trigger", ALL_TRIGGERS)
def test_every_move_not_in_the_table_is_refused(state: str, trigger: str) -> None:
    legal = any(state in _sources(t) for t in TRANSITIONS if t["trigger"] == trigger)
    if legal:
        assert trigger in allowed_triggers(state)
        return
    with pytest.raises(IllegalTransition) as info:
        next_state(state, trigger)
    message = str(info.value)
    assert f"'{state}'" in message and f"'{trigger}'" in message


def test_error_names_claim_state_and_trigger() -> None:
    with pytest.raises(IllegalTransition, match=r"claim G7: 'pay' is not allowed in state 'filed'"):
        fire(Subject("G7", "filed"), "pay")


def test_assessment_waits_for_completion_facts() -> None:
    subject = Subject("A1", "on_site_inspected", Decimal("0"), completion_ready=False)
    with pytest.raises(IllegalTransition, match="completion facts"):
        fire(subject, "assess")
    assert subject.state == "on_site_inspected"


def test_guarded_alternatives_follow_the_advance() -> None:
    assert next_state("on_site_inspected", "refuse", has_advance=True) == "recovery_due"
    assert next_state("on_site_inspected", "refuse", has_advance=False) == "rejected"
    assert next_state("objected", "uphold", has_advance=True) == "recovery_due"
    assert next_state("approved", "reject", has_advance=False) == "rejected"


def test_recover_excess_needs_an_advance() -> None:
    with pytest.raises(IllegalTransition):
        next_state("approved", "recover_excess", has_advance=False)


def test_nothing_leaves_a_final_state_but_recovery() -> None:
    assert allowed_triggers("rejected") == []
    assert allowed_triggers("withdrawn") == []
    assert allowed_triggers("recovered") == []
    assert allowed_triggers("paid") == ["demand_recovery", "fail_payment"]


def test_sources_are_the_states_a_trigger_leaves_from_in_table_order() -> None:
    from states.lifecycle import sources

    assert sources("post") == ("assessed",)
    assert sources("pay", "retry_payment") == ("approved", "payment_failed")
    assert sources("pass_inspection") == ("filed", "advance_paid")
    assert "paid" not in sources("reject") and len(sources("reject")) == 8
    with pytest.raises(ValueError, match="no such trigger: payy"):
        sources("payy")
