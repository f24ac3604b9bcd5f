"""`claims reconcile` over a real lifecycle (advances, payments, a bank failure, recoveries in
part and in full), then with one invariant broken at a time: it names the claim, exit 1.
`claims bank import` with a mismatched amount and an unknown reference changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update

from services.access.actors import Actor
from services.money.recovery import demand_recovery, record_returns
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import CLAIM, D0, D1, PAYMENT

FINANCE = Actor("drill-finance", "clerk")
AUDITOR = Actor("drill-auditor", "admin")


@dataclass
class World:
    engine: Engine
    url: str
    paid: list[str]
    """claim ids of paid claims left untouched"""
    owing: str
    """fraud found after payment: half of it returned so far"""
    returned: str
    """fraud found after payment: all of it returned"""
    advance_back: str
    """an advance claim rejected before its final payment, advance owed back"""
    bank_failed: str
    """its final payment failed at the bank"""


def _claims(engine: Engine, *where: object) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(CLAIM.c.claim_id).where(*where).order_by(CLAIM.c.claim_id)).scalars())


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for name, value in scenario.night_env(tmp_path / "payments").items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files")
    scenario.night(engine, D0)
    advance_back = _claims(engine, CLAIM.c.advance_paid > 0)[0]
    demand_recovery(engine, advance_back, reason="开班备案与实际不符", reason_code="fraud", actor=AUDITOR,
                    on=D0)
    scenario.night(engine, D1)
    paid = _claims(engine, CLAIM.c.state == "paid")
    owing, returned, bank_failed = paid[0], paid[1], paid[2]
    for claim_id in (owing, returned):
        demand_recovery(engine, claim_id, reason="虚假培训", actor=AUDITOR, on=date(2020, 6, 1))
    with engine.connect() as conn:
        owed = dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.recovery_owed)
                                 .where(CLAIM.c.claim_id.in_((owing, returned)))).all())
        reference = conn.execute(select(PAYMENT.c.reference).join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
                                 .where(CLAIM.c.claim_id == bank_failed)).scalar_one()
    record_returns(engine, [(1, {"claim_id": owing, "amount": str(owed[owing] / 2)}),
                            (2, {"claim_id": returned, "amount": str(owed[returned])})],
                   actor=FINANCE, on=date(2020, 6, 10))
    statement = tmp_path / "statement.csv"
    statement.write_text(f"reference,amount,status\n{reference},{_final(engine, bank_failed)},failed\n",
                         encoding="utf-8")
    assert run_claims("bank", "import", str(statement), "--on", "2020-05-20", db=db_url).returncode == 0
    return World(engine, db_url, paid[3:], owing, returned, advance_back, bank_failed)


def _final(engine: Engine, claim_id: str) -> str:
    with engine.connect() as conn:
        amount = conn.execute(select(CLAIM.c.final_paid).where(CLAIM.c.claim_id == claim_id)).scalar_one()
    return f"{amount:.2f}"


def _state(engine: Engine, claim_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(CLAIM.c.state).where(CLAIM.c.claim_id == claim_id)).scalar_one())


def test_a_whole_lifecycle_reconciles_with_totals_per_policy_and_day(world: World) -> None:
    engine = world.engine
    assert (_state(engine, world.owing), _state(engine, world.returned)) == ("recovery_due", "recovered")
    assert _state(engine, world.advance_back) == "recovery_due"
    assert _state(engine, world.bank_failed) == "payment_failed"
    done = run_claims("reconcile", "--json", db=world.url)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["holds"] and report["breaches"] == []
    assert report["claims"] == len(_claims(engine))
    totals = {(t["policy"], t["date"]): t for t in report["totals"]}
    assert Decimal(totals[("huludao-2019", D0.isoformat())]["advance"]) > 0
    assert Decimal(totals[("huludao-2019", D0.isoformat())]["recovery_owed"]) > 0  # the advance owed back
    recoveries = sum(Decimal(t["recovery_received"]) for t in report["totals"])
    owed = sum(Decimal(t["recovery_owed"]) for t in report["totals"])
    assert Decimal(report["recovery_outstanding"]) == owed - recoveries > 0
    assert sum(Decimal(t["failed"]) for t in report["totals"]) == Decimal(_final_of_failed(world))

    plain = run_claims("reconcile", db=world.url)
    assert plain.returncode == 0 and "money and states reconcile" in plain.stdout
    assert "recovery outstanding" in plain.stdout


def _final_of_failed(world: World) -> str:
    with world.engine.connect() as conn:
        return f"{conn.execute(select(PAYMENT.c.amount).where(PAYMENT.c.status == 'failed')).scalar_one():.2f}"


def _pk(engine: Engine, claim_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(CLAIM.c.id).where(CLAIM.c.claim_id == claim_id)).scalar_one())


def _breaks(world: World, claim_id: str, check: str) -> None:
    done = run_claims("reconcile", db=world.url)
    assert done.returncode == 1
    assert f"claim {claim_id} " in done.stderr and check in done.stderr, done.stderr
    report = json.loads(run_claims("reconcile", "--json", db=world.url).stdout)
    assert {(b["claim_id"], b["check"]) for b in report["breaches"]} >= {(claim_id, check)}
    assert {b["claim_id"] for b in report["breaches"]} == {claim_id}


def test_a_payment_written_twice_is_named(world: World) -> None:
    claim_id = world.paid[0]
    with world.engine.begin() as conn:
        row = dict(conn.execute(select(PAYMENT).where(PAYMENT.c.claim_pk == _pk(world.engine, claim_id),
                                                      PAYMENT.c.kind == "final")).one()._mapping)
        row.pop("id")
        conn.execute(insert(PAYMENT).values(**{**row, "attempt": 2,
                                                "idempotency_key": row["idempotency_key"] + "-copy"}))
    _breaks(world, claim_id, "duplicate")


def test_money_column_without_its_payment_is_named(world: World) -> None:
    claim_id = world.paid[1]
    with world.engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == claim_id).values(final_paid=CLAIM.c.final_paid + 1))
    _breaks(world, claim_id, "columns")


def test_state_changed_without_an_event_is_named(world: World) -> None:
    claim_id = world.paid[2]
    with world.engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == claim_id).values(state="approved"))
    _breaks(world, claim_id, "events")


def test_paid_claim_whose_payments_do_not_add_up_to_its_amount_is_named(world: World) -> None:
    claim_id = world.paid[3]
    with world.engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == claim_id).values(amount=CLAIM.c.amount + 100))
    _breaks(world, claim_id, "paid")


def test_recovery_received_without_its_row_is_named(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(PAYMENT.delete().where(PAYMENT.c.claim_pk == _pk(world.engine, world.owing),
                                            PAYMENT.c.status == "returned"))
    _breaks(world, world.owing, "columns")


def test_rejected_claim_with_money_out_is_named(world: World) -> None:
    claim_id = world.paid[4]
    with world.engine.begin() as conn:
        seq = conn.execute(select(CLAIM.c.event_seq).where(CLAIM.c.claim_id == claim_id)).scalar_one()
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == claim_id).values(state="rejected"))
        conn.execute(update(scenario.EVENT).where(scenario.EVENT.c.claim_pk == _pk(world.engine, claim_id),
                                                  scenario.EVENT.c.seq == seq).values(to_state="rejected"))
    _breaks(world, claim_id, "nothing_out")


def test_bank_statement_with_a_wrong_amount_or_unknown_reference_changes_nothing(
        world: World, tmp_path: Path) -> None:
    claim_id = world.paid[5]
    with world.engine.connect() as conn:
        reference = conn.execute(select(PAYMENT.c.reference).where(
            PAYMENT.c.claim_pk == _pk(world.engine, claim_id), PAYMENT.c.kind == "final")).scalar_one()
    statement = tmp_path / "wrong.csv"
    amount = Decimal(_final(world.engine, claim_id))
    statement.write_text(f"reference,amount,status\n{reference},{amount + Decimal('0.01')},failed\n"
                         "PAYNOSUCHREF0000001,100.00,confirmed\n", encoding="utf-8")
    before = scenario.snapshot(world.engine)
    done = run_claims("bank", "import", str(statement), "--on", "2020-05-21", db=world.url)
    assert done.returncode == 1
    assert "amount mismatch" in done.stdout and f"{amount + Decimal('0.01')}" in done.stdout
    assert "PAYNOSUCHREF0000001" in done.stdout and "unknown reference" in done.stdout
    assert "0 confirmed, 0 failed" in done.stdout
    assert scenario.snapshot(world.engine) == before
    assert run_claims("reconcile", db=world.url).returncode == 0


def test_one_certificate_backing_two_grants_names_both_claims(world: World) -> None:
    first, second = world.paid[4], world.paid[5]
    with world.engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id.in_([first, second])).values(certificate_no="ZS-0001"))
    report = json.loads(run_claims("reconcile", "--json", db=world.url).stdout)
    named = {b["claim_id"] for b in report["breaches"] if b["check"] == "certificate_granted_twice"}
    assert named == {first, second}
    assert run_claims("reconcile", db=world.url).returncode == 1
