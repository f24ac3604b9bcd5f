"""The nightly steps end to end at the service level: advance, inspection, completion,
assessment, posting, payment — and a second run of the same night changes nothing."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from services.access.actors import Actor
from services.importing.rosters import record_completions, record_inspections
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules, claims_by_id, counts, history, payments
from tests.release import night_then_release

CLERK = Actor("zhang", "clerk")
INSPECTOR = Actor("li", "inspector")
ORG = "91211400MA0Y1XXXX1"


def advance_claim(claim_id: str, **extra: object) -> dict[str, object]:
    values: dict[str, object] = dict(kind="enterprise_training", payee_type="enterprise", payee_id=ORG,
                                     payee_name="葫芦岛某培训学校", bank_account="6222020000001234567",
                                     advance_requested=True, class_id="K-2020-01", certificate_date=None)
    values.update(extra)
    return claim_row(claim_id, **values)


def test_advance_then_rest_after_the_posting_window(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, advance_claim("E1"))
    night_then_release(engine, date(2020, 6, 1))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.advance_paid) == ("advance_paid", Decimal("500.00"))
    [advance] = payments(engine, "E1")
    assert (advance.kind, advance.amount, advance.status) == ("advance", Decimal("500.00"), "sent")
    assert advance.idempotency_key == "huludao-2019:E1:advance:1" and advance.reference
    [path] = payment_dir.glob("payments-2020-06-01-B*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        batch = list(csv.DictReader(handle))
    assert [(r["付款幂等键"], r["金额（元）"], r["参考号"], r["批次号"]) for r in batch] == [
        ("huludao-2019:E1:advance:1", "500.00", advance.reference, path.stem.rsplit("-B", 1)[1].lstrip("0"))]

    record_inspections(engine, [(1, {"claim_id": "E1", "inspected_on": "2020-06-02", "result": "pass"})],
                       actor=INSPECTOR)
    night_then_release(engine, date(2020, 6, 2))
    assert claims_by_id(engine)["E1"].state == "on_site_inspected"  # waits for its certificate

    record_completions(engine, [(1, {"claim_id": "E1", "certificate_no": "C-1", "certificate_date": "2020-06-03",
                                     "result": "pass"})], actor=CLERK, on=date(2020, 6, 3))
    night_then_release(engine, date(2020, 6, 3))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.amount, claim.posting_closes_on) == ("publicly_posted", Decimal("1000.00"),
                                                                    date(2020, 6, 10))
    night_then_release(engine, date(2020, 6, 9))
    assert claims_by_id(engine)["E1"].state == "publicly_posted"

    night_then_release(engine, date(2020, 6, 10))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.advance_paid, claim.final_paid) == ("paid", Decimal("500.00"), Decimal("500.00"))
    assert [(p.kind, p.amount, p.idempotency_key) for p in payments(engine, "E1")] == [
        ("advance", Decimal("500.00"), "huludao-2019:E1:advance:1"),
        ("final", Decimal("500.00"), "huludao-2019:E1:final:1"),
    ]
    assert [t for _, _, t in history(engine, "E1")] == [
        "pay_advance", "record_inspection", "pass_inspection", "record_completion", "assess", "post",
        "close_posting", "pay"]

    before = counts(engine)
    results = night_then_release(engine, date(2020, 6, 10))
    assert counts(engine) == before
    assert all(not r.moved for r in results.values())


def test_rerunning_a_busy_night_changes_nothing(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, advance_claim("E1"))
        insert_claims(conn, claim_row("G1", inspection_result="pass", inspected_on=date(2020, 6, 1)))
        insert_claims(conn, claim_row("G2", person_id="211402199001021231"))
    first = night_then_release(engine, date(2020, 6, 1))
    assert first["pay_advances"].moved and first["post"].moved
    before = counts(engine)
    again = night_then_release(engine, date(2020, 6, 1))
    assert counts(engine) == before
    assert all(not r.moved and not r.money for r in again.values())
    [path] = payment_dir.glob("payments-2020-06-01-B*.csv")  # the second night wrote no new batch
    with path.open(encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == 1


def test_amount_equal_to_the_advance_is_settled_without_a_payment(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    rules.advance_rate = Decimal("1")
    with engine.begin() as conn:
        insert_claims(conn, advance_claim("E1", inspection_result="pass", inspected_on=date(2020, 6, 1),
                                          certificate_date=date(2020, 6, 1)))
    night_then_release(engine, date(2020, 6, 1))
    night_then_release(engine, date(2020, 6, 8))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.final_paid) == ("paid", Decimal("0.00"))
    assert [p.kind for p in payments(engine, "E1")] == ["advance"]


def test_assessed_below_the_advance_recovers_the_excess(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, advance_claim("E1"))
    night_then_release(engine, date(2020, 6, 1))  # advance 500.00 on an expected 1000.00
    rules.amounts["E1"] = Decimal("300.00")
    record_inspections(engine, [(1, {"claim_id": "E1", "inspected_on": "2020-06-02", "result": "pass"})],
                       actor=INSPECTOR)
    record_completions(engine, [(1, {"claim_id": "E1", "certificate_date": "2020-06-02", "result": "pass"})],
                       actor=CLERK, on=date(2020, 6, 2))
    night_then_release(engine, date(2020, 6, 2))
    night_then_release(engine, date(2020, 6, 9))
    claim = claims_by_id(engine)["E1"]
    assert (claim.state, claim.amount, claim.recovery_owed) == ("recovery_due", Decimal("300.00"), Decimal("200.00"))
    recovery = payments(engine, "E1")[-1]
    assert (recovery.kind, recovery.amount, recovery.status, recovery.idempotency_key) == (
        "recovery", Decimal("200.00"), "due", "huludao-2019:E1:recovery:1")


def test_failed_inspection_after_an_advance_recovers_it(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, advance_claim("E1"))
        insert_claims(conn, claim_row("G1"))
    night_then_release(engine, date(2020, 6, 1))
    record_inspections(engine, [(1, {"claim_id": "E1", "inspected_on": "2020-06-02", "result": "fail"}),
                                (2, {"claim_id": "G1", "inspected_on": "2020-06-02", "result": "fail"})],
                       actor=INSPECTOR)
    night_then_release(engine, date(2020, 6, 2))
    claims = claims_by_id(engine)
    assert (claims["E1"].state, claims["E1"].reasons, claims["E1"].recovery_owed) == (
        "recovery_due", "inspection_failed", Decimal("500.00"))
    assert (claims["G1"].state, claims["G1"].reasons) == ("rejected", "inspection_failed")
    assert [(p.kind, p.amount) for p in payments(engine, "E1")] == [
        ("advance", Decimal("500.00")), ("recovery", Decimal("500.00"))]
    assert payments(engine, "G1") == []


def test_annual_limit_counts_grants_made_earlier_in_the_same_chunk(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    person = dict(person_id="211402199001011234", person_key=42, inspection_result="pass",
                  inspected_on=date(2020, 6, 1))
    with engine.begin() as conn:
        insert_claims(conn, *[claim_row(f"P{i}", certificate_date=date(2020, 3, 10 - i), occupation=f"工种{i}",
                                        **person) for i in range(1, 5)])
    night_then_release(engine, date(2020, 6, 1))
    claims = claims_by_id(engine)
    # ordered by certificate date: P4 (03-06), P3, P2 granted; P1 (03-09) is the 4th of 2020
    assert {c: claims[c].state for c in claims} == {"P4": "publicly_posted", "P3": "publicly_posted",
                                                     "P2": "publicly_posted", "P1": "rejected"}
    assert claims["P1"].reasons == "annual_limit"


def test_inspection_not_required_by_setting_passes_with_a_reason(
        engine: Engine, rules: FakeRules, payment_dir: Path, tmp_path: Path, monkeypatch: object) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("inspection:\n  not_required:\n    huludao-2019: [skill_upgrade]\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_SETTINGS", str(settings))  # type: ignore[attr-defined]
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1"))
        insert_claims(conn, claim_row("W1", kind="living_allowance", days=10, person_id="211402199001021231"))
    night_then_release(engine, date(2020, 6, 1))
    claims = claims_by_id(engine)
    assert claims["G1"].state == "publicly_posted"
    assert claims["W1"].state == "filed"  # living allowance still needs its inspection
    from sqlalchemy import select

    from tests.integration.services.conftest import EVENT
    with engine.connect() as conn:
        reason = conn.execute(select(EVENT.c.reason).where(EVENT.c.trigger == "pass_inspection")).scalar_one()
    assert "inspection not required" in reason
