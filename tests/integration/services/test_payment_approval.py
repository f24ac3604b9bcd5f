"""Payment approval, on by default: the night orders and seals batches, nothing leaves; a named
approver who handled none of the claims releases a batch (bound to its id, count, total and hash),
which is sent at once through the outbox. Held claims are their own list, not failures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from models.tables import BATCH_RELEASE, INSPECTION, OUTBOX_BATCH
from services.money.approval import void_unsent_orders
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments

READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))
CLOSES = date(2020, 9, 8)  # 2020-09-01 + 5 working days


def _two_held(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", person_id="211402199001010011", **READY),
                      claim_row("G2", person_id="211402199001010027", **READY))
    run_night(engine, date(2020, 9, 1))
    claims = claims_by_id(engine)
    with engine.begin() as conn:
        conn.execute(insert(INSPECTION).values(
            claim_pk=claims["G1"].id, inspected_on=date(2020, 9, 1), inspector="李检查", result="pass"))
    run_night(engine, CLOSES)


def test_by_default_the_batch_waits_for_an_approver_who_did_not_inspect(
        engine: Engine, db_url: str, payment_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", raising=False)
    _two_held(engine)
    assert {p.status for p in payments(engine)} == {"ordered"}
    assert not list(payment_dir.glob("payments-*.csv"))  # nothing left: the night only ordered and sealed
    with engine.connect() as conn:
        batch = conn.execute(select(OUTBOX_BATCH)).one()
    assert (batch.rows, batch.total) == (2, 4000)  # two L4 certificates, 2000 each (000 二(一)5)

    failed = json.loads(run_claims("failed", "--json", db=db_url).stdout)
    assert failed == []  # held, not set aside
    listed = run_claims("approve", "--list", db=db_url, env={"CLAIMS_LANG": "zh"})
    assert listed.returncode == 0, listed.stderr
    assert "待审批拨付批次" in listed.stdout and "批次号" in listed.stdout
    assert str(batch.id) in listed.stdout and "4,000.00" in listed.stdout

    env = {"CLAIMS_PAYMENT_DIR": str(payment_dir)}
    refused = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "李检查", db=db_url, env=env)
    assert refused.returncode != 0
    assert "cannot release its payment" in refused.stderr
    assert {p.status for p in payments(engine)} == {"ordered"}

    done = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "赵审批", db=db_url, env=env)
    assert done.returncode == 0, done.stderr
    assert f"batch {batch.id}" in done.stdout and "2 orders, 4000.00 yuan" in done.stdout
    assert {p.status for p in payments(engine)} == {"sent"}  # sent at once, not at the next night
    assert [f.name for f in payment_dir.glob("payments-*.csv")] == [batch.file_name]
    with engine.connect() as conn:
        bound = conn.execute(select(BATCH_RELEASE)).one()
    assert (bound.batch_id, bound.claims, bound.amount, bound.hash, bound.approver) == (
        batch.id, 2, batch.total, batch.hash, "赵审批")
    assert "no payment batch waits" in run_claims("approve", "--list", db=db_url).stdout
    again = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "赵审批", db=db_url)
    assert again.returncode == 0 and "no payment batch waits" in again.stdout

    run_night(engine, CLOSES)
    assert len(payments(engine)) == 2
    assert run_claims("reconcile", db=db_url, env=env).returncode == 0


def test_a_policy_may_be_exempt_and_an_advance_needs_a_release_too(
        engine: Engine, db_url: str, payment_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("payment:\n  approval:\n    by_policy: {huludao-2019: false}\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_SETTINGS", str(settings))
    monkeypatch.delenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", raising=False)
    _two_held(engine)
    assert {p.status for p in payments(engine)} == {"sent"}


def test_a_changed_batch_voids_its_release_and_needs_a_new_one(
        engine: Engine, db_url: str, payment_dir: Path) -> None:
    _two_held(engine)
    claims = claims_by_id(engine)
    with engine.begin() as conn:
        void_unsent_orders(conn, [claims["G1"].id], "payee changed", on=CLOSES)
        batch = conn.execute(select(OUTBOX_BATCH)).one()
    assert (batch.rows, batch.total) == (1, 2000)
    assert sorted(p.status for p in payments(engine)) == ["ordered", "void"]
    g1 = claims_by_id(engine)["G1"]
    assert (g1.state, g1.final_paid, g1.set_aside_step) == ("payment_failed", 0, "pay_due")
    env = {"CLAIMS_PAYMENT_DIR": str(payment_dir)}
    done = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "赵审批", db=db_url, env=env)
    assert done.returncode == 0, done.stderr
    assert "1 orders, 2000.00 yuan" in done.stdout
    files = list(payment_dir.glob("payments-*.csv"))
    assert len(files) == 1 and files[0].read_text(encoding="utf-8-sig").count("\n") == 2  # header + G2

    run_night(engine, date(2020, 9, 9))  # G1 again: a new order, a new reference, a new batch to release
    g1_orders = [(p.attempt, p.status) for p in payments(engine, "G1")]
    assert g1_orders == [(1, "void"), (2, "ordered")]
    assert run_claims("approve", "--date", "2020-09-09", "--actor", "赵审批", db=db_url, env=env).returncode == 0
    assert [(p.attempt, p.status) for p in payments(engine, "G1")] == [(1, "void"), (2, "sent")]
    assert len({p.reference for p in payments(engine, "G1")}) == 2
    assert len(list(payment_dir.glob("payments-*.csv"))) == 2
    checked = run_claims("reconcile", db=db_url, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_batch_whose_every_order_was_voided_sends_no_file(engine: Engine, db_url: str, payment_dir: Path) -> None:
    """Both orders of the waiting batch voided (their payees changed): the batch holds nothing, waits
    for no release, and no empty file goes to the bank; the next night's batch carries both, and
    reconcile passes."""
    _two_held(engine)
    claims = claims_by_id(engine)
    with engine.begin() as conn:
        void_unsent_orders(conn, [claims["G1"].id, claims["G2"].id], "payees changed", on=CLOSES)
        assert conn.execute(select(OUTBOX_BATCH.c.rows)).scalar_one() == 0
    run_night(engine, date(2020, 9, 9))  # the outbox runs after the paying steps: nothing to write yet
    assert not list(payment_dir.glob("payments-*.csv"))
    env = {"CLAIMS_PAYMENT_DIR": str(payment_dir)}
    assert run_claims("approve", "--date", "2020-09-09", "--actor", "赵审批", db=db_url, env=env).returncode == 0
    files = list(payment_dir.glob("payments-*.csv"))
    assert len(files) == 1 and files[0].read_text(encoding="utf-8-sig").count("\n") == 3  # header + G1 + G2
    checked = run_claims("reconcile", db=db_url, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
