"""The posting window in working days across the 2020 National Day holiday; objections upheld
and dismissed; recoveries demanded and recorded; the bank's statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models.tables import WINDOW
from services.access.actors import Actor
from services.calendar import add_working_days
from services.money.payments import import_bank_statement
from services.money.recovery import demand_recovery, record_returns
from services.nightly.runner import run_step
from services.objections import ObjectionError, raise_objection, review_objection
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules, claims_by_id, counts, payments
from tests.release import night_then_release

CLERK = Actor("zhang", "clerk")
REVIEWER = Actor("wang", "reviewer")
READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))


def test_working_days_follow_the_holiday_calendar() -> None:
    assert add_working_days(date(2020, 9, 28), 5) == date(2020, 10, 12)  # 10-01..08 off, Sat 10-10 worked
    assert add_working_days(date(2020, 9, 25), 2) == date(2020, 9, 28)  # Sunday 09-27 is worked
    assert add_working_days(date(2020, 9, 26), 1) == date(2020, 9, 27)


def test_posting_window_across_national_day(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
        insert_claims(conn, claim_row("G2", person_id="211402199001021231", **READY))
    night_then_release(engine, date(2020, 9, 28))
    claims = claims_by_id(engine)
    assert {c.posting_closes_on for c in claims.values()} == {date(2020, 10, 12)}
    with engine.connect() as conn:
        windows = conn.execute(select(WINDOW)).all()
    assert [(w.policy, w.opened_on, w.closes_on, w.working_days) for w in windows] == [
        ("huludao-2019", date(2020, 9, 28), date(2020, 10, 12), 5)]
    night_then_release(engine, date(2020, 10, 10))
    assert {c.state for c in claims_by_id(engine).values()} == {"publicly_posted"}
    night_then_release(engine, date(2020, 10, 12))
    assert {c.state for c in claims_by_id(engine).values()} == {"paid"}


def test_posting_window_length_is_a_setting_per_policy(
        engine: Engine, rules: FakeRules, payment_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text("posting_window:\n  working_days: 5\n  by_policy: {huludao-2019: 2}\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_SETTINGS", str(settings))
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    night_then_release(engine, date(2020, 9, 28))
    assert claims_by_id(engine)["G1"].posting_closes_on == date(2020, 9, 30)


def _posted(engine: Engine, **extra: object) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **{**READY, **extra}))
    night_then_release(engine, date(2020, 9, 1))


def test_objection_dismissed_returns_the_claim_to_the_notice(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    _posted(engine)
    raise_objection(engine, "G1", reason="培训期间未到场", actor=CLERK, on=date(2020, 9, 2))
    night_then_release(engine, date(2020, 9, 8))
    assert claims_by_id(engine)["G1"].state == "objected"  # the window ended, the objection waits
    outcome = review_objection(engine, "G1", uphold=False, reason="签到表核实到场", actor=REVIEWER, on=date(2020, 9, 9))
    assert outcome.state == "publicly_posted"
    night_then_release(engine, date(2020, 9, 9))
    assert claims_by_id(engine)["G1"].state == "paid"
    with pytest.raises(ObjectionError):
        review_objection(engine, "G1", uphold=True, reason="again", actor=REVIEWER, on=date(2020, 9, 10))


def test_objection_upheld_rejects_and_recovers_the_advance(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("E1", kind="enterprise_training", payee_type="enterprise",
                                      payee_id="91211400MA0Y1XXXX1", advance_requested=True, class_id="K1"))
    run_step(engine, "pay_advances", date(2020, 8, 31))
    with engine.begin() as conn:
        from tests.integration.services.conftest import CLAIM
        conn.execute(CLAIM.update().values(inspection_result="pass", inspected_on=date(2020, 9, 1)))
    night_then_release(engine, date(2020, 9, 1))
    raise_objection(engine, "E1", reason="虚报培训人数", actor=CLERK, on=date(2020, 9, 3))
    outcome = review_objection(engine, "E1", uphold=True, reason="核实属实", actor=REVIEWER, on=date(2020, 9, 4))
    assert (outcome.state, outcome.recovery) == ("recovery_due", Decimal("500.00"))
    claim = claims_by_id(engine)["E1"]
    assert (claim.reasons, claim.recovery_owed) == ("objection_upheld", Decimal("500.00"))
    assert [(p.kind, p.status) for p in payments(engine, "E1")] == [("advance", "sent"), ("recovery", "due")]
    before = counts(engine)
    night_then_release(engine, date(2020, 9, 9))
    assert counts(engine) == before


def test_objection_after_the_window_is_refused(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    _posted(engine)
    with pytest.raises(ObjectionError, match="too late"):
        raise_objection(engine, "G1", reason="late", actor=CLERK, on=date(2020, 9, 9))


def test_fraud_recovery_then_money_returned_in_two_parts(
        engine: Engine, rules: FakeRules, payment_dir: Path, tmp_path: Path) -> None:
    _posted(engine)
    night_then_release(engine, date(2020, 9, 8))
    demand = demand_recovery(engine, "G1", reason="虚假培训", actor=REVIEWER, on=date(2020, 11, 2))
    assert (demand.state, demand.amount) == ("recovery_due", Decimal("1000.00"))
    rows = [(1, {"claim_id": "G1", "amount": "400", "on": "2020-11-10"}),
            (2, {"claim_id": "G1", "amount": "700", "on": "2020-11-11"}),
            (3, {"claim_id": "NOPE", "amount": "1"})]
    report = record_returns(engine, rows, actor=CLERK, on=date(2020, 11, 11))
    assert report.recorded == 1
    assert sorted((p.row, p.field) for p in report.problems) == [(2, "amount"), (3, "claim_id")]
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.recovered) == ("recovery_due", Decimal("400.00"))
    again = record_returns(engine, rows[:1], actor=CLERK, on=date(2020, 11, 11))
    assert (again.recorded, again.unchanged) == (0, 1)
    done = record_returns(engine, [(1, {"claim_id": "G1", "amount": "600.00", "on": "2020-11-12"})],
                          actor=CLERK, on=date(2020, 11, 12))
    assert done.settled == ["G1"]
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.recovered, claim.reasons) == ("recovered", Decimal("1000.00"), "fraud")
    assert [(p.kind, p.status, p.amount) for p in payments(engine, "G1")][1:] == [
        ("recovery", "confirmed", Decimal("1000.00")), ("recovery", "returned", Decimal("400.00")),
        ("recovery", "returned", Decimal("600.00"))]


def test_returns_by_statement_reference_are_recorded_once_however_it_is_written(
        engine: Engine, rules: FakeRules, payment_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same statement line written with full-width digits is the same return; a reference or
    claim id holding an invisible character is refused naming the field (the id not echoed); a
    return recorded before references were keyed half-width is still found."""
    from services.money import recovery

    _posted(engine)
    night_then_release(engine, date(2020, 9, 8))
    demand_recovery(engine, "G1", reason="虚假培训", actor=REVIEWER, on=date(2020, 11, 2))
    with monkeypatch.context() as earlier:  # recorded by the code before this change
        earlier.setattr(recovery, "_keyed_reference", lambda typed: typed)
        first = record_returns(engine, [(1, {"claim_id": "G1", "amount": "100", "reference": "ＸＹ１"})],
                               actor=CLERK, on=date(2020, 11, 9))
    assert first.recorded == 1
    rows = [(1, {"claim_id": "G1", "amount": "100", "reference": "ＸＹ１"}),
            (2, {"claim_id": "G1", "amount": "400", "reference": "ＢＫ２０２０１１１０"}),
            (3, {"claim_id": "G1", "amount": "400", "reference": "BK20201110"}),
            (4, {"claim_id": "G1", "amount": "50", "reference": "BK2020\u200b1111"}),
            (5, {"claim_id": "G1\u202e", "amount": "50", "reference": "BK20201112"})]
    report = record_returns(engine, rows, actor=CLERK, on=date(2020, 11, 11))
    assert (report.recorded, report.unchanged) == (1, 2)
    assert [(p.row, p.claim_id, p.field) for p in report.problems] == [(4, "G1", "reference"), (5, None, "claim_id")]
    assert "200B" in report.problems[0].message and "202E" in report.problems[1].message
    assert claims_by_id(engine)["G1"].recovered == Decimal("500.00")


def test_bank_statement_confirms_and_fails_payments(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
        insert_claims(conn, claim_row("G2", person_id="211402199001021231", **READY))
    night_then_release(engine, date(2020, 9, 1))
    night_then_release(engine, date(2020, 9, 8))
    ref = {p.claim_id: p.reference for p in payments(engine)}
    rows = [(1, {"reference": ref["G1"], "amount": "1000.00", "status": "confirmed"}),
            (2, {"参考号": ref["G2"], "金额": "1000", "状态": "失败"}),
            (3, {"reference": "PAYNOSUCH", "amount": "5", "status": "confirmed"}),
            (4, {"reference": ref["G1"], "amount": "999.00", "status": "confirmed"})]
    report = import_bank_statement(engine, rows, actor=CLERK, on=date(2020, 9, 10))
    assert (report.confirmed, report.failed, report.claims_failed) == (1, 1, ["G2"])
    assert [n for n, _, _ in report.problems] == [3, 4]
    claims = claims_by_id(engine)
    assert (claims["G2"].state, claims["G2"].final_paid) == ("payment_failed", Decimal("0.00"))
    night_then_release(engine, date(2020, 9, 11))
    assert claims_by_id(engine)["G2"].state == "paid"
    assert [(p.attempt, p.status) for p in payments(engine, "G2")] == [(1, "failed"), (2, "sent")]
    assert import_bank_statement(engine, rows[:2], actor=CLERK, on=date(2020, 9, 12)).unchanged == 2
