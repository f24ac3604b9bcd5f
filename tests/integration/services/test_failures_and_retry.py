"""Failures: a refused payment retried as a new attempt, a crash mid-night, claims set aside
for a missing parameter or a draft policy, and the DB's own guard on idempotency keys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from services.access.actors import Actor
from services.money.channel import FailingChannel, FileChannel, use_channel
from services.money.payments import PAYMENT, payment_row
from services.nightly.runner import run_step
from services.oversight.failures import list_failures, retry
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules, claims_by_id, counts, history, payments
from tests.release import night_then_release

ADMIN = Actor("root", "admin")
READY = dict(inspection_result="pass", inspected_on=date(2020, 6, 1))


def test_refused_payment_is_retried_next_night_as_attempt_2(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    night_then_release(engine, date(2020, 6, 1))
    use_channel(FailingChannel(["*:G1:final:1"], inner=FileChannel(payment_dir)))
    night_then_release(engine, date(2020, 6, 8))
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.final_paid, claim.set_aside_step) == ("payment_failed", Decimal("0.00"), "pay_due")
    assert [(p.attempt, p.status) for p in payments(engine, "G1")] == [(1, "failed")]
    assert [(f.claim_id, f.step) for f in list_failures(engine)] == [("G1", "pay_due")]

    before = counts(engine)
    night_then_release(engine, date(2020, 6, 8))  # the same night again: no second attempt yet
    assert counts(engine) == before

    night_then_release(engine, date(2020, 6, 9))  # the next night: attempt 2 (the channel refuses attempt 1 only)
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.final_paid, claim.set_aside_step) == ("paid", Decimal("1000.00"), None)
    assert [(p.idempotency_key, p.status) for p in payments(engine, "G1")] == [
        ("huludao-2019:G1:final:1", "failed"), ("huludao-2019:G1:final:2", "sent")]
    assert [t for _, _, t in history(engine, "G1")][-3:] == ["fail_payment", "retry_payment", "pay"]
    assert list_failures(engine) == []


def test_claims_retry_pays_at_once_and_is_idempotent(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    night_then_release(engine, date(2020, 6, 1))
    use_channel(FailingChannel(["*:final:1"], inner=FileChannel(payment_dir)))
    night_then_release(engine, date(2020, 6, 8))
    report = retry(engine, actor=ADMIN, on=date(2020, 6, 8), claim_id="G1")
    assert [f.claim_id for f in report.chosen] == ["G1"] and report.still_failed == []
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.payment_attempt) == ("paid", 2)
    again = retry(engine, actor=ADMIN, on=date(2020, 6, 8), claim_id="G1")
    assert "nothing to retry" in again.note
    assert [p.attempt for p in payments(engine, "G1")] == [1, 2]
    assert retry(engine, actor=ADMIN, on=date(2020, 6, 8)).chosen == []


def test_a_crash_mid_night_rolls_back_its_chunk_and_a_rerun_finishes(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", person_key=1, **READY))
        insert_claims(conn, claim_row("G2", person_key=2, person_id="211402199001021231", **READY))
    rules.fail_on = {"G2"}
    with pytest.raises(RuntimeError, match="rules blew up on G2"):
        night_then_release(engine, date(2020, 6, 1), size=1)
    claims = claims_by_id(engine)
    assert (claims["G1"].state, claims["G2"].state) == ("assessed", "on_site_inspected")
    assert history(engine, "G2") == [("filed", "on_site_inspected", "pass_inspection")]
    rules.fail_on = set()
    night_then_release(engine, date(2020, 6, 1), size=1)
    claims = claims_by_id(engine)
    assert (claims["G1"].state, claims["G2"].state) == ("publicly_posted", "publicly_posted")


def test_missing_parameter_sets_aside_until_a_value_exists(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("Z1", policy="zhumadian-2019", **READY))
    rules.missing["Z1"] = "skill_upgrade.amount"
    result = night_then_release(engine, date(2020, 6, 1))
    assert result["assess"].set_aside == [("zhumadian-2019", "Z1", "missing_parameter: skill_upgrade.amount")]
    claim = claims_by_id(engine)["Z1"]
    assert (claim.state, claim.set_aside_step) == ("on_site_inspected", "assess")
    [failure] = list_failures(engine)
    assert (failure.step, failure.reason) == ("assess", "missing_parameter: skill_upgrade.amount")
    before = counts(engine)
    night_then_release(engine, date(2020, 6, 2))  # taken again, still missing: nothing moves
    assert counts(engine) == before
    del rules.missing["Z1"]  # the deployment now supplies the value
    report = retry(engine, actor=ADMIN, on=date(2020, 6, 3))
    assert report.steps["assess"].moved
    claim = claims_by_id(engine)["Z1"]
    assert (claim.state, claim.set_aside_step, claim.amount) == ("assessed", None, Decimal("1000.00"))


def test_draft_policy_pays_nothing_until_confirmed(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    rules.drafts = {"nanxun-2019"}
    with engine.begin() as conn:
        insert_claims(conn, claim_row("N1", policy="nanxun-2019", **READY))
    night_then_release(engine, date(2020, 6, 1))
    result = night_then_release(engine, date(2020, 6, 8))
    claim = claims_by_id(engine)["N1"]
    assert (claim.state, claim.draft, claim.set_aside_reason) == ("approved", True, "policy_not_in_force")
    assert result["pay_due"].set_aside == [("nanxun-2019", "N1", "policy_not_in_force")]
    assert payments(engine, "N1") == []
    rules.confirmed = {"nanxun-2019"}
    night_then_release(engine, date(2020, 6, 9))
    assert claims_by_id(engine)["N1"].state == "paid"


def test_draft_policy_advance_waits_without_rejection(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    rules.drafts = {"zhumadian-2019"}
    with engine.begin() as conn:
        insert_claims(conn, claim_row("Z1", policy="zhumadian-2019", kind="enterprise_training",
                                      payee_type="enterprise", payee_id="91411700MA0Y1XXXX1",
                                      advance_requested=True, class_id="K1", certificate_date=None))
    result = run_step(engine, "pay_advances", date(2020, 6, 1))
    assert result.set_aside == [("zhumadian-2019", "Z1", "policy_not_in_force")]
    assert claims_by_id(engine)["Z1"].state == "filed"
    assert payments(engine) == []


def test_refused_advance_is_sent_again_as_attempt_2(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("E1", kind="enterprise_training", payee_type="enterprise",
                                      payee_id="91211400MA0Y1XXXX1", advance_requested=True, class_id="K1",
                                      certificate_date=None))
    use_channel(FailingChannel(["*:advance:1"]))
    night_then_release(engine, date(2020, 6, 1))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.advance_amount, claim.set_aside_step) == ("filed", Decimal("500.00"), "pay_advances")
    use_channel(FileChannel(payment_dir))
    night_then_release(engine, date(2020, 6, 2))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.advance_paid, claim.set_aside_step) == ("advance_paid", Decimal("500.00"), None)
    assert [(p.attempt, p.status) for p in payments(engine, "E1")] == [(1, "failed"), (2, "sent")]


def test_the_database_refuses_a_second_payment_with_the_same_key(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1"))
    claim = claims_by_id(engine)["G1"]
    row = payment_row(claim, "final", 1, Decimal("10.00"), date(2020, 6, 1), status="sent")
    with engine.begin() as conn:
        conn.execute(insert(PAYMENT), [row])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(PAYMENT), [{**row, "amount": Decimal("20.00")}])
    assert len(payments(engine, "G1")) == 1
